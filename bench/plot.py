"""Plot a bench result file: ``python -m bench.plot bench/results/<file>.json`` writes a PNG beside it."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

POST_TARGETS = ("bare_falcon", "accept_floor", "post_payments")


def plot(path):
    """Throughput and latency per scenario, each beside its floor. Returns the PNG's path."""
    with open(path) as f:
        results = json.load(f)["results"]
    fig, (rps, rate, charge, final) = plt.subplots(1, 4, figsize=(20, 4.5))
    post = results.get("post", [])
    levels = sorted({r["connections"] for r in post})
    for offset, target in zip((-0.27, 0, 0.27), POST_TARGETS, strict=True):
        rows = {r["connections"]: r for r in post if r["target"] == target}
        xs = [i + offset for i, c in enumerate(levels) if c in rows]
        rps.bar(xs, [rows[c]["rps"] for c in levels if c in rows], width=0.27, label=target)
    rps.set_xticks(range(len(levels)), [f"c={c}" for c in levels])
    rps.set_title("POST requests/s (wrk)")
    rps.legend()
    rows = results.get("rate", [])
    for offset, row in zip((-0.2, 0.2), rows, strict=False):
        rate.bar(
            [i + offset for i in range(3)],
            [row["p50_ms"], row["p99_ms"], row["p999_ms"]],
            width=0.4,
            label=f"{row['target']} at {row['achieved_rps']:.0f}/s",
        )
    rate.set_xticks(range(3), ["p50", "p99", "p99.9"])
    rate.set_yscale("log")
    rate.set_title("POST latency (ms) at half of PayWave's max (hey)")
    if rows:
        rate.legend()
    bars = [(f"e2e, {r['gateway_latency_ms']} ms", r["payments_per_s"]) for r in results.get("e2e", [])]
    bars += [("charge floor", r["payments_per_s"]) for r in results.get("charge_floor", [])]
    charge.bar([b[0] for b in bars], [b[1] for b in bars], color=["C2"] * (len(bars) - 1) + ["C1"])
    charge.set_title("Payments/s to final status (1 process)")
    rows = results.get("final", [])
    for offset, row in zip((-0.2, 0.2), rows, strict=False):
        final.bar(
            [i + offset for i in range(3)],
            [row["to_final"][p] for p in ("p50_ms", "p99_ms", "max_ms")],
            width=0.4,
            label=f"at {row['rate']:.0f}/s",
        )
    final.axhline(250, color="red", linestyle="--", label="goal: p99 250 ms at 20/s")
    final.axhline(60, color="orange", linestyle="--", label="goal: p50 60 ms at 20/s")
    final.set_xticks(range(3), ["p50", "p99", "max"])
    final.set_yscale("log")
    final.set_title("Time to final status (ms), sandbox 0 ms")
    final.legend()
    fig.tight_layout()
    out = path.rsplit(".", 1)[0] + ".png"
    fig.savefig(out, dpi=90)
    return out


if __name__ == "__main__":
    print(plot(sys.argv[1]))
