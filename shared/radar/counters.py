"""Velocity counters in Redis: one script call per payment both counts it and reads every window.

Per merchant and mode, per dimension (card fingerprint, email, IP address, customer, and the merchant as a
whole) three hashes hold time buckets as a ring: 1-minute buckets for 10 minutes, 5-minute ones for the hour,
1-hour ones for 24 hours.  Each slot keeps its bucket number beside its count, amount and declines, so a
slot reused by a later bucket starts from zero, a hash never holds more than its slots, and each hash
expires one bucket after its window: memory is bounded by the live dimensions.  A window is its buckets,
the current one included, so "the last 10 minutes" covers between 9 and 10 minutes behind.

Distinct cards per email and per IP address over 24 hours are 24 hourly HyperLogLogs (exact for small
counts, about 1% off beyond), merged when read.  First-seen times (``SET NX``, kept ``FIRST_SEEN_DAYS``)
tell a new card, email or IP address.  Values are hashed into keys (no email or address in clear in Redis),
and every key of one merchant and mode shares a hash tag (one Redis Cluster slot).

Declines are counted by a second call, ``record_decline``, when a payment is declined.  Redis unreachable
raises ``CountersUnavailable``: the caller evaluates the rules without counters (``risk.degraded``).

A payment is counted once however often it is recorded: the worker's claim transaction can roll back after
the script ran (the job is retried and records the payment again).  The script keeps a marker per payment and
call kind (``COUNTED_SECONDS``, longer than the longest window) holding which dimensions this payment saw
first; a second call finds it, adds nothing and answers the same ``is_new_*``, in the same round trip.
"""

import dataclasses
import hashlib
import time
from collections.abc import Iterable, Sequence

import redis

from shared.cache import mode
from shared.config import Config
from shared.radar.attributes import DECLINE_DIMENSIONS, FIRST_SEEN, WINDOWS, normalize

FIRST_SEEN_DAYS = 400
#: How long a fraud label stays in Redis (``store.radar`` keeps it durably and can write it again).
FRAUD_DAYS = 400
#: ``(bucket seconds, buckets)`` per window of ``attributes.WINDOWS``.
BUCKETS = ((60, 10), (300, 12), (3600, 24))
#: How long a payment's "counted" marker lives: its longest window and one bucket (after that a second count
#: is in no window anymore).
COUNTED_SECONDS = 25 * 3600
#: Dimensions whose distinct cards are counted.
DISTINCT_CARDS = ("email", "ip")

