"""The one module that talks to Google: OAuth (google-auth-oauthlib) and Calendar v3
(google-api-python-client). Every endpoint comes from settings so tests and the local demo can
point the real libraries at the fake server; every failure leaves as a GoogleError subtype."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import google.auth.exceptions
import google_auth_httplib2
import httplib2
import requests
from django.conf import settings
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from integrations import ratelimit

# Narrow scopes: events only in calendars this app created, free/busy of the others, and the
# calendar list so the student can pick which calendars count as busy.
SCOPES = [
    "https://www.googleapis.com/auth/calendar.app.created",
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
]
# static discovery takes api_endpoint as the whole base URL, service path included.
CALENDAR_SERVICE_PATH = "calendar/v3/"
HTTP_TIMEOUT_SECONDS = 30
# Calendar API allows 600 requests per minute per user by default: 10 per second, with a small
# burst so a first push starts at once.
GOOGLE_REQUESTS_PER_SECOND = 10.0
GOOGLE_BURST = 20
# Quota errors Google sends as 403 that are really "slow down".
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
EVENTS_PAGE_SIZE = 250


class GoogleError(Exception):
    """Any failure talking to Google."""

    def __init__(self, message: str, *, status: int = 0, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class GoogleAuthError(GoogleError):
    """The grant is revoked or expired (invalid_grant): only the student can fix it."""


class GoogleRetryableError(GoogleError):
    """Rate limits and server errors: try again later, honouring retry_after."""


class GoogleNotFoundError(GoogleError):
    """404 or 410 on a single resource."""


class GoogleConflictError(GoogleError):
    """409: the client-chosen event id already exists."""


class GooglePreconditionFailedError(GoogleError):
    """412: the event changed since our ETag, i.e. someone edited it."""


class GoogleSyncTokenExpiredError(GoogleError):
    """410 on an incremental list: the sync token is no longer valid; resync fully."""


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expiry: datetime | None
    scopes: list[str]


def _allow_plain_http_for_loopback(*urls: str) -> None:
    # oauthlib refuses http://, which only the in-process fake servers use.
    if all(urlparse(url).hostname in LOOPBACK_HOSTS for url in urls):
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _flow(*, redirect_uri: str, state: str | None = None, code_verifier: str | None = None):
    _allow_plain_http_for_loopback(settings.GOOGLE_AUTH_URI, settings.GOOGLE_TOKEN_URI)
    client_config = {
        "web": {
            "client_id": settings.GOOGLE_CLIENT_ID,
            "client_secret": settings.GOOGLE_CLIENT_SECRET,
            "auth_uri": settings.GOOGLE_AUTH_URI,
            "token_uri": settings.GOOGLE_TOKEN_URI,
        }
    }
    return Flow.from_client_config(
        client_config,
        scopes=SCOPES,
        redirect_uri=redirect_uri,
        state=state,
        code_verifier=code_verifier,
        autogenerate_code_verifier=True,
    )


def authorization_url(*, redirect_uri: str) -> tuple[str, str, str]:
    """Returns (url, state, code_verifier); the caller keeps state and verifier server-side."""
    flow = _flow(redirect_uri=redirect_uri)
    # offline + consent: Google only returns a refresh token when consent is shown.
    url, state = flow.authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true"
    )
    return url, state, flow.code_verifier


def exchange_code(*, redirect_uri: str, state: str, code_verifier: str, code: str) -> TokenSet:
    flow = _flow(redirect_uri=redirect_uri, state=state, code_verifier=code_verifier)
    try:
        token = flow.fetch_token(code=code)
    except Exception as exc:  # oauthlib raises many unrelated types for one failed exchange
        raise GoogleAuthError(f"Google did not accept the authorisation: {exc}") from exc
    expires_at = token.get("expires_at")
    return TokenSet(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token", ""),
        expiry=datetime.fromtimestamp(expires_at, tz=UTC) if expires_at else None,
        scopes=list(token.get("scope") or SCOPES),
    )


def revoke_token(token: str) -> None:
    """Best effort: a token Google no longer knows is as good as revoked."""
    try:
        requests.post(
            settings.GOOGLE_REVOKE_URI,
            params={"token": token},
            headers={"content-type": "application/x-www-form-urlencoded"},
            timeout=HTTP_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise GoogleRetryableError(f"Could not reach Google to revoke access: {exc}") from exc


def _error_reason(error: HttpError) -> str:
    try:
        body = json.loads(error.content.decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return ""
    errors = (body.get("error") or {}).get("errors") or [{}]
    return errors[0].get("reason", "")


def _retry_after(error: HttpError) -> float | None:
    value = error.resp.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def translate_http_error(error: HttpError) -> GoogleError:
    status = int(error.resp.status)
    reason = _error_reason(error)
    message = f"Google Calendar answered {status} {reason}".strip()
    retry_after = _retry_after(error)
    if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS) or status >= 500:
        return GoogleRetryableError(message, status=status, retry_after=retry_after)
    if status == 401:
        return GoogleAuthError(message, status=status)
    if status in (404, 410):
        return GoogleNotFoundError(message, status=status)
    if status == 409:
        return GoogleConflictError(message, status=status)
    if status == 412:
        return GooglePreconditionFailedError(message, status=status)
    return GoogleError(message, status=status)


class GoogleCalendarClient:
    """Calendar v3 for one student. `on_token_refresh(token, expiry)` is called whenever the
    library refreshed the access token, so the caller can save it."""

    def __init__(
        self,
        *,
        credentials: Credentials,
        rate_key: str,
        on_token_refresh: Callable[[str, datetime | None], None] | None = None,
        timeout_seconds: float = HTTP_TIMEOUT_SECONDS,
    ):
        self.credentials = credentials
        self.rate_key = rate_key
        self.on_token_refresh = on_token_refresh
        http = google_auth_httplib2.AuthorizedHttp(
            credentials, http=httplib2.Http(timeout=timeout_seconds)
        )
        self.service = build(
            "calendar",
            "v3",
            http=http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": calendar_base_url()},
        )

    def _execute(self, request, *, headers: dict[str, str] | None = None) -> Any:
        ratelimit.acquire(
            f"google:{self.rate_key}", rate=GOOGLE_REQUESTS_PER_SECOND, burst=GOOGLE_BURST
        )
        if headers:
            request.headers.update(headers)
        token_before = self.credentials.token
        try:
            return request.execute()
        except HttpError as exc:
            raise translate_http_error(exc) from exc
        except google.auth.exceptions.RefreshError as exc:
            if "invalid_grant" in str(exc):
                raise GoogleAuthError(
                    "Google Calendar access was revoked or expired. Please reconnect."
                ) from exc
            raise GoogleRetryableError(f"Could not refresh the Google token: {exc}") from exc
        except (httplib2.HttpLib2Error, OSError) as exc:
            raise GoogleRetryableError(f"Could not reach Google Calendar: {exc}") from exc
        finally:
            if self.on_token_refresh and self.credentials.token != token_before:
                expiry = self.credentials.expiry
                self.on_token_refresh(
                    self.credentials.token, expiry.replace(tzinfo=UTC) if expiry else None
                )

    # --- calendars -----------------------------------------------------------------------
    def list_calendars(self) -> list[dict]:
        calendars, page_token = [], None
        while True:
            page = self._execute(self.service.calendarList().list(pageToken=page_token))
            calendars.extend(page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return calendars

    def get_calendar(self, calendar_id: str) -> dict:
        return self._execute(self.service.calendars().get(calendarId=calendar_id))

    def create_calendar(self, *, summary: str, time_zone: str) -> dict:
        body = {"summary": summary, "timeZone": time_zone}
        return self._execute(self.service.calendars().insert(body=body))

    def delete_calendar(self, calendar_id: str) -> None:
        """Deletes a secondary calendar with every event in it, in one request."""
        self._execute(self.service.calendars().delete(calendarId=calendar_id))

    # --- events --------------------------------------------------------------------------
    def insert_event(self, *, calendar_id: str, body: dict) -> dict:
        return self._execute(self.service.events().insert(calendarId=calendar_id, body=body))

    def get_event(self, *, calendar_id: str, event_id: str) -> dict:
        return self._execute(self.service.events().get(calendarId=calendar_id, eventId=event_id))

    def patch_event(
        self, *, calendar_id: str, event_id: str, body: dict, etag: str | None = None
    ) -> dict:
        request = self.service.events().patch(calendarId=calendar_id, eventId=event_id, body=body)
        return self._execute(request, headers={"If-Match": etag} if etag else None)

    def delete_event(self, *, calendar_id: str, event_id: str) -> None:
        self._execute(self.service.events().delete(calendarId=calendar_id, eventId=event_id))

    def list_event_changes(self, *, calendar_id: str, sync_token: str) -> tuple[list[dict], str]:
        """Every change since sync_token (all of them when it is empty), following every page.
        Returns (events, next_sync_token); cancelled events are included as tombstones."""
        events, page_token = [], None
        while True:
            params: dict[str, Any] = {
                "calendarId": calendar_id,
                "showDeleted": True,
                "maxResults": EVENTS_PAGE_SIZE,
                "pageToken": page_token,
            }
            if sync_token:
                params["syncToken"] = sync_token
            try:
                page = self._execute(self.service.events().list(**params))
            except GoogleNotFoundError as exc:
                if exc.status == 410 and sync_token:
                    raise GoogleSyncTokenExpiredError(exc.message, status=410) from exc
                raise
            events.extend(page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return events, page.get("nextSyncToken", "")

    def free_busy(
        self, *, calendar_ids: list[str], time_min: datetime, time_max: datetime
    ) -> dict[str, list[dict]]:
        body = {
            "timeMin": time_min.isoformat(),
            "timeMax": time_max.isoformat(),
            "items": [{"id": calendar_id} for calendar_id in calendar_ids],
        }
        answer = self._execute(self.service.freebusy().query(body=body))
        return {
            calendar_id: info.get("busy", [])
            for calendar_id, info in answer.get("calendars", {}).items()
        }


def calendar_base_url() -> str:
    return settings.GOOGLE_API_ENDPOINT.rstrip("/") + "/" + CALENDAR_SERVICE_PATH


def build_client(
    *,
    access_token: str,
    refresh_token: str,
    expiry: datetime | None,
    rate_key: str,
    on_token_refresh: Callable[[str, datetime | None], None] | None = None,
    timeout_seconds: float = HTTP_TIMEOUT_SECONDS,
) -> GoogleCalendarClient:
    """The factory every caller uses: endpoints and client secrets come from settings."""
    credentials = Credentials(
        token=access_token or None,
        refresh_token=refresh_token or None,
        token_uri=settings.GOOGLE_TOKEN_URI,
        client_id=settings.GOOGLE_CLIENT_ID,
        client_secret=settings.GOOGLE_CLIENT_SECRET,
        scopes=SCOPES,
        # google-auth compares expiry with a naive UTC clock.
        expiry=expiry.astimezone(UTC).replace(tzinfo=None) if expiry else None,
    )
    return GoogleCalendarClient(
        credentials=credentials,
        rate_key=rate_key,
        on_token_refresh=on_token_refresh,
        timeout_seconds=timeout_seconds,
    )
