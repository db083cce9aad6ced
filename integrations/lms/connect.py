"""Connecting an LMS from the integrations page: preview, then confirm.

The preview reads the LMS (or downloads the calendar feed) and writes nothing; what is needed
to import it is kept in the student's session until they confirm: the credentials encrypted
like stored tokens (a session row is not a place for a plain token), or the feed's content.
The confirm imports through the same services as `POST /api/import/lms`, so the page and the
API can never disagree on what an import does.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from accounts import crypto
from accounts.errors import ApplicationError
from courses import feeds
from courses import services as course_services
from courses.services.lms_import import LMS_ACTION_ERROR, LmsImportReport
from integrations.lms import services as lms_services
from integrations.lms import sources
from integrations.lms.preview import LmsPreview, lms_preview
from integrations.lms.snapshot import OAuthTokens

PENDING_SESSION_KEY = "integrations_lms_pending"
FEED_TYPE = "ics"


@dataclass
class ConnectPreview:
    lms_type: str
    label: str
    base_url: str
    # One of the two: an LMS read by API, or a calendar feed's rows.
    lms: LmsPreview | None = None
    feed: LmsImportReport | None = None


def lms_connect_preview(
    *,
    user,
    session,
    lms_type: str,
    base_url: str,
    token: str = "",
    oauth: OAuthTokens | None = None,
) -> ConnectPreview:
    """What connecting would import; keeps what the confirm needs in `session`.

    ApplicationError with field errors (`token`, `base_url`) when it cannot be read."""
    session.pop(PENDING_SESSION_KEY, None)
    base_url = base_url.strip().rstrip("/")
    if lms_type == FEED_TYPE:
        try:
            content = feeds.fetch_feed(base_url, user=user)
        except ApplicationError as exc:
            raise ApplicationError(exc.message, field_errors={"base_url": [exc.message]}) from exc
        report = course_services.lms_import_preview(user=user, content=content)
        session[PENDING_SESSION_KEY] = {
            "user_id": str(user.pk),
            "lms_type": FEED_TYPE,
            "base_url": base_url,
            "content": base64.b64encode(content).decode("ascii"),
        }
        return ConnectPreview(
            lms_type=FEED_TYPE, label="Calendar feed", base_url=base_url, feed=report
        )
    if oauth is not None:
        token = oauth.access_token
    preview = lms_preview(user=user, lms_type=lms_type, base_url=base_url, token=token)
    pending = {
        "user_id": str(user.pk),
        "lms_type": lms_type,
        "base_url": base_url,
        "token": crypto.encrypt(token),
    }
    if oauth is not None:
        pending["refresh_token"] = crypto.encrypt(oauth.refresh_token)
        pending["expires_at"] = oauth.expires_at.isoformat() if oauth.expires_at else ""
    session[PENDING_SESSION_KEY] = pending
    return ConnectPreview(lms_type=lms_type, label=preview.label, base_url=base_url, lms=preview)


def _pending(*, user, session) -> dict:
    pending = session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict) or pending.get("user_id") != str(user.pk):
        raise ApplicationError("Nothing to import: the preview has expired. Connect again.")
    return pending


def lms_connect_confirm(*, user, session) -> str:
    """Imports what the preview showed (the LMS is read again) and keeps the LMS connected;
    returns the summary for the student. ApplicationError, with nothing written, otherwise."""
    pending = _pending(user=user, session=session)
    if pending["lms_type"] == FEED_TYPE:
        content = base64.b64decode(pending["content"])
        report = course_services.lms_import_confirm(user=user, content=content)
        if report.has_errors:
            reasons = sorted({row.reason for row in report.rows if row.action == LMS_ACTION_ERROR})
            raise ApplicationError(f"Nothing was imported: {'; '.join(reasons)}")
        session.pop(PENDING_SESSION_KEY, None)
        counts = report.counts
        return (
            f"Calendar imported: {counts['create']} created, {counts['update']} updated, "
            f"{counts['unchanged']} unchanged, {counts['skip']} skipped."
        )
    source = sources.get(pending["lms_type"])
    if source is None:
        raise ApplicationError("Nothing to import: the preview has expired. Connect again.")
    token = crypto.decrypt(pending["token"])
    result = lms_services.lms_import(
        user=user,
        lms_type=source.key,
        credentials={"base_url": pending["base_url"], source.token_field: token},
    )
    if "refresh_token" in pending:
        lms_services.lms_connection_oauth_set(
            connection=result.connection,
            refresh_token=crypto.decrypt(pending["refresh_token"]),
            expires_at=(
                datetime.fromisoformat(pending["expires_at"]) if pending["expires_at"] else None
            ),
        )
    session.pop(PENDING_SESSION_KEY, None)
    return (
        f"{source.label} connected: {len(result.course_ids)} course(s), "
        f"{result.assessments_created} new and {result.assessments_updated} updated "
        f"assessment(s), {result.grades_created + result.grades_updated} grade(s). "
        "It is read again every few hours."
    )
