"""One client per LMS, behind a small registry keyed by `LmsType` (no `if lms == ...`).

An LMS source is not a SyncProvider: nothing is pushed to it, it is only read. Each source
builds its client from the connection's base URL and token and turns the client's own error
type into `LmsReadError`, which is all the import service knows about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from integrations.canvas.client import CanvasClient, CanvasError
from integrations.lms.snapshot import LmsSnapshot
from integrations.models import LmsType
from integrations.moodle.client import MoodleClient, MoodleError


class LmsReadError(Exception):
    def __init__(self, message: str, *, kind: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retry_after = retry_after

    @property
    def is_transient(self) -> bool:
        return self.kind in ("rate_limited", "server", "unreachable")


class LmsSource(Protocol):
    key: str
    label: str
    # The name of the token in `credentials` (Canvas's docs say access token, Moodle's token).
    token_field: str

    def read(self, *, base_url: str, token: str) -> LmsSnapshot: ...


@dataclass(frozen=True)
class CanvasSource:
    key: str = LmsType.CANVAS
    label: str = "Canvas"
    token_field: str = "access_token"  # noqa: S105 - a field name, not a secret

    def read(self, *, base_url: str, token: str) -> LmsSnapshot:
        try:
            return CanvasClient(base_url=base_url, access_token=token).snapshot()
        except CanvasError as exc:
            raise LmsReadError(exc.message, kind=exc.kind, retry_after=exc.retry_after) from exc


@dataclass(frozen=True)
class MoodleSource:
    key: str = LmsType.MOODLE
    label: str = "Moodle"
    token_field: str = "token"  # noqa: S105 - a field name, not a secret

    def read(self, *, base_url: str, token: str) -> LmsSnapshot:
        try:
            return MoodleClient(base_url=base_url, token=token).snapshot()
        except MoodleError as exc:
            raise LmsReadError(exc.message, kind=exc.kind, retry_after=exc.retry_after) from exc


_registry: dict[str, LmsSource] = {}


def register(source: LmsSource) -> None:
    _registry[source.key] = source


def get(key: str) -> LmsSource | None:
    return _registry.get(key)


def all_sources() -> list[LmsSource]:
    return list(_registry.values())
