"""What the fault tests share: a private redis-server they may stop and start, publishing from
this process to a given broker, and waiting on a real worker by polling with a deadline.

The machine's shared Redis is never stopped: each test that needs an outage starts its own
server on a free port, with no persistence, and stops it as a crash would.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from conftest import _drop_broker_connections, require

# Polling, not a timed assertion: the deadline only bounds how long a broken pipeline hangs.
DEADLINE_S = 60
POLL_INTERVAL_S = 0.2
SERVER_START_TIMEOUT_S = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, what: str, log=lambda: "") -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(POLL_INTERVAL_S)
    assert predicate(), f"timed out waiting for {what}\n{log()}"


class PrivateRedis:
    """A redis-server subprocess on its own port; `stop()` kills it, `start()` brings it back
    empty on the same port, as a crashed Redis without persistence comes back."""

    def __init__(self, executable: str):
        self.executable = executable
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="faults-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def is_up(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        command = [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            self.directory,
        ]
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not self.is_up():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGKILL: Redis gets no chance to say goodbye to its clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    executable = shutil.which("redis-server")
    require(executable is not None, "needs redis-server on PATH (apt-get install redis-server)")
    server = PrivateRedis(executable)
    server.start()
    try:
        yield server
    finally:
        server.close()


@contextlib.contextmanager
def publishing_to(url: str) -> Iterator[None]:
    """This process publishes to `url` instead of running tasks eagerly, as the web tier does."""
    from planner.celery import app as celery_app

    keys = ("task_always_eager", "broker_url", "result_backend")
    saved = {key: celery_app.conf[key] for key in keys}
    _drop_broker_connections(celery_app)
    celery_app.conf.update(task_always_eager=False, broker_url=url, result_backend=url)
    try:
        yield
    finally:
        _drop_broker_connections(celery_app)
        celery_app.conf.update(saved)


def worker_log_tail(handle) -> str:
    return Path(handle.log_path).read_text(errors="replace")[-4000:]
