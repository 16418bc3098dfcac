"""Latency at a fixed request rate, with hey.

hey's ``-q`` is a rate per worker, and every worker ticks from the same instant: one hey with ``-c 16`` sends
its requests in bursts of 16, and the last of each burst waits for the other 15. So each worker here is a hey
of its own (``-c 1``), each started a fraction of the period after the one before, and the requests arrive
evenly spaced. A worker still waits for an answer before it sends again: a rate the server cannot keep up
shows as an achieved rate below the offered one, and requests that got no answer at all (refused, timed out)
leave no row in hey's CSV, so they show there too.
"""

import csv
import math

from bench.cpu import measure


def split(rate, most=16):
    """hey's workers and rate per worker (``-c`` and ``-q``, a whole number) whose product is nearest
    ``rate``.

    Between half of ``most`` and ``most`` workers, the most of those within 1% of ``rate`` (or the nearest):
    the more workers, the longer each one's period, so the later a slow answer holds back its next request.

    Returns:
      ``(workers, qps)``
    """
    n = max(1, round(rate))
    candidates = ((c, max(1, round(rate / c))) for c in range(min(n, most), min(n, most // 2) - 1, -1))
    return min(candidates, key=lambda cq: int(abs(cq[0] * cq[1] - rate) / max(1.0, rate / 100)))


def percentile(ordered, p):
    """Nearest-rank percentile ``p`` (0 to 100) of the ascending list ``ordered``."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def fixed_rate(url, rate, seconds, headers, body, sampler):
    """POST ``body`` to ``url`` at ``rate`` requests/s for ``seconds``.

    Parameters:
      headers: Extra request headers (``{name: value}``); the body is sent as JSON.
      sampler: A ``bench.cpu.CpuSampler`` to run hey in.
    Returns:
      A row: the offered and achieved rates, latency percentiles in ms, non-2xx answers, CPU use.
    """
    workers, qps = split(rate)
    argv = [
        "hey",
        "-z",
        f"{seconds}s",
        "-c",
        "1",
        "-q",
        str(qps),
        "-cpus",
        "1",
        "-m",
        "POST",
        "-T",
        "application/json",
        "-d",
        body,
        "-o",
        "csv",
        *(arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")),
        url,
    ]
    outputs, cpu = measure([argv] * workers, sampler, gap=1 / (workers * qps))
    rows = [row for out in outputs for row in csv.DictReader(out.splitlines())]
    if not rows:
        raise RuntimeError(f"hey got no answer from {url}")
    ms = sorted(round(float(row["response-time"]) * 1000, 1) for row in rows)  # hey prints 0.1 ms steps
    return {
        "target_rps": round(rate, 1),
        "workers": workers,
        "per_worker_qps": qps,
        "offered_rps": workers * qps,
        "achieved_rps": round(len(rows) / seconds, 1),
        "requests": len(rows),
        "non2xx": sum(not 200 <= int(row["status-code"]) < 300 for row in rows),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "p999_ms": percentile(ms, 99.9),
        "max_ms": ms[-1],
        "cpu": cpu,
    }
