"""Load benchmark with wrk: each endpoint's throughput as a share of the framework's floor.

The scaled student (bench/scaled.py at the bench's size: 8 courses, 200 topics, 10,000
records, 500 tasks) is served by gunicorn as the Procfile runs it (2 workers, 4 threads each,
`DEBUG=false`, PostgreSQL, Redis), and beside it the floor (bench/floor_app.py: bare Django +
DRF, one query, no middleware) under the same gunicorn settings. wrk (`apt-get install wrk`)
drives each with 8 connections on 2 threads: a load generator written in C, so it leaves the
2-core machine's CPU to the servers, where a Python one would take half of it.

Each endpoint is measured in short slices, each right after a slice of the floor, and every
ratio is taken against that adjacent floor slice. A machine on shared cores can drift by 2x
in speed within a minute: a floor measured once per round, a minute before most endpoints,
put whole rounds on either side of a target, where a floor seconds away drifts with them.
Rounds repeat the pairs over all endpoints. The report gives per endpoint the median share of
the floor over the rounds, the median req/s, and the worst p99 latency.

    share of the floor = endpoint req/s / floor req/s (the slice just before it)

Each slice also counts the CPU time that the server's processes, PostgreSQL and Redis spent
(from /proc), per request. Its share, floor CPU per request / endpoint CPU per request, is
what the throughput share would be on a machine of steady speed: it does not move with the
machine's drift, so it says whether a change made a request cheaper when the throughput
shares of two runs disagree.

Targets: /api/ping >= 0.6, API lists >= 0.4, dashboard and week >= 0.2, other
pages >= 0.1, p99 < 300 ms at 8 connections.

Run: `.venv/bin/python -m bench bench_wrk` (needs PostgreSQL, Redis and wrk).
BENCH_WRK_SECONDS (default 2, one slice) and BENCH_WRK_ROUNDS (default 5) size the run.
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
SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "2"))
ROUNDS = int(os.environ.get("BENCH_WRK_ROUNDS", "5"))
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
    cpu_ms_per_request: float


_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes, from /proc (0 for one that is gone)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                # The command name may hold spaces; the fields after it are fixed.
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / _TICKS_PER_SECOND


def _pids_of(server: subprocess.Popen) -> list[int]:
    """The server's processes (gunicorn's master and workers) and the services' (PostgreSQL's
    backends, Redis): a request's cost is all of theirs, and only the measured server is
    loading the services during its slice."""
    pgrep = ["pgrep", "-P", str(server.pid)]
    workers = subprocess.run(pgrep, capture_output=True, text=True).stdout.split()
    services = subprocess.run(
        ["pgrep", "-x", "postgres|redis-server"], capture_output=True, text=True
    ).stdout.split()
    return [server.pid, *map(int, workers), *map(int, services)]


@dataclass
class Paired:
    """One slice of an endpoint and the floor slice run just before it."""

    run: Run
    floor: Run

    @property
    def share(self) -> float:
        return self.run.requests_per_second / self.floor.requests_per_second

    @property
    def cpu_share(self) -> float:
        return self.floor.cpu_ms_per_request / self.run.cpu_ms_per_request


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


def wrk(base: str, endpoint: Endpoint, seed: dict, server: subprocess.Popen) -> Run:
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
    pids = _pids_of(server)
    cpu_before = _cpu_seconds(pids)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    cpu = _cpu_seconds(pids) - cpu_before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    p99 = _ms(re.search(r"\s99%\s+([\d.]+(?:us|ms|s))", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Run(rps, p99, int(non_2xx.group(1)) if non_2xx else 0, 1000 * cpu / max(requests, 1))


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


def measure() -> tuple[dict, dict[str, list[Paired]], list[Run]]:
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
    runs: dict[str, list[Paired]] = {}
    floors: list[Run] = []
    try:
        loadkit.wait_http_ok(project_base + "/healthz", process=project)
        loadkit.wait_http_ok(floor_base + FLOOR.path, process=floor)
        targets = [e for e in endpoints(seed) if ONLY in e.label]
        servers = [("", project_base, project)]
        if before is not None:
            loadkit.wait_http_ok(before_base + "/healthz", process=before)
            servers.append((BEFORE, before_base, before))
        for _, base, _ in servers:
            for endpoint in targets:
                _warm(base, endpoint, seed)
        _warm(floor_base, FLOOR, seed)
        for number in range(ROUNDS):
            for endpoint in targets:
                floor_run = wrk(floor_base, FLOOR, seed, floor)
                floors.append(floor_run)
                # Alternate which revision goes first, so neither always runs nearer the floor.
                order = servers if number % 2 == 0 else servers[::-1]
                for suffix, base, server in order:
                    runs.setdefault(endpoint.label + suffix, []).append(
                        Paired(wrk(base, endpoint, seed, server), floor_run)
                    )
                    _drain(base)
            print(
                f"  wrk round {number + 1} of {ROUNDS}: floor "
                f"{statistics.median(f.requests_per_second for f in floors[-len(targets) :]):.0f}"
                " req/s (median of its slices)",
                file=sys.stderr,
                flush=True,
            )
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
            f"connections, {ROUNDS} rounds of {SECONDS} s slices, each after a floor slice; "
            f"load: {os.getloadavg()[0]:.1f}",
        },
        {
            "name": f"{FLOOR.label}: throughput (median of slices)",
            "value": round(statistics.median(r.requests_per_second for r in floors), 1),
            "unit": "req/s",
            "endpoint": FLOOR.label,
            "column": "req/s",
        },
        {
            "name": f"{FLOOR.label}: CPU per request (median of slices)",
            "value": round(statistics.median(r.cpu_ms_per_request for r in floors), 3),
            "unit": "ms (app, PostgreSQL and Redis processes)",
        },
    ]
    for label, measured in runs.items():
        target = next(e.target for e in endpoints(seed) if e.label == label.removesuffix(BEFORE))
        shares = [paired.share for paired in measured]
        share = statistics.median(shares)
        cpu_share = statistics.median(paired.cpu_share for paired in measured)
        p99 = max(paired.run.p99_ms for paired in measured)
        failed = sum(paired.run.non_2xx for paired in measured)
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
                "name": f"{label}: CPU share of the floor (floor CPU / request over this one's)",
                "value": round(cpu_share, 3),
                "unit": "x (median of rounds; app, PostgreSQL and Redis processes)",
                "endpoint": label,
                "column": "x floor CPU",
            },
            {
                "name": f"{label}: throughput (median)",
                "value": round(statistics.median(p.run.requests_per_second for p in measured), 1),
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
