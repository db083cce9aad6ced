"""Real services for tests that must own them: a private redis-server they may stop and start,
this process publishing to a chosen broker, and polling a real worker with a deadline.

The machine's shared Redis is never stopped: a test that needs an outage, or a broker no other
test session's worker reads, starts its own server on a free port with no persistence.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import redis

# Polling, not a timed assertion: the deadline only bounds how long a broken pipeline hangs.
DEFAULT_DEADLINE_S = 60
DEFAULT_POLL_INTERVAL_S = 0.2
SERVER_START_TIMEOUT_S = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    predicate,
    *,
    what: str,
    log=lambda: "",
    deadline_s: float = DEFAULT_DEADLINE_S,
    interval_s: float = DEFAULT_POLL_INTERVAL_S,
) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    assert predicate(), f"timed out waiting for {what}\n{log()}"


class PrivateRedis:
    """A redis-server subprocess on its own loopback port. `stop()` kills it, as a crash
    would; `start()` brings it back empty on the same port, as Redis without persistence
    comes back. Raises FileNotFoundError when redis-server is not installed."""

    def __init__(self):
        executable = shutil.which("redis-server")
        if executable is None:
            raise FileNotFoundError("redis-server")
        self.executable = executable
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="test-redis-")
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
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", self.directory),
        ]
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not self.is_up():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGKILL: Redis gets no chance to say goodbye to its clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections (the kernel completes the handshake) but
        nothing answers, as with a Redis stuck on a slow disk or a lost host behind a proxy."""
        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.resume()
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def drop_broker_connections(celery_app) -> None:
    """Celery caches its connection and producer pools for the broker URL it first saw, and its
    result backend per thread; drop them so the next use connects to the URL configured now."""
    # Not closed: kombu shares pools per URL across apps, so only our reference is dropped.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)


@contextlib.contextmanager
def publishing_to(url: str) -> Iterator:
    """This process publishes to `url` instead of running tasks eagerly, as the web tier does."""
    from accounts.tasking import broker_backoff_reset
    from planner.celery import app as celery_app

    keys = ("task_always_eager", "broker_url", "result_backend")
    saved = {key: celery_app.conf[key] for key in keys}
    drop_broker_connections(celery_app)
    broker_backoff_reset()
    celery_app.conf.update(task_always_eager=False, broker_url=url, result_backend=url)
    try:
        yield celery_app
    finally:
        drop_broker_connections(celery_app)
        broker_backoff_reset()
        celery_app.conf.update(saved)
