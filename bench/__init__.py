"""Benchmarks: ``make bench`` (``python -m bench``). Figures are ratios to baselines run
in the same process on the same machine, so a noisy shared host still gives comparable results."""
