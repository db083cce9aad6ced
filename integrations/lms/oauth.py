"""Connecting Canvas through its OAuth2 flow, when the site gave this app a developer key.

The `state` sent to Canvas is signed (django.core.signing, with its own salt and a ten-minute
age limit) and names a nonce kept in the student's session and the student: a callback from
another browser, another student or an old authorisation is refused before any token is
asked for. The tokens Canvas gives go into the connect preview (integrations/lms/connect.py)
and are only stored, encrypted, when the student confirms the import.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.core import signing

from accounts.errors import ApplicationError
from integrations.canvas import oauth as canvas_oauth
from integrations.canvas.client import CanvasError
from integrations.lms.connect import ConnectPreview, lms_connect_preview

STATE_SALT = "integrations.lms.canvas-oauth"
# Long enough to sign in to a school's single sign-on, short enough that a leaked link dies.
STATE_MAX_AGE_S = 600
NONCE_SESSION_KEY = "integrations_canvas_oauth_nonce"
EXPIRED_MESSAGE = "This Canvas authorisation expired or was not started here; connect again."


def canvas_oauth_start(*, user, session, base_url: str, redirect_uri: str) -> str:
    """Where to send the student to sign in to their Canvas and allow this app."""
    if not canvas_oauth.oauth_configured():
        raise ApplicationError("Connecting with Canvas sign-in is not configured here.")
    base_url = base_url.strip().rstrip("/")
    if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).hostname:
        message = "The http(s) address of your Canvas site."
        raise ApplicationError(message, field_errors={"base_url": [message]})
    nonce = secrets.token_urlsafe(16)
    session[NONCE_SESSION_KEY] = nonce
    state = signing.dumps({"n": nonce, "u": str(user.pk), "b": base_url}, salt=STATE_SALT)
    return canvas_oauth.authorization_url(base_url=base_url, state=state, redirect_uri=redirect_uri)


def canvas_oauth_finish(
    *, user, session, state: str, code: str, redirect_uri: str
) -> ConnectPreview:
    """Checks the state, exchanges the code and previews the import; nothing is stored until
    the student confirms. ApplicationError with the reason otherwise."""
    nonce = session.pop(NONCE_SESSION_KEY, None)
    try:
        payload = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE_S)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
        raise ApplicationError(EXPIRED_MESSAGE) from exc
    if not nonce or payload.get("n") != nonce or payload.get("u") != str(user.pk):
        raise ApplicationError(EXPIRED_MESSAGE)
    base_url = str(payload.get("b") or "")
    try:
        tokens = canvas_oauth.exchange_code(base_url=base_url, code=code, redirect_uri=redirect_uri)
    except CanvasError as exc:
        raise ApplicationError(f"Canvas did not connect: {exc.message}") from exc
    return lms_connect_preview(
        user=user, session=session, lms_type="canvas", base_url=base_url, oauth=tokens
    )
