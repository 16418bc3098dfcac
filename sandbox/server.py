"""``paywave sandbox stripe|paypal``: one sandbox in one gunicorn process.

State (payments, ledger, faults) lives in memory, so a sandbox always runs as a
single process with threads.
"""

import importlib

from shared.server import serve

SANDBOXES = ("stripe", "paypal")


def create_app(name, **options):
    """Build the named sandbox's Falcon app.

    Parameters:
      name: ``stripe`` or ``paypal``.
      options: Passed to that sandbox's ``create_app`` (``faults``, ``webhook_url``, ...).
    """
    if name not in SANDBOXES:
        raise ValueError(f"unknown sandbox {name!r}; choose one of {', '.join(SANDBOXES)}")
    module = importlib.import_module(f"sandbox.{name}.app")
    return module.create_app(**options)


def run(name, *, host="127.0.0.1", port, threads=16, **options):
    app = create_app(name, **options)
    serve(lambda: app, host=host, port=port, workers=1, threads=threads)
