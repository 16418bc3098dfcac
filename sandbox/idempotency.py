"""Idempotent request replay as the vendors do it, for the sandboxes."""

import threading


class InFlight(Exception):
    """Another request with the same key is still being processed."""


class Mismatch(Exception):
    """The key was used before with different parameters."""


class IdempotencyCache:
    """Saves the response of each (scope, key) and replays it.

    ``run(scope, key, fingerprint, work)`` calls ``work()`` once per key and
    returns ``(status, body, replayed)``.  A second call with the same key
    returns the saved answer; with another fingerprint it raises ``Mismatch``
    (pass ``fingerprint=None`` where the vendor does not compare bodies);
    while the first call is running it raises ``InFlight``.  Responses with
    status 5xx are not saved, so the key can be retried.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._saved = {}

    def run(self, scope, key, fingerprint, work):
        if not key:
            status, body = work()
            return status, body, False
        slot = (scope, key)
        with self._lock:
            saved = self._saved.get(slot)
            if saved is None:
                self._saved[slot] = (fingerprint, None)
            elif saved[1] is None:
                raise InFlight(key)
            elif fingerprint is not None and saved[0] != fingerprint:
                raise Mismatch(key)
            else:
                return (*saved[1], True)
        try:
            status, body = work()
        except BaseException:
            with self._lock:
                self._saved.pop(slot, None)
            raise
        with self._lock:
            if status >= 500:
                self._saved.pop(slot, None)
            else:
                self._saved[slot] = (fingerprint, (status, body))
        return status, body, False
