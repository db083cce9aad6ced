"""A private Redis for the fault tests that fails them in CI when redis-server is missing."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

from conftest import require
from planner.testing.services import PrivateRedis


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    require(shutil.which("redis-server") is not None, "needs redis-server on PATH")
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()
