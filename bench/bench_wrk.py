"""Load benchmark with wrk: each endpoint's throughput as a share of the framework's floor.

The scaled student (bench/scaled.py at the bench's size: 8 courses, 200 topics, 10,000
records, 500 tasks) is served by gunicorn as the Procfile runs it (2 workers, 4 threads each,
`DEBUG=false`, PostgreSQL, Redis), and beside it the floor (bench/floor_app.py: bare Django +
DRF, one query, no middleware) under the same gunicorn settings. wrk (`apt-get install wrk`)
drives each with 8 connections on 2 threads: a load generator written in C, so it leaves the
2-core machine's CPU to the servers, where a Python one would take half of it.

Rounds are interleaved (floor, then every endpoint, then the next round), and every ratio is
taken against the floor measured in the same round, so a machine that slows down during the
run (other work on shared cores) shifts both sides alike. The report gives per endpoint the
median share of the floor over the rounds, the median req/s, and the worst p99 latency.

    share of the floor = endpoint req/s / floor req/s (same round)

Targets: /api/ping >= 0.6, API lists >= 0.4, dashboard and week >= 0.2, other
pages >= 0.1, p99 < 300 ms at 8 connections.

Run: `.venv/bin/python -m bench bench_wrk` (needs PostgreSQL, Redis and wrk).
BENCH_WRK_SECONDS (default 5) and BENCH_WRK_ROUNDS (default 3) size the run.
BENCH_WRK_ONLY=<text> keeps the endpoints whose label contains that text (the floor always runs).
BENCH_COMPARE_ROOT=<a checkout of another revision> serves that revision too, on the same
database, and measures it in the same rounds ("before" rows): a before/after table whose two
sides and floor share every minute of the run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass

from bench import loadkit

CONNECTIONS = 8
THREADS = 2
SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_WRK_ROUNDS", "3"))
# The Procfile's web process: gunicorn with WEB_CONCURRENCY=2 workers of 4 threads.
GUNICORN_WORKERS = os.environ.get("BENCH_GUNICORN_WORKERS", "2")
GUNICORN_THREADS = os.environ.get("BENCH_GUNICORN_THREADS", "4")
COMPARE_ROOT = os.environ.get("BENCH_COMPARE_ROOT", "")
ONLY = os.environ.get("BENCH_WRK_ONLY", "")
BEFORE = " (before)"
P99_TARGET_MS = 300.0


@dataclass(frozen=True)
class Endpoint:
    label: str
    path: str
    auth: str  # "token", "session" or "none" (the floor)
    target: float  # the share of the floor to reach
    method: str = "GET"
    body: str | None = None


def endpoints(seed: dict) -> list[Endpoint]:
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
        Endpoint("GET /api/ping", "/api/ping", "token", 0.6),
        Endpoint("GET /api/courses", "/api/courses", "token", 0.4),
        Endpoint("GET /api/mastery/topics", "/api/mastery/topics", "token", 0.4),
        Endpoint("GET /api/mastery/reviews/due", "/api/mastery/reviews/due", "token", 0.4),
        Endpoint("GET /api/schedule", "/api/schedule", "token", 0.4),
        Endpoint("GET / (dashboard)", "/", "session", 0.2),
        Endpoint("GET /plan/ (week)", "/plan/", "session", 0.2),
        Endpoint("GET /plan/at-risk", "/plan/at-risk", "session", 0.1),
        Endpoint("GET /stats/", "/stats/", "session", 0.1),
        Endpoint("GET /mastery/", "/mastery/", "session", 0.1),
        Endpoint("GET /grades/", "/grades/", "session", 0.1),
        # Last in each round: every request adds a record (its recompute is queued, not run).
        Endpoint(
            "POST /api/performance",
            "/api/performance",
            "token",
            0.1,
            method="POST",
            body=json.dumps(performance),
        ),
    ]


FLOOR = Endpoint("floor (bare DRF, one query)", "/floor", "none", 1.0)


@dataclass
class Run:
    requests_per_second: float
    p99_ms: float
    non_2xx: int


def _headers(endpoint: Endpoint, seed: dict) -> list[str]:
    if endpoint.auth == "token":
        return [f"Authorization: Bearer {seed['token']}", "Accept: application/json"]
    if endpoint.auth == "session":
        return [f"Cookie: {seed['session_cookie']}"]
    return []


def _script(endpoint: Endpoint) -> str | None:
    if endpoint.method == "GET":
        return None
    loadkit.OUT_DIR.mkdir(exist_ok=True)
    path = loadkit.OUT_DIR / "wrk_post.lua"
    path.write_text(
        f"wrk.method = {json.dumps(endpoint.method)}\n"
        f"wrk.body = {json.dumps(endpoint.body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return str(path)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS_MS[unit]


def wrk(base: str, endpoint: Endpoint, seed: dict) -> Run:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{SECONDS}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for header in _headers(endpoint, seed):
        command += ["-H", header]
    script = _script(endpoint)
    if script:
        command += ["-s", script]
    command.append(base + endpoint.path)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _ms(re.search(r"\s99%\s+([\d.]+(?:us|ms|s))", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Run(rps, p99, int(non_2xx.group(1)) if non_2xx else 0)


# After a run, requests wrk gave up on may still hold the server's threads; the next run waits
# until the server answers a probe promptly again, so it does not pay for the previous one.
DRAIN_PROBE_TIMEOUT_S = 1.0
DRAIN_DEADLINE_S = 120.0


def _drain(base: str) -> None:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + DRAIN_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=DRAIN_PROBE_TIMEOUT_S):
                return
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            time.sleep(0.5)


def _gunicorn(
    app: str, *, env: dict[str, str], log_name: str, root: str | None = None
) -> tuple[subprocess.Popen, str]:
    port = loadkit.free_port()
    command = [
        loadkit.PYTHON,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        GUNICORN_WORKERS,
        "--threads",
        GUNICORN_THREADS,
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    if root:
        # Another revision's code, with its own imports first on the path.
        env = {**env, "PYTHONPATH": root}
    server = loadkit.start(command, env=env, log_name=log_name, cwd=root)
    return server, f"http://127.0.0.1:{port}"


def _warm(base: str, endpoint: Endpoint, seed: dict) -> None:
    """Each worker opens its connections and fills its caches before the clock runs."""
    import urllib.request

    for _ in range(int(GUNICORN_WORKERS) * int(GUNICORN_THREADS)):
        request = urllib.request.Request(
            base + endpoint.path,
            method=endpoint.method,
            headers=dict(h.split(": ", 1) for h in _headers(endpoint, seed))
            | ({"Content-Type": "application/json"} if endpoint.body else {}),
            data=endpoint.body.encode() if endpoint.body else None,
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def measure() -> tuple[dict, dict[str, list[Run]], list[Run]]:
    seed = loadkit.prepare(fresh=False)
    app_env = loadkit.app_env()
    project, project_base = _gunicorn(
        "planner.wsgi:application", env=app_env, log_name="wrk_app.log"
    )
    floor, floor_base = _gunicorn(
        "bench.floor_app:application", env=app_env, log_name="wrk_floor.log"
    )
    before, before_base = None, None
    if COMPARE_ROOT:
        before, before_base = _gunicorn(
            "planner.wsgi:application", env=app_env, log_name="wrk_before.log", root=COMPARE_ROOT
        )
    runs: dict[str, list[Run]] = {}
    floors: list[Run] = []
    try:
        loadkit.wait_http_ok(project_base + "/healthz", process=project)
        loadkit.wait_http_ok(floor_base + FLOOR.path, process=floor)
        targets = [e for e in endpoints(seed) if ONLY in e.label]
        servers = [("", project_base)]
        if before is not None:
            loadkit.wait_http_ok(before_base + "/healthz", process=before)
            servers.append((BEFORE, before_base))
        for _, base in servers:
            for endpoint in targets:
                _warm(base, endpoint, seed)
        _warm(floor_base, FLOOR, seed)
        for number in range(ROUNDS):
            floors.append(wrk(floor_base, FLOOR, seed))
            print(
                f"  wrk round {number + 1}: floor {floors[-1].requests_per_second:.0f} req/s",
                file=sys.stderr,
                flush=True,
            )
            for endpoint in targets:
                for suffix, base in servers:
                    runs.setdefault(endpoint.label + suffix, []).append(wrk(base, endpoint, seed))
                    _drain(base)
    finally:
        loadkit.stop(project)
        loadkit.stop(floor)
        loadkit.stop(before)
        loadkit.flush_bench_redis()
    return seed, runs, floors


def run() -> list[dict]:
    problem = loadkit.services_problem()
    if problem:
        return [{"name": "wrk benchmark", "value": "FAILED", "unit": problem}]
    if shutil.which("wrk") is None:
        return [{"name": "wrk benchmark", "value": "FAILED", "unit": "wrk is not installed"}]
    seed, runs, floors = measure()
    counts = seed["counts"]
    rows = [
        {
            "name": "wrk setup",
            "value": f"{counts['courses']} courses, {counts['topics']} topics, "
            f"{counts['records']} records, {counts['tasks']} tasks",
            "unit": f"gunicorn {GUNICORN_WORKERS}x{GUNICORN_THREADS}, wrk {CONNECTIONS} "
            f"connections, {ROUNDS} rounds of {SECONDS} s; load: {os.getloadavg()[0]:.1f}",
        },
        {
            "name": f"{FLOOR.label}: throughput (median of rounds)",
            "value": round(statistics.median(r.requests_per_second for r in floors), 1),
            "unit": "req/s",
            "endpoint": FLOOR.label,
            "column": "req/s",
        },
    ]
    for label, measured in runs.items():
        target = next(e.target for e in endpoints(seed) if e.label == label.removesuffix(BEFORE))
        shares = [
            run.requests_per_second / floor.requests_per_second
            for run, floor in zip(measured, floors, strict=True)
        ]
        share = statistics.median(shares)
        p99 = max(run.p99_ms for run in measured)
        failed = sum(run.non_2xx for run in measured)
        verdict = "meets" if share >= target and p99 < P99_TARGET_MS else "misses"
        rows += [
            {
                "name": f"{label}: share of the floor",
                "value": round(share, 3),
                "unit": f"x (target >= {target}; rounds {', '.join(f'{s:.3f}' for s in shares)}) "
                f"{verdict}",
                "endpoint": label,
                "column": "x floor",
            },
            {
                "name": f"{label}: throughput (median)",
                "value": round(statistics.median(r.requests_per_second for r in measured), 1),
                "unit": "req/s",
                "endpoint": label,
                "column": "req/s",
            },
            {
                "name": f"{label}: latency p99 (worst round)",
                "value": round(p99, 1),
                "unit": f"ms (target < {P99_TARGET_MS:.0f}); non-2xx: {failed}",
                "endpoint": label,
                "column": "p99 ms",
            },
        ]
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']}")
