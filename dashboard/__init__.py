"""The merchant dashboard: a WSGI app of its own (``paywave dashboard``; also under ``/dashboard`` of
``paywave dev``) with server-rendered pages over the same store functions, sessions and roles as the API.

Every URL starts with ``PREFIX`` wherever it is served, so a deployment routes ``/dashboard`` to it unchanged.
"""

PREFIX = "/dashboard"