# KEYS: one base key per dimension, then the payment's marker ('counted'). ARGV: now (s), amount,
# 'pay' | 'decline', card (for the HyperLogLogs), first-seen lifetime (s), the marker's lifetime (s), then one
# flag string per dimension: 'h' distinct cards, 'f' first seen (and fraud label).  The marker holds one
# character per dimension, '1' where the payment was the first seen: a repeated call adds nothing and
# answers as the first did.
# Returns per dimension: for each window count, amount, declines; then distinct cards and first seen (or -1),
# 1 when this payment saw it first, and 1 when it is labelled fraudulent.
_SCRIPT = """
local now, amount, what, card, keep = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local buckets = {{60, 10}, {300, 12}, {3600, 24}}
local marker = KEYS[#KEYS]
local counted = redis.call('GET', marker)
local add = counted == false
local news = ''
local out = {}
for i = 1, #KEYS - 1 do
  local base, flags = KEYS[i], ARGV[6 + i]
  for _, b in ipairs(buckets) do
    local size, slots = b[1], b[2]
    local key = base .. ':w' .. size
    local bucket = math.floor(now / size)
    local slot = bucket % slots
    if add then
      if tonumber(redis.call('HGET', key, 't' .. slot)) ~= bucket then
        redis.call('HSET', key, 't' .. slot, bucket, 'c' .. slot, 0, 'a' .. slot, 0, 'd' .. slot, 0)
      end
      if what == 'pay' then
        redis.call('HINCRBY', key, 'c' .. slot, 1)
        redis.call('HINCRBY', key, 'a' .. slot, amount)
      else
        redis.call('HINCRBY', key, 'd' .. slot, 1)
      end
      redis.call('EXPIRE', key, size * (slots + 1))
    end
    if what == 'pay' then
      local fields = redis.call('HGETALL', key)
      local row = {}
      for j = 1, #fields, 2 do row[fields[j]] = tonumber(fields[j + 1]) end
      local count, sum, declines = 0, 0, 0
      for s = 0, slots - 1 do
        local t = row['t' .. s]
        if t and t > bucket - slots then
          count, sum, declines = count + row['c' .. s], sum + row['a' .. s], declines + row['d' .. s]
        end
      end
      table.insert(out, count)
      table.insert(out, sum)
      table.insert(out, declines)
    end
  end
  if what == 'pay' then
    local distinct, first, new, fraud = -1, -1, 0, 0
    if string.find(flags, 'h', 1, true) then
      local hour = math.floor(now / 3600)
      if add and card ~= '' then
        redis.call('PFADD', base .. ':cards:' .. hour, card)
        redis.call('EXPIRE', base .. ':cards:' .. hour, 25 * 3600)
      end
      local hours = {}
      for h = hour - 23, hour do table.insert(hours, base .. ':cards:' .. h) end
      distinct = redis.call('PFCOUNT', unpack(hours))
    end
    if string.find(flags, 'f', 1, true) then
      if add and redis.call('SET', base .. ':first', now, 'NX', 'EX', keep) then
        first, new = now, 1
      else
        first = tonumber(redis.call('GET', base .. ':first')) or now
        if not add and string.sub(counted, i, i) == '1' then new = 1 end
      end
      fraud = redis.call('EXISTS', base .. ':fraud')
    end
    table.insert(out, distinct)
    table.insert(out, first)
    table.insert(out, new)
    table.insert(out, fraud)
    news = news .. new
  end
end
if add then redis.call('SET', marker, news, 'EX', ARGV[6]) end
return out
"""


class CountersUnavailable(Exception):
    """Redis could not be reached (or is not configured): evaluate without counters."""


@dataclasses.dataclass(frozen=True)
class Subject:
    """What a payment is counted under.

    Parameters:
      payment_id: The payment: counted once per call kind however often it is recorded.
      card: The card's fingerprint; email, ip, customer as the payment gives them (None: not given).
      amount_in_usd: The payment's amount in US cents (summed into ``*_amount_*``; 0 when not known).
    """

    merchant_id: str
    livemode: bool
    payment_id: str
    amount_in_usd: int
    card: str | None = None
    email: str | None = None
    ip: str | None = None
    customer: str | None = None

    def dimensions(self) -> dict[str, str]:
        """Dimension -> value, for those given (the merchant always)."""
        given = {"card": self.card, "email": self.email and self.email.lower()}
        given |= {"ip": self.ip and _address(self.ip), "customer": self.customer, "merchant": "all"}
        return {dim: value for dim, value in given.items() if value}


def digest(value: str) -> str:
    """What a dimension's value is keyed by (no email or address in clear), in Redis and in
    ``store.radar``'s fraud labels."""
    return hashlib.blake2b(value.encode(), digest_size=12).hexdigest()


def fraud_digests(subject: Subject) -> dict[str, str]:
    """The card, email and IP address of ``subject`` a fraud label names: dimension -> ``digest``."""
    return {dim: digest(value) for dim, value in subject.dimensions().items() if dim in FIRST_SEEN}


def _address(ip: str) -> str:
    """One key per address however it is written (``::1`` and ``0:0::1``)."""
    try:
        return normalize("ip_address", ip)
    except ValueError:
        return ip


