"""Canvas's OAuth2 flow (https://canvas.instructure.com/doc/api/file.oauth.html), for a site
whose admin gave this app a developer key (settings CANVAS_CLIENT_ID / CANVAS_CLIENT_SECRET).

- GET  {site}/login/oauth2/auth?client_id&response_type=code&state&redirect_uri (the browser)
- POST {site}/login/oauth2/token grant_type=authorization_code (code, redirect_uri) gives an
  access token (an hour by default), its `expires_in` and a refresh token;
- POST {site}/login/oauth2/token grant_type=refresh_token gives a new access token; the
  refresh token stays the same.

Token requests go through the SSRF guard like every other request to the student's LMS, and
are never redirected (the body carries the client secret). Failures leave as CanvasError.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from integrations.canvas.client import CanvasError
from integrations.lms.snapshot import OAuthTokens
from integrations.lms.transport import LmsTransportError, lms_post_form

AUTHORIZE_PATH = "/login/oauth2/auth"
TOKEN_PATH = "/login/oauth2/token"  # noqa: S105 - a path, not a secret
# Canvas says why in `error`; these mean the code or the refresh token is no good (only the
# student can fix that by connecting again), the rest is Canvas failing.
REFUSED_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


def oauth_configured() -> bool:
    return bool(settings.CANVAS_CLIENT_ID and settings.CANVAS_CLIENT_SECRET)


def authorization_url(*, base_url: str, state: str, redirect_uri: str) -> str:
    query = urlencode(
        {
            "client_id": settings.CANVAS_CLIENT_ID,
            "response_type": "code",
            "state": state,
            "redirect_uri": redirect_uri,
        }
    )
    return f"{base_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


def _token_request(*, base_url: str, fields: dict[str, str]) -> OAuthTokens:
    fields = {
        "client_id": settings.CANVAS_CLIENT_ID,
        "client_secret": settings.CANVAS_CLIENT_SECRET,
        **fields,
    }
    try:
        response = lms_post_form(f"{base_url.rstrip('/')}{TOKEN_PATH}", fields=fields)
    except LmsTransportError as exc:
        raise CanvasError(
            f"Canvas could not be reached: {exc.message}", kind="unreachable"
        ) from exc
    answer = response.json()
    answer = answer if isinstance(answer, dict) else {}
    if response.status != 200:
        code = str(answer.get("error") or "")
        described = str(answer.get("error_description") or code or f"HTTP {response.status}")
        if code in REFUSED_ERRORS or response.status in (400, 401):
            raise CanvasError(f"Canvas refused the authorisation ({described[:200]}).", kind="auth")
        raise CanvasError(
            f"Canvas failed on its side (HTTP {response.status}); try again later.", kind="server"
        )
    access_token = answer.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise CanvasError("Canvas did not return an access token.", kind="bad_response")
    expires_in = answer.get("expires_in")
    expires_at = (
        timezone.now() + timedelta(seconds=float(expires_in))
        if isinstance(expires_in, int | float) and expires_in > 0
        else None
    )
    refresh_token = answer.get("refresh_token")
    return OAuthTokens(
        access_token=access_token,
        refresh_token=refresh_token if isinstance(refresh_token, str) else "",
        expires_at=expires_at,
    )


def exchange_code(*, base_url: str, code: str, redirect_uri: str) -> OAuthTokens:
    return _token_request(
        base_url=base_url,
        fields={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
    )


def refresh(*, base_url: str, refresh_token: str) -> OAuthTokens:
    return _token_request(
        base_url=base_url,
        fields={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )
