"""Importing a student's Canvas or Moodle account, and keeping it in sync.

Reading happens first, outside any transaction (it may take seconds); then one transaction
writes the connection, the courses, the assessments and the grades, so a wrong token, an
unreachable host or a rule broken half-way writes nothing. Everything is keyed by the LMS's
ids (`external_uid` = lms:host:course:item), so running the import again updates in place.

Grades become performance records through the mastery service (one record per imported
assessment, source "import"), which recomputes mastery on commit; changed assessments send
`assessment_changed`, which replans. That is the whole adaptive loop, no shortcut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from accounts import limits
from accounts.errors import ApplicationError
from courses import feeds, quotas
from courses import services as course_services
from integrations.lms import sources
from integrations.lms.snapshot import LmsCourse, LmsSnapshot, assessment_weights
from integrations.models import LmsConnection
from mastery import services as mastery_services
from mastery.models import EvidenceSource, PerformanceRecord

# A sync every six hours keeps due dates and grades fresh within a school day without
# hammering a university's LMS (Canvas throttles per token).
LMS_SYNC_INTERVAL = timedelta(hours=6)
# A course with no dates in the LMS is given a term of this length from today.
DEFAULT_TERM_LENGTH = timedelta(days=120)
GRADE_SCORE_TOLERANCE = 1e-9
# An OAuth2 access token (an hour, on Canvas) is refreshed when it has less than this left,
# so a sync never starts with a token that dies half-way through its pages.
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)


@dataclass
class LmsImportResult:
    lms_type: str
    connection: LmsConnection
    courses_created: int = 0
    courses_matched: int = 0
    assessments_created: int = 0
    assessments_updated: int = 0
    assessments_unchanged: int = 0
    assessments_skipped: int = 0
    assessments_removed: int = 0
    assessments_restored: int = 0
    grades_created: int = 0
    grades_updated: int = 0
    course_ids: list[str] = field(default_factory=list)

    def as_body(self) -> dict:
        return {
            "lms_type": self.lms_type,
            "connection_id": str(self.connection.pk),
            "last_sync_at": self.connection.last_sync_at,
            "courses": {"created": self.courses_created, "matched": self.courses_matched},
            "assessments": {
                "created": self.assessments_created,
                "updated": self.assessments_updated,
                "unchanged": self.assessments_unchanged,
                "skipped": self.assessments_skipped,
                "removed": self.assessments_removed,
                "restored": self.assessments_restored,
            },
            "grades": {"created": self.grades_created, "updated": self.grades_updated},
            "course_ids": self.course_ids,
        }


def _credential_errors(source, credentials) -> tuple[str, str]:
    if not isinstance(credentials, dict):
        raise ApplicationError(
            "Give the LMS credentials.",
            field_errors={"credentials": ["An object with base_url and the token."]},
        )
    errors: list[str] = []
    base_url = credentials.get("base_url")
    token = credentials.get(source.token_field)
    unknown = sorted(set(credentials) - {"base_url", source.token_field})
    if unknown:
        errors.append(f"Unknown field(s) for {source.label}: {', '.join(unknown)}.")
    if not isinstance(base_url, str) or urlsplit(base_url.strip()).scheme not in ("http", "https"):
        errors.append(f"base_url: the http(s) address of your {source.label} site.")
    if not isinstance(token, str) or not token.strip() or len(token) > 500:
        errors.append(f"{source.token_field}: your {source.label} token.")
    if errors:
        raise ApplicationError(
            "The LMS credentials are incomplete.", field_errors={"credentials": errors}
        )
    return base_url.strip().rstrip("/"), token.strip()


def _read(source, *, base_url: str, token: str) -> LmsSnapshot:
    try:
        return source.read(base_url=base_url, token=token)
    except sources.LmsReadError as exc:
        raise ApplicationError(exc.message, field_errors={"credentials": [exc.message]}) from exc


def _course_dates(course: LmsCourse, today: date) -> tuple[date, date]:
    due_days = [a.due_at.date() for a in course.assignments if a.due_at]
    start = course.start_date or (min(due_days) if due_days else today)
    end = course.end_date or (max(due_days) if due_days else start + DEFAULT_TERM_LENGTH)
    start = min([start, *due_days])
    end = max([end, *due_days])
    if end <= start:
        end = start + timedelta(days=1)
    return start, end


def _apply(
    *, user, lms_type: str, host: str, snapshot: LmsSnapshot, result: LmsImportResult
) -> None:
    now = timezone.now()
    for lms_course in snapshot.courses:
        start, end = _course_dates(lms_course, now.date())
        course, created = course_services.lms_course_get_or_create(
            user=user,
            code=lms_course.code,
            name=lms_course.name,
            semester=lms_course.term or f"{start:%Y} (from {lms_type.title()})",
            start_date=start,
            end_date=end,
        )
        result.courses_created += created
        result.courses_matched += not created
        result.course_ids.append(str(course.pk))
        # An assessment needs a due date to be planned for; undated LMS items are skipped.
        dated = [a for a in lms_course.assignments if a.due_at is not None]
        result.assessments_skipped += len(lms_course.assignments) - len(dated)
        weights = assessment_weights(lms_course, dated)

        def uid(assignment, lms_course=lms_course) -> str:
            return f"{lms_type}:{host}:{lms_course.external_id}:{assignment.external_id}"[:255]

        items = [
            course_services.LmsAssessmentItem(
                external_uid=uid(a),
                name=a.name,
                type=a.type,
                due_date=a.due_at,
                max_score=a.points_possible if a.points_possible > 0 else 1.0,
                weight_percent=weights.get(a.external_id, 0.0),
            )
            for a in dated
        ]
        outcome = course_services.lms_assessments_sync(
            course=course,
            items=items,
            source_prefix=f"{lms_type}:{host}:{lms_course.external_id}:",
            # Undated items are listed too: losing its due date does not remove an item.
            listed_uids=[uid(a) for a in lms_course.assignments],
            now=now,
        )
        result.assessments_created += outcome.created
        result.assessments_updated += outcome.updated
        result.assessments_unchanged += outcome.unchanged
        result.assessments_removed += outcome.removed
        result.assessments_restored += outcome.restored
        for assignment in dated:
            if assignment.grade is not None:
                _upsert_grade(
                    user=user,
                    assessment=outcome.by_uid[uid(assignment)],
                    grade=assignment.grade,
                    now=now,
                    result=result,
                )


def _upsert_grade(*, user, assessment, grade, now: datetime, result: LmsImportResult) -> None:
    max_score = assessment.max_score
    # Scores are rescaled to the assessment's points; extra credit above full marks is capped,
    # since a record may not exceed its maximum.
    score = min(max(grade.score * max_score / grade.max_score, 0.0), max_score)
    completed_at = min(grade.graded_at or assessment.due_date, now)
    existing = (
        PerformanceRecord.objects.for_user(user)
        .filter(assessment=assessment, source=EvidenceSource.IMPORT)
        .order_by("created_at")
        .first()
    )
    if existing is None:
        mastery_services.performance_record_create(
            user=user,
            course=assessment.course,
            assessment=assessment,
            score=score,
            max_score=max_score,
            time_spent_min=assessment.estimated_duration_min,
            completed_at=completed_at,
            source=EvidenceSource.IMPORT,
        )
        result.grades_created += 1
        return
    is_same = (
        abs(existing.score - score) < GRADE_SCORE_TOLERANCE
        and abs(existing.max_score - max_score) < GRADE_SCORE_TOLERANCE
    )
    if not is_same:
        mastery_services.performance_record_update(
            record=existing, score=score, max_score=max_score, completed_at=completed_at
        )
        result.grades_updated += 1


def _import(
    *,
    user,
    source,
    base_url: str,
    token: str,
    connection: LmsConnection | None,
    is_students_request: bool = False,
) -> LmsImportResult:
    snapshot = _read(source, base_url=base_url, token=token)
    if is_students_request:
        # Counted once the LMS answered: a mistyped token must not use up the day's imports.
        quotas.check_import_allowance(user=user)
    host = (urlsplit(base_url).hostname or "").lower()
    with transaction.atomic():
        if connection is None:
            connection = (
                LmsConnection.objects.select_for_update()
                .filter(user=user, lms_type=source.key, base_url=base_url)
                .first()
            ) or LmsConnection(user=user, lms_type=source.key, base_url=base_url)
        else:
            connection = LmsConnection.objects.select_for_update().get(pk=connection.pk)
        now = timezone.now()
        result = LmsImportResult(lms_type=source.key, connection=connection)
        _apply(user=user, lms_type=source.key, host=host, snapshot=snapshot, result=result)
        connection.access_token = token
        connection.remote_user_id = snapshot.remote_user_id
        connection.last_sync_at = now
        connection.next_sync_at = now + LMS_SYNC_INTERVAL
        connection.last_error = ""
        connection.save()
    return result


def lms_import(*, user, lms_type: str, credentials) -> LmsImportResult:
    """Read the student's LMS with these credentials, write it all, and keep it connected.

    ApplicationError (a 400, nothing written) for bad credentials, a refused token, an
    unreachable or private host, a throttled or failing LMS, or a quota."""
    source = sources.get(lms_type)
    if source is None:
        raise ApplicationError("Unknown LMS.", field_errors={"lms_type": ["Not a supported LMS."]})
    base_url, token = _credential_errors(source, credentials)
    # Each read holds a web thread for seconds, so it counts against the feed allowance.
    limits.enforce(
        "lms-feed-fetch",
        str(user.pk),
        limit=feeds.feed_fetches_per_hour(),
        window_seconds=feeds.FETCH_WINDOW_SECONDS,
        message="Too many LMS imports in the last hour; try again later.",
        field="credentials",
    )
    return _import(
        user=user,
        source=source,
        base_url=base_url,
        token=token,
        connection=None,
        is_students_request=True,
    )


def _fresh_access_token(*, connection: LmsConnection, source, force: bool = False) -> str:
    """The connection's access token, refreshed first through OAuth2 when it expires within
    the margin (or `force`, after the LMS refused it). A personal token is used as it is."""
    if not connection.uses_oauth:
        return connection.access_token
    expires_at = connection.token_expires_at
    if not force and expires_at is not None and expires_at > timezone.now() + TOKEN_REFRESH_MARGIN:
        return connection.access_token
    try:
        tokens = source.refresh(
            base_url=connection.base_url, refresh_token=connection.refresh_token
        )
    except sources.LmsReadError as exc:
        if exc.kind == "auth":
            message = f"{source.label} no longer accepts this app's access; connect again."
            raise ApplicationError(message) from exc
        raise ApplicationError(exc.message) from exc
    connection.access_token = tokens.access_token
    # Canvas keeps the refresh token it gave first; a new one replaces it when given.
    connection.refresh_token = tokens.refresh_token or connection.refresh_token
    connection.token_expires_at = tokens.expires_at
    connection.save(
        update_fields=["access_token", "refresh_token", "token_expires_at", "updated_at"]
    )
    return tokens.access_token


def _sync_read_and_write(*, connection: LmsConnection, source) -> LmsImportResult:
    def run(token: str) -> LmsImportResult:
        return _import(
            user=connection.user,
            source=source,
            base_url=connection.base_url,
            token=token,
            connection=connection,
        )

    # A refused refresh is final (raised from here, outside the retry below).
    token = _fresh_access_token(connection=connection, source=source)
    try:
        return run(token)
    except ApplicationError as exc:
        cause = exc.__cause__
        is_refused = isinstance(cause, sources.LmsReadError) and cause.kind == "auth"
        if not (connection.uses_oauth and is_refused):
            raise
    # Refused before its expiry (revoked and re-granted, or a clock apart): one refresh.
    return run(_fresh_access_token(connection=connection, source=source, force=True))


def lms_connection_sync(*, connection: LmsConnection) -> LmsImportResult:
    """Re-read a connected LMS. A refused token or a broken rule is noted on the connection
    for the student to see (and ApplicationError raised); a transient failure raises
    LmsReadError for the task to retry later. An OAuth2 access token is refreshed when it
    expires, or once when the LMS refuses it."""
    source = sources.get(connection.lms_type)
    try:
        return _sync_read_and_write(connection=connection, source=source)
    except ApplicationError as exc:
        cause = exc.__cause__
        is_transient = isinstance(cause, sources.LmsReadError) and cause.is_transient
        LmsConnection.objects.filter(pk=connection.pk).update(
            last_error=exc.message,
            next_sync_at=timezone.now() + LMS_SYNC_INTERVAL,
        )
        if is_transient:
            raise cause from exc
        raise


def lms_connection_oauth_set(
    *, connection: LmsConnection, refresh_token: str, expires_at: datetime | None
) -> LmsConnection:
    """Keeps the OAuth2 refresh token (encrypted) and the access token's expiry, so the sync
    can refresh it instead of asking the student to connect again."""
    connection.refresh_token = refresh_token
    connection.token_expires_at = expires_at
    connection.save(update_fields=["refresh_token", "token_expires_at", "updated_at"])
    return connection


@transaction.atomic
def lms_connection_disconnect(*, connection: LmsConnection) -> None:
    """Forget the credentials; what was imported stays (it is the student's data now)."""
    connection.delete()


def import_handler(lms_type: str):
    """The function courses' import view calls for this LMS: the JSON body of the result."""

    def handle(*, user, credentials) -> dict:
        return lms_import(user=user, lms_type=lms_type, credentials=credentials).as_body()

    return handle