class Counters:
    """Parameters:
    client: A ``redis.Redis``; None: no Redis configured (every call raises ``CountersUnavailable``).
    prefix: The deployment's key prefix (``PAYWAVE_CACHE_PREFIX``).
    """

    def __init__(self, client: redis.Redis | None, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_SCRIPT) if client is not None else None

    @classmethod
    def from_config(cls, config: Config) -> "Counters":
        if not config.redis_url:
            return cls(None, config.cache_prefix)
        client = redis.Redis.from_url(config.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25)
        return cls(client, config.cache_prefix)

    def _base(self, merchant_id: str, livemode: bool, dim: str, digest: str) -> str:
        return f"{self.prefix}radar:{{{merchant_id}:{mode(livemode)}}}:{dim}:{digest}"

    def _run(self, subject: Subject, dims: dict[str, str], what: str, now: float | None) -> list[int]:
        if self._script is None:
            raise CountersUnavailable("no Redis configured (PAYWAVE_REDIS_URL)")
        keys = [
            self._base(subject.merchant_id, subject.livemode, dim, digest(value))
            for dim, value in dims.items()
        ]
        counted = f"{what}:{subject.payment_id}"
        keys.append(self._base(subject.merchant_id, subject.livemode, "counted", counted))
        flags = [("h" if dim in DISTINCT_CARDS else "") + ("f" if dim in FIRST_SEEN else "") for dim in dims]
        at = int(time.time() if now is None else now)
        args: list[str | int] = [at, subject.amount_in_usd, what, subject.card or "", FIRST_SEEN_DAYS * 86400]
        args.append(COUNTED_SECONDS)
        try:
            return list(self._script(keys=keys, args=[*args, *flags]))
        except redis.RedisError as exc:
            raise CountersUnavailable(f"Redis: {type(exc).__name__}: {exc}") from exc

    def record(self, subject: Subject, now: float | None = None) -> dict[str, int | bool]:
        """Count the payment and read its velocity signals, in one round trip.

        Parameters:
          now: Unix time (tests move it); default the clock.

        Returns:
          The ``shared.radar.attributes`` velocity signals of the dimensions given.

        Raises:
          CountersUnavailable.
        """
        dims = subject.dimensions()
        values = iter(self._run(subject, dims, "pay", now))
        at = int(time.time() if now is None else now)
        signals: dict[str, int | bool] = {}
        for dim in dims:
            for window in WINDOWS:
                signals[f"{dim}_count_{window}"] = next(values)
                signals[f"{dim}_amount_{window}"] = next(values)
                declines = next(values)
                if dim in DECLINE_DIMENSIONS:
                    signals[f"{dim}_decline_count_{window}"] = declines
            distinct, first, new, fraud = next(values), next(values), next(values), next(values)
            if dim in DISTINCT_CARDS:
                signals[f"distinct_cards_per_{dim}_24h"] = distinct
            if dim in FIRST_SEEN:
                signals[f"is_new_{dim}"] = new == 1
                signals[f"{dim}_first_seen_age_days"] = (at - first) // 86400
                signals[f"{dim}_seen_as_fraud"] = fraud == 1
        return signals

    def record_decline(self, subject: Subject, now: float | None = None) -> None:
        """Count a declined payment for its card and IP address.

        Raises:
          CountersUnavailable.
        """
        dims = {dim: value for dim, value in subject.dimensions().items() if dim in DECLINE_DIMENSIONS}
        if dims:
            self._run(subject, dims, "decline", now)

    def label_fraud(self, merchant_id: str, livemode: bool, labels: Iterable[Sequence[str]]) -> None:
        """Label cards, emails or IP addresses fraudulent for the merchant and mode (``*_seen_as_fraud``),
        for ``FRAUD_DAYS``, in one round trip.

        Parameters:
          labels: ``(dimension, digest of its value)`` pairs (``fraud_digests``).

        Raises:
          CountersUnavailable.
        """
        if self.client is None:
            raise CountersUnavailable("no Redis configured (PAYWAVE_REDIS_URL)")
        pipe = self.client.pipeline(transaction=False)
        for dim, value in labels:
            pipe.set(self._base(merchant_id, livemode, dim, value) + ":fraud", 1, ex=FRAUD_DAYS * 86400)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            raise CountersUnavailable(f"Redis: {type(exc).__name__}: {exc}") from exc
