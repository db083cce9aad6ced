"""Moodle web services (REST protocol, JSON), read-only, with a student's web-service token.

Functions (https://docs.moodle.org/dev/Web_service_API_functions):
- core_webservice_get_site_info: the token's user id
- core_enrol_get_users_courses: the student's courses
- mod_assign_get_assignments / mod_quiz_get_quizzes_by_courses: due dates (duedate, timeclose)
- gradereport_user_get_grade_items: the student's grades and each item's weight (weightraw)

Moodle answers most errors with HTTP 200 and {"exception", "errorcode", "message"}; an invalid
token is errorcode "invalidtoken". Moodle has no standard throttle, but proxies in front of it
answer 429 or 503, which are treated as transient.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlencode

from courses.imports import assessment_type_for
from integrations.lms.snapshot import LmsAssignment, LmsCourse, LmsGrade, LmsSnapshot
from integrations.lms.transport import LmsTransportError, lms_get

REST_PATH = "/webservice/rest/server.php"
AUTH_ERROR_CODES = frozenset({"invalidtoken", "accessexception", "usernotfullysetup"})


class MoodleError(Exception):
    """kind: auth, rate_limited, server, unreachable, bad_response."""

    def __init__(self, message: str, *, kind: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retry_after = retry_after

    @property
    def is_transient(self) -> bool:
        return self.kind in ("rate_limited", "server", "unreachable")


def _from_unix(raw) -> datetime | None:
    try:
        seconds = int(raw or 0)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None


def _day(raw) -> date | None:
    moment = _from_unix(raw)
    return moment.date() if moment else None


class MoodleClient:
    def __init__(self, *, base_url: str, token: str, resolver=None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.resolver = resolver

    def call(self, function: str, **params):
        query = [
            ("wstoken", self.token),
            ("wsfunction", function),
            ("moodlewsrestformat", "json"),
        ]
        for key, value in params.items():
            if isinstance(value, list | tuple):
                query.extend((f"{key}[{index}]", str(item)) for index, item in enumerate(value))
            else:
                query.append((key, str(value)))
        try:
            response = lms_get(
                f"{self.base_url}{REST_PATH}?{urlencode(query)}", resolver=self.resolver
            )
        except LmsTransportError as exc:
            raise MoodleError(
                f"Moodle could not be reached: {exc.message}", kind="unreachable"
            ) from exc
        if response.status in (429, 503):
            raise MoodleError(
                "Moodle is limiting requests right now; try again in a few minutes.",
                kind="rate_limited",
                retry_after=_retry_after(response.header("Retry-After")),
            )
        if response.status >= 500:
            raise MoodleError(
                f"Moodle failed on its side (HTTP {response.status}); try again later.",
                kind="server",
            )
        if response.status in (401, 403):
            raise MoodleError("Moodle refused the web-service token.", kind="auth")
        if response.status != 200:
            raise MoodleError(
                f"Moodle answered HTTP {response.status}; check the Moodle address.",
                kind="bad_response",
            )
        body = response.json()
        if isinstance(body, dict) and body.get("exception"):
            if body.get("errorcode") in AUTH_ERROR_CODES:
                raise MoodleError(
                    "Moodle refused the web-service token; create a new one under Preferences > "
                    "Security keys.",
                    kind="auth",
                )
            reason = str(body.get("message") or body.get("errorcode"))[:200]
            raise MoodleError(
                f"Moodle refused {function}: {reason}",
                kind="bad_response",
            )
        if body is None:
            raise MoodleError("Moodle answered something that is not JSON.", kind="bad_response")
        return body

    def snapshot(self) -> LmsSnapshot:
        site = self.call("core_webservice_get_site_info")
        user_id = str(site.get("userid") or "") if isinstance(site, dict) else ""
        if not user_id:
            raise MoodleError("Moodle did not say whose token this is.", kind="bad_response")
        raw_courses = self.call("core_enrol_get_users_courses", userid=user_id)
        courses = [
            LmsCourse(
                external_id=str(raw["id"]),
                code=str(raw.get("shortname") or raw["id"])[:40],
                name=str(raw.get("fullname") or raw.get("shortname") or "Moodle course")[:200],
                term="",
                start_date=_day(raw.get("startdate")),
                end_date=_day(raw.get("enddate")),
            )
            for raw in raw_courses or []
            if isinstance(raw, dict) and raw.get("id") is not None and not raw.get("hidden")
        ]
        if not courses:
            return LmsSnapshot(remote_user_id=user_id, courses=[])
        by_id = {course.external_id: course for course in courses}
        ids = list(by_id)
        items: dict[tuple[str, str, str], LmsAssignment] = {}
        assigns = self.call("mod_assign_get_assignments", courseids=ids)
        for raw_course in assigns.get("courses") or []:
            for raw in raw_course.get("assignments") or []:
                name = str(raw.get("name") or "Assignment")[:200]
                items[(str(raw_course.get("id")), "assign", str(raw["id"]))] = LmsAssignment(
                    external_id=f"assign:{raw['id']}",
                    name=name,
                    type=assessment_type_for(name),
                    due_at=_from_unix(raw.get("duedate")),
                    points_possible=max(float(raw.get("grade") or 0.0), 0.0),
                )
        quizzes = self.call("mod_quiz_get_quizzes_by_courses", courseids=ids)
        for raw in quizzes.get("quizzes") or []:
            # A quiz hidden from students is not a deadline (Moodle still lists it to some).
            if raw.get("visible") in (False, 0):
                continue
            items[(str(raw.get("course")), "quiz", str(raw["id"]))] = LmsAssignment(
                external_id=f"quiz:{raw['id']}",
                name=str(raw.get("name") or "Quiz")[:200],
                type="quiz",
                due_at=_from_unix(raw.get("timeclose")),
                points_possible=max(float(raw.get("grade") or 0.0), 0.0),
            )
        for course_id in ids:
            report = self.call(
                "gradereport_user_get_grade_items", courseid=course_id, userid=user_id
            )
            for usergrade in report.get("usergrades") or []:
                for item in usergrade.get("gradeitems") or []:
                    key = (course_id, str(item.get("itemmodule")), str(item.get("iteminstance")))
                    if key not in items:
                        continue
                    current = items[key]
                    grade = None
                    raw_grade, grade_max = item.get("graderaw"), float(item.get("grademax") or 0)
                    if raw_grade is not None and grade_max > 0:
                        grade = LmsGrade(
                            score=float(raw_grade),
                            max_score=grade_max,
                            graded_at=_from_unix(item.get("gradedategraded")),
                        )
                    weight = item.get("weightraw")
                    items[key] = LmsAssignment(
                        external_id=current.external_id,
                        name=current.name,
                        type=current.type,
                        due_at=current.due_at,
                        points_possible=grade_max or current.points_possible,
                        weight_fraction=float(weight) if weight is not None else None,
                        grade=grade,
                    )
        for (course_id, _module, _instance), assignment in items.items():
            if course_id in by_id:
                by_id[course_id].assignments.append(assignment)
        return LmsSnapshot(remote_user_id=user_id, courses=courses)


def _retry_after(raw: str) -> float | None:
    try:
        return max(float(raw), 0.0)
    except (TypeError, ValueError):
        return None
