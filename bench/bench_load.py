"""Load benchmark: the app under gunicorn on PostgreSQL and Redis, driven by locust.

The demo student is scaled up (8 courses, 200 topics, 10,000 performance records, 500 study
tasks; see bench/load_seed.py) in a database of its own. Each endpoint then gets 50 users in a
closed loop for a few seconds, one endpoint at a time, and is reported against the floor:
`GET /api/ping`, an authenticated DRF view doing a single query, measured in the same run
(at the start and again at the end, to show how much the machine drifted meanwhile).

    floor ratio = floor req/s ÷ endpoint req/s

so 1.0 means "as cheap as the cheapest authenticated request", 4.0 "costs four floors".
The dashboard runs twice, with its Redis fragment cache off and on, when the settings offer
`DASHBOARD_CACHE_ENABLED`.

Pages authenticate with a session cookie, the API with a bearer token. Follow-up Celery work
(mastery recompute after a POST) is enqueued to Redis as in production but not consumed, so
the figures are the web tier's alone. Times are printed, never asserted; ratios travel better
between machines than absolute numbers.

Run: `.venv/bin/python -m bench bench_load` (needs PostgreSQL and Redis; see bench/loadkit.py).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass

from bench import loadkit

USERS = 50
RUN_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "10"))
# gunicorn's own guidance for sync workers: two per core plus one.
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
WARMUP_REQUESTS = 2 * WORKERS


@dataclass(frozen=True)
class Target:
    label: str
    method: str
    path: str
    auth: str  # "token" for the API, "session" for pages
    expect: int = 200
    body: str | None = None


@dataclass
class Measured:
    requests_per_second: float
    p50: float
    p95: float
    p99: float
    requests: int
    failures: int

    @property
    def error_percent(self) -> float:
        return 100 * self.failures / self.requests


def targets(seed: dict) -> list[Target]:
    performance = {
        "course": seed["course_id"],
        "score": 7,
        "max_score": 10,
        "time_spent_min": 15,
        "topic_breakdown": {
            topic_id: {"correct": 2, "total": 3, "time_min": 5} for topic_id in seed["topic_ids"]
        },
    }
    return [
        Target("dashboard", "GET", "/", "session"),
        Target("week", "GET", "/plan/", "session"),
        Target("courses", "GET", "/api/courses", "token"),
        Target("mastery topics", "GET", "/api/mastery/topics", "token"),
        Target("reviews due", "GET", "/api/mastery/reviews/due", "token"),
        # Last: every request adds a record, and the reads above should see the seeded state.
        Target("performance", "POST", "/api/performance", "token", 201, json.dumps(performance)),
    ]


FLOOR = Target("floor", "GET", "/api/ping", "token")


def _headers(target: Target, seed: dict) -> dict[str, str]:
    if target.auth == "token":
        headers = {"Authorization": f"Bearer {seed['token']}", "Accept": "application/json"}
    else:
        headers = {"Cookie": seed["session_cookie"]}
    if target.body:
        headers["Content-Type"] = "application/json"
    return headers


def _warm_up(base: str, target: Target, seed: dict) -> None:
    """Each worker opens its database connection and fills its caches before the clock runs."""
    for _ in range(WARMUP_REQUESTS):
        request = urllib.request.Request(
            base + target.path,
            method=target.method,
            headers=_headers(target, seed),
            data=target.body.encode() if target.body else None,
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status != target.expect:
                raise RuntimeError(f"{target.method} {target.path} answered {response.status}")


def _locust(base: str, target: Target, seed: dict, tag: str) -> Measured:
    _warm_up(base, target, seed)
    prefix = loadkit.OUT_DIR / f"locust_{tag}"
    env = dict(
        os.environ,
        BENCH_METHOD=target.method,
        BENCH_PATH=target.path,
        BENCH_HEADERS=json.dumps(_headers(target, seed)),
        BENCH_BODY=target.body or "",
        BENCH_EXPECT=str(target.expect),
    )
    command = [
        loadkit.PYTHON,
        "-m",
        "locust",
        "-f",
        str(loadkit.BENCH_DIR / "locustfile.py"),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        str(USERS),
        "--run-time",
        f"{RUN_SECONDS}s",
        "--stop-timeout",
        "3",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    process = loadkit.start(command, env=env, log_name=f"locust_{tag}.log")
    try:
        process.wait(timeout=RUN_SECONDS + 60)
    finally:
        loadkit.stop(process)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == target.path)
    requests = int(row["Request Count"])
    if not requests:
        raise RuntimeError(f"locust made no requests to {target.path}; see {prefix}.log")
    return Measured(
        requests_per_second=float(row["Requests/s"]),
        p50=float(row["50%"]),
        p95=float(row["95%"]),
        p99=float(row["99%"]),
        requests=requests,
        failures=int(row["Failure Count"]),
    )


def _serve(**extra_env: str) -> tuple[subprocess.Popen, str]:
    port = loadkit.free_port()
    command = [
        loadkit.PYTHON,
        "-m",
        "gunicorn",
        "planner.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    server = loadkit.start(command, env=loadkit.app_env(**extra_env), log_name="gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        loadkit.wait_http_ok(base + "/healthz", process=server)
    except Exception:
        loadkit.stop(server)
        raise
    return server, base


def _say(message: str) -> None:
    print(f"  load: {message}", file=sys.stderr, flush=True)


def measure() -> tuple[dict, dict[str, Measured], dict[str, Measured]]:
    """Seed, serve, drive. Returns the seed facts, the figures with the production default
    (cache on), and the uncached dashboard figures when the setting exists."""
    seed = loadkit.prepare(fresh=True)
    _say(f"seeded {seed['counts']}")
    results: dict[str, Measured] = {}
    uncached: dict[str, Measured] = {}
    server = None
    try:
        loadkit.flush_bench_redis()
        dashboard = targets(seed)[0]
        if seed["has_dashboard_cache_setting"]:
            server, base = _serve(DASHBOARD_CACHE_ENABLED="false")
            uncached["dashboard"] = _locust(base, dashboard, seed, "dashboard_uncached")
            _say(f"dashboard uncached: {uncached['dashboard'].requests_per_second:.0f} req/s")
            loadkit.stop(server)
        server, base = _serve(DASHBOARD_CACHE_ENABLED="true")
        results["floor (start)"] = _locust(base, FLOOR, seed, "floor_start")
        for target in targets(seed):
            results[target.label] = _locust(base, target, seed, target.label.replace(" ", "_"))
            _say(f"{target.label}: {results[target.label].requests_per_second:.0f} req/s")
        results["floor (end)"] = _locust(base, FLOOR, seed, "floor_end")
    finally:
        loadkit.stop(server)
        # The POSTs' queued recomputes and the cached pages are the bench's alone.
        loadkit.flush_bench_redis()
    return seed, results, uncached


def _endpoint_rows(endpoint: str, measured: Measured, floor_rps: float) -> list[dict]:
    return [
        {
            "name": f"{endpoint}: throughput",
            "value": round(measured.requests_per_second, 1),
            "unit": "req/s",
            "endpoint": endpoint,
            "column": "req/s",
        },
        {
            "name": f"{endpoint}: floor ratio",
            "value": round(floor_rps / measured.requests_per_second, 2),
            "unit": "x (floor req/s / endpoint req/s)",
            "endpoint": endpoint,
            "column": "x floor",
        },
        {
            "name": f"{endpoint}: latency p50",
            "value": round(measured.p50),
            "unit": "ms",
            "endpoint": endpoint,
            "column": "p50 ms",
        },
        {
            "name": f"{endpoint}: latency p95",
            "value": round(measured.p95),
            "unit": "ms",
            "endpoint": endpoint,
            "column": "p95 ms",
        },
        {
            "name": f"{endpoint}: latency p99",
            "value": round(measured.p99),
            "unit": "ms",
            "endpoint": endpoint,
            "column": "p99 ms",
        },
        {
            "name": f"{endpoint}: errors",
            "value": round(measured.error_percent, 2),
            "unit": f"% of {measured.requests} requests",
            "endpoint": endpoint,
            "column": "err %",
        },
    ]


ENDPOINT_NAMES = {
    "floor": "GET /api/ping (floor)",
    "dashboard": "GET / (dashboard)",
    "week": "GET /plan/ (week)",
    "courses": "GET /api/courses",
    "mastery topics": "GET /api/mastery/topics",
    "reviews due": "GET /api/mastery/reviews/due",
    "performance": "POST /api/performance",
}


def run() -> list[dict]:
    if os.environ.get("BENCH_LOCUST") != "1":
        # locust is Python and takes half of a 2-core machine from the servers it measures;
        # bench_wrk gives the load figures. This older run stays for comparison, on demand.
        return [
            {"name": "locust load benchmark", "value": "skipped", "unit": "BENCH_LOCUST=1 runs it"}
        ]
    problem = loadkit.services_problem()
    if problem:
        return [{"name": "load benchmark", "value": "FAILED", "unit": problem}]
    seed, results, uncached = measure()
    floor_start = results.pop("floor (start)")
    floor_end = results.pop("floor (end)")
    floor = Measured(
        requests_per_second=(floor_start.requests_per_second + floor_end.requests_per_second) / 2,
        p50=(floor_start.p50 + floor_end.p50) / 2,
        p95=(floor_start.p95 + floor_end.p95) / 2,
        p99=(floor_start.p99 + floor_end.p99) / 2,
        requests=floor_start.requests + floor_end.requests,
        failures=floor_start.failures + floor_end.failures,
    )
    counts = seed["counts"]
    rows = [
        {
            "name": "setup",
            "value": f"{counts['courses']} courses, {counts['topics']} topics, "
            f"{counts['records']} records, {counts['tasks']} tasks",
            "unit": f"gunicorn {WORKERS} sync workers, {USERS} users, {RUN_SECONDS} s each",
        },
        {
            "name": "floor drift (end req/s / start req/s)",
            "value": round(floor_end.requests_per_second / floor_start.requests_per_second, 2),
            "unit": "x",
        },
    ]
    rows += _endpoint_rows(ENDPOINT_NAMES["floor"], floor, floor.requests_per_second)
    for label, measured in results.items():
        rows += _endpoint_rows(ENDPOINT_NAMES[label], measured, floor.requests_per_second)
    if "dashboard" in uncached:
        cold = uncached["dashboard"]
        rows += _endpoint_rows("GET / (dashboard, cache off)", cold, floor.requests_per_second)
        rows.append(
            {
                "name": "dashboard cache on / off (throughput)",
                "value": round(
                    results["dashboard"].requests_per_second / cold.requests_per_second, 2
                ),
                "unit": "x",
            }
        )
    else:
        rows.append(
            {
                "name": "dashboard cache on / off",
                "value": "n/a",
                "unit": "DASHBOARD_CACHE_ENABLED is not a setting yet: figures are uncached",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']}")
