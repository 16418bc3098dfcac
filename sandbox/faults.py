"""Fault injection shared by the sandboxes.

Set at start (``paywave sandbox ... --error-rate 0.2``) or at run time with
``POST /_sandbox/faults`` and a JSON body such as
``{"error_rate": 0.2, "error_status": 500, "latency_ms": 300, "timeout_rate": 0,
"drop_response_rate": 0.1}``; ``DELETE /_sandbox/faults`` resets them.

* ``error_rate``: answer ``error_status`` in the vendor's error envelope, doing nothing.
* ``latency_ms``: added before every API request.
* ``timeout_rate``: do the work, then hold the answer for ``timeout_ms`` (a client
  with a shorter read timeout sees a timeout after the money moved).
* ``drop_response_rate``: do the work, then close the connection without an answer.
"""

import contextlib
import dataclasses
import random
import socket
import threading
import time

import falcon


@dataclasses.dataclass
class Faults:
    error_rate: float = 0.0
    error_status: int = 500
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_ms: int = 30_000
    drop_response_rate: float = 0.0

    RATES = ("error_rate", "timeout_rate", "drop_response_rate")

    def update(self, values: dict):
        """Validate and apply ``values``; unknown keys or bad ranges raise ``ValueError``."""
        fields = {f.name for f in dataclasses.fields(self)}
        for key, value in values.items():
            if key not in fields:
                raise ValueError(f"unknown fault {key!r}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{key} must be a number")
            if key in self.RATES and not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} must be between 0 and 1")
            if key == "error_status" and not 400 <= value <= 599:
                raise ValueError("error_status must be an HTTP error status")
            if key.endswith("_ms") and value < 0:
                raise ValueError(f"{key} must not be negative")
        for key, value in values.items():
            setattr(self, key, type(getattr(self, key))(value))

    def as_dict(self):
        return dataclasses.asdict(self)


class FaultsResource:
    """``GET``/``POST``/``DELETE /_sandbox/faults``."""

    def __init__(self, faults: Faults):
        self.faults = faults
        self._lock = threading.Lock()

    def on_get(self, req, resp):
        resp.media = self.faults.as_dict()

    def on_post(self, req, resp):
        values = req.get_media()
        if not isinstance(values, dict):
            raise falcon.HTTPBadRequest(title="faults must be a JSON object")
        with self._lock:
            try:
                self.faults.update(values)
            except ValueError as exc:
                raise falcon.HTTPBadRequest(title="invalid fault", description=str(exc)) from None
        resp.media = self.faults.as_dict()

    def on_delete(self, req, resp):
        with self._lock:
            self.faults.__init__()
        resp.media = self.faults.as_dict()


class FaultMiddleware:
    """Applies ``Faults`` to every request outside ``/_sandbox``.

    Parameters:
      faults: The live fault settings.
      render_error: ``f(resp, status)`` writing the vendor's error envelope.
    """

    def __init__(self, faults: Faults, render_error, rng=None):
        self.faults = faults
        self.render_error = render_error
        self.rng = rng or random.Random()

    def process_request(self, req, resp):
        if req.path.startswith("/_sandbox"):
            return
        f = self.faults
        if f.latency_ms:
            time.sleep(f.latency_ms / 1000)
        roll = self.rng.random
        if f.error_rate and roll() < f.error_rate:
            self.render_error(resp, f.error_status)
            resp.complete = True
            req.context.fault = "error"
        elif f.timeout_rate and roll() < f.timeout_rate:
            req.context.fault = "timeout"
        elif f.drop_response_rate and roll() < f.drop_response_rate:
            req.context.fault = "drop"

    def process_response(self, req, resp, resource, req_succeeded):
        fault = getattr(req.context, "fault", None)
        if fault == "timeout":
            time.sleep(self.faults.timeout_ms / 1000)
        elif fault == "drop":
            drop_connection(req)


def drop_connection(req):
    """Close the client's connection so that it never reads an answer.

    Works under gunicorn (which hands the socket to the app in the environ).
    """
    sock = req.env.get("gunicorn.socket")
    if sock is None:
        raise RuntimeError("drop_response needs the sandbox to run under gunicorn")
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
