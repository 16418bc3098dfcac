"""One gateway call for an attempt: counted before it is made, timed, classified,
measured, and fed to the circuit breaker. Shared by every actor."""

import dataclasses
import time

import dramatiq

from gateways.base import GatewayStatus
from gateways.errors import GatewayError, RetryableError, UnknownOutcomeError
from shared import metrics
from shared.logging import worker_log
from store import attempts
from store.models import Attempt
from store.states import AttemptStatus

#: An error class (``gateways.errors``) -> the status it leaves its attempt in.
ATTEMPT_STATUS = {
    "retryable": AttemptStatus.ERROR,
    "unknown_outcome": AttemptStatus.UNKNOWN,
    "soft_decline": AttemptStatus.DECLINED,
    "hard_decline": AttemptStatus.DECLINED,
}


@dataclasses.dataclass
class Call:
    attempt: Attempt
    result: object = None
    error: GatewayError | None = None
    latency_ms: int = 0

    @property
    def outcome(self) -> str:
        return self.error.error_class if self.error else "succeeded"

    @property
    def transient(self) -> bool:
        """Retry on the same gateway with the same key: the error may pass, or the outcome is unknown."""
        return isinstance(self.error, (RetryableError, UnknownOutcomeError))

    def tries_left(self, config) -> bool:
        """Whether the same key may be tried again: ``retry_max`` calls for errors, more for an
        unknown outcome (after that the sweeper keeps asking). Call after ``record_on_attempt``."""
        limit = config.retry_max + (
            config.unknown_max_tries if self.attempt.status == AttemptStatus.UNKNOWN else 0
        )
        return self.attempt.tries < limit

    def record_on_attempt(self):
        """Write the call's outcome onto the attempt (saved by the caller's transaction)."""
        a = self.attempt
        a.latency_ms = self.latency_ms
        if self.error is None:
            # A call that asks for the customer's action stays unresolved until the customer acts.
            waits = getattr(self.result, "status", None) == GatewayStatus.REQUIRES_ACTION
            a.status = AttemptStatus.REQUIRES_ACTION if waits else AttemptStatus.SUCCEEDED
            a.error_class, a.error_code, a.error_message = None, None, None
            a.gateway_reference = getattr(self.result, "reference", None) or a.gateway_reference
            return
        a.status = ATTEMPT_STATUS.get(self.error.error_class, AttemptStatus.ERROR)
        a.error_class, a.error_code, a.error_message = (
            self.error.error_class,
            self.error.code,
            self.error.message[:500],
        )


def call(ctx, attempt, fn, counted=False) -> Call:
    """Run ``fn()`` (a gateway method) for ``attempt``.

    Parameters:
      counted: This try is counted already (committed with the claim that started the attempt).
    """
    if not counted:
        attempt = attempts.count_try(attempt)
    started = time.perf_counter()
    outcome = Call(attempt)
    try:
        outcome.result = fn()
    except GatewayError as exc:
        outcome.error = exc
    elapsed = time.perf_counter() - started
    outcome.latency_ms = int(elapsed * 1000)
    gateway, operation = attempt.gateway, attempt.operation
    metrics.gateway_duration.labels(gateway, operation).observe(elapsed)
    metrics.gateway_attempts.labels(gateway, operation, outcome.outcome).inc()
    if isinstance(outcome.error, UnknownOutcomeError):
        metrics.unknown_outcomes.labels(gateway).inc()
    ctx.circuit.record(gateway, ok=not outcome.transient)
    log_method = worker_log.error if outcome.outcome == "invalid_request" else worker_log.info
    log_method(
        "gateway_call",
        payment_id=attempt.payment_id,
        gateway=gateway,
        operation=operation,
        attempt=attempt.number,
        tries=attempt.tries,
        outcome=outcome.outcome,
        code=outcome.error.code if outcome.error else None,
        latency_ms=outcome.latency_ms,
    )
    return outcome


def retry_later(ctx, c: Call):
    """Raise ``dramatiq.Retry`` with backoff when the call was transient and has tries left.

    Returns:
      Otherwise (the caller has already decided what comes next).
    """
    if c.error is not None and c.transient and c.tries_left(ctx.config):
        raise dramatiq.Retry(delay=ctx.backoff_ms(c.attempt.tries, c.error.retry_after))
