"""Canvas LMS REST API, read-only, for the student's own courses, assignments and scores.

Endpoints (https://canvas.instructure.com/doc/api/):
- GET /api/v1/courses?enrollment_state=active&include[]=term
- GET /api/v1/courses/:id/assignment_groups?include[]=assignments&include[]=submission
  (the student's own submission rides along with each assignment, so one paginated list per
  course gives groups, weights, due dates, points and scores)

Pagination follows the `Link: <...>; rel="next"` header to the end. Canvas throttles with
403 "Rate Limit Exceeded" (and some proxies with 429); both are `kind="rate_limited"`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlencode, urlsplit

from courses.imports import assessment_type_for
from integrations.lms.snapshot import LmsAssignment, LmsCourse, LmsGrade, LmsSnapshot
from integrations.lms.transport import LmsTransportError, lms_get

PER_PAGE = 100
# A student has a handful of courses; 50 pages of 100 is far past any real account and stops
# a server that keeps answering rel="next" from holding the request forever.
MAX_PAGES = 50
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class CanvasError(Exception):
    """kind: auth (wrong or expired token), rate_limited, server, unreachable, bad_response."""

    def __init__(self, message: str, *, kind: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retry_after = retry_after

    @property
    def is_transient(self) -> bool:
        return self.kind in ("rate_limited", "server", "unreachable")


def _parse_time(raw) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None


def _parse_date(raw) -> date | None:
    moment = _parse_time(raw)
    return moment.date() if moment else None


def _retry_after(raw: str) -> float | None:
    try:
        return max(float(raw), 0.0)
    except (TypeError, ValueError):
        return None


class CanvasClient:
    def __init__(self, *, base_url: str, access_token: str, resolver=None):
        self.base_url = base_url.rstrip("/")
        self.origin = urlsplit(self.base_url)[:2]
        self.access_token = access_token
        self.resolver = resolver

    def _get_pages(self, path: str, params: list[tuple[str, str]]) -> list:
        url = f"{self.base_url}{path}?{urlencode([*params, ('per_page', str(PER_PAGE))])}"
        items: list = []
        for _page in range(MAX_PAGES):
            try:
                response = lms_get(
                    url,
                    headers={"Authorization": f"Bearer {self.access_token}"},
                    resolver=self.resolver,
                )
            except LmsTransportError as exc:
                raise CanvasError(
                    f"Canvas could not be reached: {exc.message}", kind="unreachable"
                ) from exc
            self._raise_for_status(response)
            page = response.json()
            if not isinstance(page, list):
                raise CanvasError(
                    "Canvas answered something that is not a list.", kind="bad_response"
                )
            items.extend(page)
            match = _LINK_NEXT.search(response.header("Link"))
            if not match:
                return items
            url = match.group(1)
            # The token only ever goes back to the Canvas the student named.
            if urlsplit(url)[:2] != self.origin:
                raise CanvasError(
                    "Canvas pointed its next page at another site.", kind="bad_response"
                )
        raise CanvasError(
            "Canvas kept answering more pages than any account has.", kind="bad_response"
        )

    def _raise_for_status(self, response) -> None:
        status = response.status
        if status == 200:
            return
        body_text = response.body[:500].decode("utf-8", "replace")
        if status == 401:
            raise CanvasError(
                "Canvas refused the access token; create a new one under Account > Settings.",
                kind="auth",
            )
        if status == 429 or (status == 403 and "rate limit" in body_text.lower()):
            raise CanvasError(
                "Canvas is limiting requests right now; try again in a few minutes.",
                kind="rate_limited",
                retry_after=_retry_after(response.header("Retry-After")),
            )
        if status == 403:
            raise CanvasError("Canvas does not let this token read your courses.", kind="auth")
        if status >= 500:
            raise CanvasError(
                f"Canvas failed on its side (HTTP {status}); try again later.", kind="server"
            )
        raise CanvasError(
            f"Canvas answered HTTP {status}; check the Canvas address.", kind="bad_response"
        )

    # --- reads -----------------------------------------------------------------------------
    def active_courses(self) -> list[dict]:
        return self._get_pages(
            "/api/v1/courses", [("enrollment_state", "active"), ("include[]", "term")]
        )

    def assignment_groups(self, course_id: str) -> list[dict]:
        return self._get_pages(
            f"/api/v1/courses/{int(course_id)}/assignment_groups",
            [("include[]", "assignments"), ("include[]", "submission")],
        )

    def snapshot(self) -> LmsSnapshot:
        courses = []
        for raw in self.active_courses():
            if (
                not isinstance(raw, dict)
                or raw.get("id") is None
                or raw.get("access_restricted_by_date")
            ):
                continue
            term = raw.get("term") or {}
            course = LmsCourse(
                external_id=str(raw["id"]),
                code=str(raw.get("course_code") or raw.get("name") or raw["id"])[:40],
                name=str(raw.get("name") or raw.get("course_code") or "Canvas course")[:200],
                term=str(term.get("name") or "")[:60],
                start_date=_parse_date(raw.get("start_at") or term.get("start_at")),
                end_date=_parse_date(raw.get("end_at") or term.get("end_at")),
                apply_group_weights=bool(raw.get("apply_assignment_group_weights")),
            )
            for group in self.assignment_groups(course.external_id):
                group_id = str(group.get("id"))
                course.group_weights[group_id] = float(group.get("group_weight") or 0.0)
                for assignment in group.get("assignments") or []:
                    # Canvas hides unpublished work from students; a token that still sees it
                    # (a TA's) must not make it a deadline either.
                    if isinstance(assignment, dict) and assignment.get("published") is False:
                        continue
                    course.assignments.append(_assignment(assignment, group_id))
            courses.append(course)
        return LmsSnapshot(remote_user_id="self", courses=courses)


def _assignment(raw: dict, group_id: str) -> LmsAssignment:
    points = float(raw.get("points_possible") or 0.0)
    submission = raw.get("submission") or {}
    grade = None
    score = submission.get("score")
    is_graded = submission.get("workflow_state") == "graded" and not submission.get("excused")
    if is_graded and score is not None and points > 0:
        grade = LmsGrade(
            score=float(score),
            max_score=points,
            graded_at=_parse_time(submission.get("graded_at") or submission.get("submitted_at")),
        )
    name = str(raw.get("name") or "Assignment")[:200]
    is_quiz = "online_quiz" in (raw.get("submission_types") or []) or raw.get("is_quiz_assignment")
    return LmsAssignment(
        external_id=str(raw.get("id")),
        name=name,
        type="quiz" if is_quiz else assessment_type_for(name),
        due_at=_parse_time(raw.get("due_at")),
        points_possible=points,
        group_id=group_id,
        grade=grade,
    )
