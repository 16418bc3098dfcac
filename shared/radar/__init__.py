"""Fraud rules (issue 15): the rule language (``language``), its attributes (``attributes``), the decision
engine and risk score (``decide``) and the Redis velocity counters (``counters``)."""
