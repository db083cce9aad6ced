"""Start a real `celery worker` subprocess for tests, with its own environment.

The session-wide worker in the root conftest uses this; fault tests start their own so they can
kill it, point it at another broker, or give it settings (fake provider endpoints) that the
session worker did not start with.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from planner.testing.clock import command as clock_command

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
# Long enough for a cold `celery worker` start (Django setup, broker connect) on a busy CI box.
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10


class WorkerDidNotStart(RuntimeError):
    pass


def database_url(settings_dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database in tests)."""
    credentials = quote(settings_dict.get("USER") or "", safe="")
    if settings_dict.get("PASSWORD"):
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}"


@dataclass
class WorkerHandle:
    process: subprocess.Popen
    log_path: str

    def log(self, tail: int = 4000) -> str:
        return Path(self.log_path).read_text(errors="replace")[-tail:]

    def kill(self) -> None:
        """SIGKILL, as an OOM killer or a lost host would: no shutdown code runs."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def wait_for_log_match(self, pattern: re.Pattern, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pattern.search(self.log(tail=1_000_000)):
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def wait_for_log(self, text: str, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log(tail=1_000_000):
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.1)
        return False


def start_worker(
    *,
    broker_url: str,
    database_url: str,
    queues: str = "mastery,planning,sync",
    extra_env: dict[str, str] | None = None,
    pool: str = "solo",
    concurrency: int = 1,
    supervised: bool = False,
    as_procfile: bool = False,
) -> WorkerHandle:
    """`supervised` runs it as the Procfile does, under planner.supervise: the handle's process
    is then the supervisor, and the log holds every worker it started. `as_procfile` keeps the
    Procfile's worker options (gossip, mingle and heartbeat as it sets them) instead of the
    quiet test defaults."""
    env = {
        **os.environ,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "DATABASE_URL": database_url,
        **(extra_env or {}),
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    log.close()
    supervisor = [sys.executable, "-m", "planner.supervise", "--"] if supervised else []
    command = [
        *supervisor,
        # At the test session's moment, not the real time: see planner.testing.clock.
        *clock_command("celery"),
        "-A",
        "planner",
        "worker",
        "-Q",
        queues,
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        "--loglevel=INFO",
        *(() if as_procfile else ("--without-gossip", "--without-mingle", "--without-heartbeat")),
    ]
    with open(log.name, "ab") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    handle = WorkerHandle(process=process, log_path=log.name)
    deadline = time.monotonic() + START_TIMEOUT_S
    while "ready." not in handle.log(tail=1_000_000):
        if process.poll() is not None or time.monotonic() > deadline:
            output = handle.log()
            stop_worker(handle)
            raise WorkerDidNotStart(output)
        time.sleep(0.2)
    return handle


# Celery's own log lines for a task the worker took, and for one it is done with. A retry is
# logged as done too: its next attempt arrives as a new "received".
_RECEIVED = re.compile(r"Task [\w.]+\[([0-9a-f-]{36})\] received")
_FINISHED = re.compile(r"Task [\w.]+\[([0-9a-f-]{36})\] (?:succeeded|raised|retry|failed)")


def outstanding_tasks(log_text: str) -> set[str]:
    """Ids of the tasks the worker has received (a countdown task is received at once and held)
    and not yet finished, read from its log: empty when it has nothing left to do."""
    return set(_RECEIVED.findall(log_text)) - set(_FINISHED.findall(log_text))


def stop_worker(handle: WorkerHandle, *, remove_log: bool = True) -> None:
    if handle.process.poll() is None:
        handle.process.terminate()
        try:
            handle.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            handle.process.kill()
            handle.process.wait()
    if remove_log:
        Path(handle.log_path).unlink(missing_ok=True)


@contextlib.contextmanager
def celery_worker(**kwargs) -> Iterator[WorkerHandle]:
    handle = start_worker(**kwargs)
    try:
        yield handle
    finally:
        stop_worker(handle)
