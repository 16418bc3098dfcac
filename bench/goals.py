"""Issue 17's goals, judged from one run: each a ratio to a floor of the same run, a count or a time."""

#: ``{summary key: (at least | at most, bound, what is measured)}``
GOALS = {
    "post_over_accept_floor_c32": (
        "at least",
        0.8,
        "POST /payments req/s over the durable accept floor's, wrk c=32",
    ),
    "post_non2xx_c32": ("at most", 0, "POST /payments answers not 2xx (or no answer), wrk c=32"),
    "post_p99_over_floor_p99_at_half_max": (
        "at most",
        1.5,
        "POST /payments p99 over the accept floor's, both at half PayWave's max rate",
    ),
    "get_cache_hit_over_bare_get": (
        "at least",
        0.6,
        "GET /payments/{id} cache hit req/s over bare Falcon GET's",
    ),
    "e2e_over_charge_floor": (
        "at least",
        0.5,
        "end to end payments/s (sandbox 0 ms) over the charge floor's",
    ),
    "sql_round_trips_per_charge": ("at most", 5, "SQL round trips per successful charge, counted"),
    "final_p50_ms_at_20": ("at most", 60, "time to final status p50 (ms) at 20/s"),
    "final_p99_ms_at_20": ("at most", 250, "time to final status p99 (ms) at 20/s"),
}
#: Figures the issue asks for beside the goals, with no bound of their own.
REPORTED = {
    "final_rate_half_max": "half the end-to-end maximum (payments/s)",
    "final_p50_ms_at_half_max": "time to final status p50 (ms) there",
    "final_p99_ms_at_half_max": "time to final status p99 (ms) there",
}


def summarize(results: dict, connections: list[int]) -> dict:
    """The run's ratios to its floors and the figures the goals are about, from ``results`` (the scenarios'
    rows) measured at wrk's ``connections``."""
    return {**_http(results, connections), **_payments(results), **_parts(results)}


def _http(results: dict, connections: list[int]) -> dict:
    summary: dict = {}
    for c in connections:
        rows = {r["target"]: r for r in results["post"] if r["connections"] == c}
        for floor in ("accept_floor", "bare_falcon"):
            if "post_payments" in rows and floor in rows:
                ratio = rows["post_payments"]["rps"] / rows[floor]["rps"]
                summary[f"post_over_{floor}_c{c}"] = round(ratio, 3)
        if "post_payments" in rows:
            summary[f"post_non2xx_c{c}"] = rows["post_payments"]["non2xx"] + rows["post_payments"]["errors"]
    rate = {r["target"]: r for r in results["rate"]}
    if {"post_payments", "accept_floor"} <= rate.keys():
        summary["post_p99_ms_at_half_max"] = rate["post_payments"]["p99_ms"]
        summary["floor_p99_ms_at_half_max"] = rate["accept_floor"]["p99_ms"]
        summary["post_p99_over_floor_p99_at_half_max"] = round(
            rate["post_payments"]["p99_ms"] / rate["accept_floor"]["p99_ms"], 2
        )
    get = {r["target"]: r for r in results["get"]}
    if {"cache_hit", "bare_falcon"} <= get.keys():
        summary["get_cache_hit_over_bare_get"] = round(get["cache_hit"]["rps"] / get["bare_falcon"]["rps"], 3)
    return summary


def _payments(results: dict) -> dict:
    summary: dict = {}
    e2e = [r for r in results["e2e"] if r["gateway_latency_ms"] == 0]
    if e2e and results["charge_floor"]:
        summary["e2e_payments_per_s"] = e2e[0]["payments_per_s"]
        summary["charge_floor_payments_per_s"] = results["charge_floor"][0]["payments_per_s"]
        summary["e2e_over_charge_floor"] = round(
            e2e[0]["payments_per_s"] / results["charge_floor"][0]["payments_per_s"], 3
        )
    for row in results["round_trips"]:
        if row["target"] in ("post_payments", "stripe_pool"):
            unit = "post" if row["kind"] == "POST" else "charge"
            summary[f"sql_round_trips_per_{unit}"] = row["sql"]
            summary[f"redis_round_trips_per_{unit}"] = row["redis"]
    for row in results["final"]:
        suffix = "20" if row["label"] == "steady" else "half_max"
        summary[f"final_rate_{suffix}"] = round(row["rate"], 1)
        for p in ("p50", "p99", "max"):
            summary[f"final_{p}_ms_at_{suffix}"] = row["to_final"][f"{p}_ms"]
    return summary


def _parts(results: dict) -> dict:
    """The fraud decision's cost, and the backlog drain beside the no-op actor."""
    summary: dict = {}
    for row in results["radar"]:
        summary["radar_cpu_ms_per_payment"] = row["cpu_ms_per_payment"]
        summary["radar_share_of_worker_cpu"] = row["share_of_worker_cpu"]
        summary["radar_redis_round_trips_per_payment"] = row["redis_round_trips_per_payment"]
        summary["radar_within_1ms_and_1_round_trip"] = (
            row["cpu_ms_per_payment"] <= 1 and row["redis_round_trips_per_payment"] <= 1
        )
    for row in results["drain"]:
        summary[f"drain_over_noop_p{row['processes']}"] = row["ratio"]
    return summary


def goals(summary: dict) -> dict:
    """``{goal: "<value> (<at least|at most> <bound>): met|NOT met"}`` for each goal (``GOALS``) this run
    measured."""
    judged = {}
    for key, (way, bound, _) in GOALS.items():
        if key in summary:
            value = summary[key]
            met = value >= bound if way == "at least" else value <= bound
            judged[key] = f"{value} ({way} {bound}): {'met' if met else 'NOT met'}"
    return judged


def verdicts(summary: dict) -> list[str]:
    """One line per goal, measured or not in this run (``--only``), then the figures reported beside them."""
    judged = goals(summary)
    lines = [f"{what}: {judged.get(key, 'not measured in this run')}" for key, (_, _, what) in GOALS.items()]
    lines += [f"{what}: {summary[key]}" for key, what in REPORTED.items() if key in summary]
    return lines
