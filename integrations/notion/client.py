"""The one module that talks to Notion, through notion-client 3.x at API version 2025-09-03.
The base URL comes from settings so tests and the demo point the real SDK at the fake server;
every failure leaves as a NotionError subtype."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import notion_client
from django.conf import settings
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from integrations import ratelimit

NOTION_VERSION = "2025-09-03"
# Notion allows about 3 requests per second per integration on average; 2.5 leaves headroom
# for the student's other tools sharing the token.
NOTION_REQUESTS_PER_SECOND = 2.5
NOTION_BURST = 3
NOTION_TIMEOUT_MS = 30_000
# Notion answers 529 when it is overloaded; like 5xx it is worth another try later.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504, 529})
RETRYABLE_CODES = frozenset(
    {"rate_limited", "internal_server_error", "service_unavailable", "gateway_timeout"}
)
DISCONNECT_CODES = frozenset({"unauthorized", "restricted_resource"})
QUERY_PAGE_SIZE = 100


class NotionError(Exception):
    def __init__(self, message: str, *, code: str = "", status: int = 0, retry_after=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retry_after = retry_after


class NotionRetryableError(NotionError):
    """rate_limited, 5xx or 529: try again later, honouring retry_after."""


class NotionDisconnectError(NotionError):
    """The token is invalid or lost access: only the student can fix it."""


class NotionNotFoundError(NotionError):
    """object_not_found: deleted, or no longer shared with the integration."""


class NotionValidationError(NotionError):
    """validation_error: usually the database schema was changed by hand."""


def translate_error(error: HTTPResponseError) -> NotionError:
    code = str(getattr(error.code, "value", error.code))
    status = int(error.status)
    message = f"Notion answered {status} {code}: {error}"
    if code in RETRYABLE_CODES or status in RETRYABLE_STATUSES:
        retry_after = error.headers.get("retry-after")
        try:
            seconds = float(retry_after) if retry_after is not None else None
        except ValueError:
            seconds = None
        return NotionRetryableError(message, code=code, status=status, retry_after=seconds)
    if code in DISCONNECT_CODES:
        return NotionDisconnectError(
            "Notion refused the saved token. Please connect Notion again.", code=code, status=status
        )
    if code == "object_not_found":
        return NotionNotFoundError(message, code=code, status=status)
    if code == "validation_error":
        return NotionValidationError(message, code=code, status=status)
    return NotionError(message, code=code, status=status)


class NotionClient:
    def __init__(self, *, token: str, rate_key: str, timeout_ms: int = NOTION_TIMEOUT_MS):
        self.rate_key = rate_key
        # The SDK's own retries are off: Celery retries with backoff, jitter and Retry-After,
        # without holding a worker asleep.
        self.sdk = notion_client.Client(
            auth=token,
            base_url=settings.NOTION_BASE_URL.rstrip("/"),
            notion_version=NOTION_VERSION,
            timeout_ms=timeout_ms,
            retry=False,
        )

    def _call(self, method, *args, **kwargs) -> Any:
        ratelimit.acquire(
            f"notion:{self.rate_key}", rate=NOTION_REQUESTS_PER_SECOND, burst=NOTION_BURST
        )
        try:
            return method(*args, **kwargs)
        except HTTPResponseError as exc:
            raise translate_error(exc) from exc
        except (RequestTimeoutError, httpx.TransportError) as exc:
            raise NotionRetryableError(f"Could not reach Notion: {exc}") from exc

    def me(self) -> dict:
        return self._call(self.sdk.users.me)

    def retrieve_database(self, database_id: str) -> dict:
        return self._call(self.sdk.databases.retrieve, database_id)

    def create_database(self, *, parent_page_id: str, title: str, properties: dict) -> dict:
        return self._call(
            self.sdk.databases.create,
            parent={"type": "page_id", "page_id": parent_page_id},
            title=[{"type": "text", "text": {"content": title}}],
            initial_data_source={"properties": properties},
        )

    def retrieve_data_source(self, data_source_id: str) -> dict:
        return self._call(self.sdk.data_sources.retrieve, data_source_id)

    def update_data_source(self, data_source_id: str, *, properties: dict) -> dict:
        return self._call(self.sdk.data_sources.update, data_source_id, properties=properties)

    def query_all(self, data_source_id: str, **query: Any) -> list[dict]:
        """Every matching row, following every page of the cursor."""
        rows: list[dict] = []
        cursor = None
        while True:
            params = dict(query, page_size=QUERY_PAGE_SIZE)
            if cursor:
                params["start_cursor"] = cursor
            page = self._call(self.sdk.data_sources.query, data_source_id, **params)
            rows.extend(page.get("results", []))
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return rows

    def search_all(self, *, object_type: str, max_pages: int) -> tuple[list[dict], bool]:
        """Everything of `object_type` ("page" or "data_source") shared with the integration,
        following the cursor for at most `max_pages` pages; True when more were left."""
        found: list[dict] = []
        cursor = None
        for _ in range(max_pages):
            params: dict[str, Any] = {
                "filter": {"property": "object", "value": object_type},
                "page_size": QUERY_PAGE_SIZE,
            }
            if cursor:
                params["start_cursor"] = cursor
            page = self._call(self.sdk.search, **params)
            found.extend(page.get("results", []))
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return found, False
        return found, True

    def create_page(self, *, data_source_id: str, properties: dict) -> dict:
        return self._call(
            self.sdk.pages.create,
            parent={"type": "data_source_id", "data_source_id": data_source_id},
            properties=properties,
        )

    def update_page(self, page_id: str, **fields: Any) -> dict:
        return self._call(self.sdk.pages.update, page_id, **fields)


def build_client(*, token: str, rate_key: str, timeout_ms: int = NOTION_TIMEOUT_MS) -> NotionClient:
    return NotionClient(token=token, rate_key=rate_key, timeout_ms=timeout_ms)


# --- OAuth (a public integration) ----------------------------------------------------------------
def oauth_configured() -> bool:
    return bool(settings.NOTION_CLIENT_ID and settings.NOTION_CLIENT_SECRET)


def authorization_url(*, state: str, redirect_uri: str) -> str:
    query = urlencode(
        {
            "client_id": settings.NOTION_CLIENT_ID,
            "response_type": "code",
            # "user": the student shares pages from their own workspace.
            "owner": "user",
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{settings.NOTION_AUTH_URI}?{query}"


def exchange_code(*, code: str, redirect_uri: str) -> str:
    """The access token for an authorisation code; the SDK sends the client id and secret as
    HTTP Basic to {NOTION_BASE_URL}/v1/oauth/token."""
    sdk = notion_client.Client(
        base_url=settings.NOTION_BASE_URL.rstrip("/"),
        notion_version=NOTION_VERSION,
        timeout_ms=NOTION_TIMEOUT_MS,
        retry=False,
    )
    try:
        answer = sdk.oauth.token(
            client_id=settings.NOTION_CLIENT_ID,
            client_secret=settings.NOTION_CLIENT_SECRET,
            grant_type="authorization_code",
            code=code,
            redirect_uri=redirect_uri,
        )
    except HTTPResponseError as exc:
        raise translate_error(exc) from exc
    except (RequestTimeoutError, httpx.TransportError) as exc:
        raise NotionRetryableError(f"Could not reach Notion: {exc}") from exc
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not token:
        raise NotionError("Notion did not return an access token.")
    return token
