"""One client per LMS, behind a small registry keyed by `LmsType` (no `if lms == ...`).

An LMS source is not a SyncProvider: nothing is pushed to it, it is only read. Each source
builds its client from the connection's base URL and token and turns the client's own error
type into `LmsReadError`, which is all the import service knows about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from integrations.canvas import oauth as canvas_oauth
from integrations.canvas.client import CanvasClient, CanvasError
from integrations.lms.snapshot import LmsSnapshot, OAuthTokens
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

    def refresh(self, *, base_url: str, refresh_token: str) -> OAuthTokens:
        """A new access token from an OAuth2 refresh token; LmsReadError(kind="auth") when
        the LMS has no OAuth here or refused it."""


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

    def refresh(self, *, base_url: str, refresh_token: str) -> OAuthTokens:
        if not canvas_oauth.oauth_configured():
            raise LmsReadError(
                "Canvas sign-in is no longer set up here; connect with an access token.",
                kind="auth",
            )
        try:
            return canvas_oauth.refresh(base_url=base_url, refresh_token=refresh_token)
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

    def refresh(self, *, base_url: str, refresh_token: str) -> OAuthTokens:
        # Moodle web-service tokens do not expire and have no OAuth2 flow.
        raise LmsReadError("Moodle refused the token; create a new one.", kind="auth")


_registry: dict[str, LmsSource] = {}


def register(source: LmsSource) -> None:
    _registry[source.key] = source


def get(key: str) -> LmsSource | None:
    return _registry.get(key)


def all_sources() -> list[LmsSource]:
    return list(_registry.values())
