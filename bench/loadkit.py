"""What the load and query benchmarks share: the scaled database, the app's environment, and
starting and stopping the processes they drive.

The benchmarks run the app as production runs it (PostgreSQL, Redis, `DEBUG=false`), in child
processes with their own environment, because `make bench` configures Django in its own process
for the other benchmarks' throwaway databases.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time as clock
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
PYTHON = sys.executable

# A database of its own, so a bench run never touches the development or test databases.
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/planner_bench"
)
# Cache, sessions and the broker on one Redis database number that only the bench uses.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
# A fixed throwaway key: the bench stores no provider tokens, but production settings need one.
BENCH_FIELD_KEY = "bench:" + base64.urlsafe_b64encode(b"bench-only-key-not-for-real-use!").decode()


class BenchUnavailable(RuntimeError):
    """A service the benchmark needs is missing; the message says which and how to fix it."""


def app_env(**extra: str) -> dict[str, str]:
    """The environment of a production-like app process talking to the bench's services."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings_bench",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_RESULT_BACKEND=REDIS_URL,
        # Requests enqueue their follow-up work as in production; no worker consumes it here,
        # so the figures are the web tier's alone (the queue is emptied after the run).
        CELERY_TASK_ALWAYS_EAGER="false",
        DEBUG="false",
        SECRET_KEY="bench-" + "0123456789abcdef" * 4,
        FIELD_ENCRYPTION_KEY=BENCH_FIELD_KEY,
        FIELD_ENCRYPTION_OLD_KEYS="",
        # Plain HTTP on loopback: there is no TLS proxy in front of the bench server.
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # Persistent connections, as a production web tier would run.
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def _admin_dsn() -> tuple[str, str]:
    """A DSN to the server's maintenance database, and the bench database's name."""
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def services_problem() -> str | None:
    """None when PostgreSQL and Redis answer, else why the benchmark cannot run."""
    import psycopg
    import redis

    dsn, _ = _admin_dsn()
    try:
        psycopg.connect(dsn, connect_timeout=3, autocommit=True).close()
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL not reachable at {dsn} ({first_line}); set BENCH_DATABASE_URL"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis not reachable at {REDIS_URL} ({exc}); set BENCH_REDIS_URL"
    return None


def require_services() -> None:
    problem = services_problem()
    if problem:
        raise BenchUnavailable(problem)


def database_exists() -> bool:
    import psycopg

    dsn, name = _admin_dsn()
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


def recreate_database() -> None:
    import psycopg
    from psycopg import sql

    dsn, name = _admin_dsn()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_bench_redis() -> None:
    """Empty the bench's own Redis database (queued tasks, cached pages), never another one."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def manage(*args: str, **env: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=app_env(**env),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def prepare(*, fresh: bool) -> dict:
    """Make sure the scaled demo student exists; return its credentials and ids.

    `fresh` rebuilds the database from nothing, so every load run starts from the same rows
    (a previous run's POSTs would otherwise grow the history).
    """
    require_services()
    if fresh or not database_exists():
        recreate_database()
    manage("migrate", "--noinput")
    completed = subprocess.run(
        [PYTHON, "-m", "bench.load_seed"],
        cwd=ROOT,
        env=app_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(completed.stderr)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    command: list[str], *, env: dict[str, str], log_name: str, cwd: str | None = None
) -> subprocess.Popen:
    """A child in its own process group, so stop() ends it together with its own children."""
    OUT_DIR.mkdir(exist_ok=True)
    log = open(OUT_DIR / log_name, "w")  # noqa: SIM115 (closed with the process in stop())
    process = subprocess.Popen(
        command,
        cwd=cwd or ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log_file = log
    return process


def stop(process: subprocess.Popen | None, *, grace_seconds: float = 10.0) -> None:
    if process is None:
        return
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    log = getattr(process, "log_file", None)
    if log:
        log.close()


def wait_http_ok(url: str, *, timeout_seconds: float = 40.0, process=None) -> None:
    deadline = clock.monotonic() + timeout_seconds
    while clock.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited early; see {OUT_DIR}/ for its log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        clock.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_seconds:.0f} s")
