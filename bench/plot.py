"""Plot a bench result file: ``python -m bench.plot bench/results/<file>.json`` writes a PNG beside it."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench.rate import TARGET_P99_MS  # noqa: E402


def plot(path):
    """Throughput and latency per scenario, each beside its baseline. Returns the PNG's path."""
    with open(path) as f:
        results = json.load(f)["results"]
    fig, (rps, lat, rate, drain) = plt.subplots(1, 4, figsize=(20, 4.5))
    post = results.get("post", [])
    levels = sorted({r["connections"] for r in post})
    for offset, target in ((-0.2, "bare_falcon"), (0.2, "post_payments")):
        rows = {r["connections"]: r for r in post if r["target"] == target}
        xs = [i + offset for i, c in enumerate(levels) if c in rows]
        rps.bar(xs, [rows[c]["rps"] for c in levels if c in rows], width=0.4, label=target)
        lat.plot(
            [str(c) for c in levels if c in rows],
            [rows[c]["p99_ms"] for c in levels if c in rows],
            marker="o",
            label=f"{target} p99",
        )
    rps.set_xticks(range(len(levels)), [f"c={c}" for c in levels])
    rps.set_title("POST requests/s (wrk)")
    rps.legend()
    lat.set_title("POST latency p99 (ms) by concurrency")
    lat.set_yscale("log")
    lat.legend()
    for offset, row in zip((-0.2, 0.2), results.get("rate", []), strict=False):
        rate.bar(
            [i + offset for i in range(3)],
            [row["p50_ms"], row["p99_ms"], row["p999_ms"]],
            width=0.4,
            label=f"{row['target']} at {row['achieved_rps']:.0f}/s",
        )
    rate.axhline(TARGET_P99_MS, color="red", linestyle="--", label=f"target: POST p99 {TARGET_P99_MS} ms")
    rate.set_xticks(range(3), ["p50", "p99", "p99.9"])
    rate.set_yscale("log")
    rate.set_title("Latency (ms) at half of the max rate (hey)")
    rate.legend()
    rows = results.get("drain", [])
    procs = [str(r["processes"]) for r in rows]
    drain.bar(procs, [r["noop_per_s"] for r in rows], label="no-op actor msg/s", alpha=0.5)
    drain.bar(procs, [r["payments_per_s"] for r in rows], label="payments/s (Stripe sandbox)")
    drain.set_yscale("log")
    drain.set_xlabel("worker processes")
    drain.set_title(f"Backlog drain ({rows[0]['backlog'] if rows else 0} messages)")
    drain.legend()
    fig.tight_layout()
    out = path.rsplit(".", 1)[0] + ".png"
    fig.savefig(out, dpi=90)
    return out


if __name__ == "__main__":
    print(plot(sys.argv[1]))
