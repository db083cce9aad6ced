"""A stateful fake of the Canvas LMS REST API (the read endpoints the import uses).

Payloads follow https://canvas.instructure.com/doc/api/ (Courses, Assignment Groups with
include[]=assignments and include[]=submission); lists are paginated with a `Link` header
(rel="current", "next", "first", "last") honouring `per_page`, capped by `max_per_page` as
Canvas caps it. A wrong token gets Canvas's 401 body; throttling is a 403 "Rate Limit
Exceeded" with X-Rate-Limit-Remaining, injected with `inject_rate_limit`.
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urlencode

from integrations.testing._http import FakeServer, Request, Response

_COURSE_GROUPS = re.compile(r"^/api/v1/courses/(\d+)/assignment_groups$")


class FakeCanvas(FakeServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self._init_state()

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self._init_state()

    def _init_state(self) -> None:
        self.tokens: dict[str, int] = {}
        self.courses: list[dict] = []
        self.groups: dict[int, list[dict]] = {}
        # Canvas caps per_page (at 100 on most instances); tests lower it to force pages.
        self.max_per_page = 100
        self._next_id = 1000

    # --- helpers for tests and the demo ----------------------------------------------------
    def add_token(self, token: str, *, user_id: int = 501) -> None:
        with self.lock:
            self.tokens[token] = user_id

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_course(
        self,
        *,
        code: str,
        name: str,
        apply_group_weights: bool = False,
        term: str = "Fall 2026",
        start_at: str | None = "2026-09-01T07:00:00Z",
        end_at: str | None = "2026-12-20T07:00:00Z",
    ) -> int:
        with self.lock:
            course_id = self._id()
            self.courses.append(
                {
                    "id": course_id,
                    "name": name,
                    "account_id": 1,
                    "uuid": f"course-uuid-{course_id}",
                    "start_at": start_at,
                    "end_at": end_at,
                    "course_code": code,
                    "workflow_state": "available",
                    "default_view": "modules",
                    "enrollment_term_id": 1,
                    "is_public": False,
                    "time_zone": "America/Denver",
                    "apply_assignment_group_weights": apply_group_weights,
                    "enrollments": [
                        {
                            "type": "student",
                            "role": "StudentEnrollment",
                            "role_id": 3,
                            "user_id": 501,
                            "enrollment_state": "active",
                        }
                    ],
                    "term": {"id": 1, "name": term, "start_at": start_at, "end_at": end_at},
                }
            )
            self.groups[course_id] = []
            return course_id

    def add_group(self, course_id: int, *, name: str, weight: float) -> int:
        with self.lock:
            group_id = self._id()
            self.groups[course_id].append(
                {
                    "id": group_id,
                    "name": name,
                    "position": len(self.groups[course_id]) + 1,
                    "group_weight": weight,
                    "sis_source_id": None,
                    "integration_data": {},
                    "rules": {},
                    "assignments": [],
                }
            )
            return group_id

    def add_assignment(
        self,
        course_id: int,
        group_id: int,
        *,
        name: str,
        due_at: str | None,
        points: float,
        score: float | None = None,
        graded_at: str | None = None,
        submission_types: tuple[str, ...] = ("online_upload",),
    ) -> int:
        with self.lock:
            assignment_id = self._id()
            group = self._group(course_id, group_id)
            group["assignments"].append(
                {
                    "id": assignment_id,
                    "name": name,
                    "description": f"<p>{name}</p>",
                    "created_at": "2026-08-20T16:00:00Z",
                    "updated_at": "2026-08-20T16:00:00Z",
                    "due_at": due_at,
                    "lock_at": None,
                    "unlock_at": None,
                    "course_id": course_id,
                    "html_url": f"{self.base_url}/courses/{course_id}/assignments/{assignment_id}",
                    "assignment_group_id": group_id,
                    "points_possible": points,
                    "grading_type": "points",
                    "submission_types": list(submission_types),
                    "published": True,
                    "omit_from_final_grade": False,
                    "submission": self._submission(assignment_id, score, graded_at),
                }
            )
            return assignment_id

    def set_assignment(self, course_id: int, assignment_id: int, **changes) -> None:
        """Change an assignment (due_at, points_possible, ...) as a teacher would."""
        with self.lock:
            self._assignment(course_id, assignment_id).update(changes)

    def delete_assignment(self, course_id: int, assignment_id: int) -> None:
        """A teacher deletes the assignment: Canvas lists it no more."""
        with self.lock:
            for group in self.groups[course_id]:
                group["assignments"] = [a for a in group["assignments"] if a["id"] != assignment_id]

    def grade(self, course_id: int, assignment_id: int, *, score: float, graded_at: str) -> None:
        with self.lock:
            assignment = self._assignment(course_id, assignment_id)
            assignment["submission"] = self._submission(assignment_id, score, graded_at)

    def _submission(self, assignment_id: int, score: float | None, graded_at: str | None) -> dict:
        is_graded = score is not None
        return {
            "assignment_id": assignment_id,
            "user_id": 501,
            "attempt": 1 if is_graded else None,
            "score": score,
            "grade": None if score is None else f"{score:g}",
            "graded_at": graded_at if is_graded else None,
            "submitted_at": graded_at,
            "workflow_state": "graded" if is_graded else "unsubmitted",
            "late": False,
            "missing": False,
            "excused": False,
        }

    def _group(self, course_id: int, group_id: int) -> dict:
        return next(g for g in self.groups[course_id] if g["id"] == group_id)

    def _assignment(self, course_id: int, assignment_id: int) -> dict:
        for group in self.groups[course_id]:
            for assignment in group["assignments"]:
                if assignment["id"] == assignment_id:
                    return assignment
        raise KeyError(assignment_id)

    def inject_rate_limit(self, *, times: int = 1) -> None:
        self.inject_fault(
            method="GET",
            path_contains="/api/v1/",
            status=403,
            body={"message": "403 Forbidden (Rate Limit Exceeded)"},
            headers={"X-Rate-Limit-Remaining": "0.0", "Retry-After": "30"},
            times=times,
        )

    # --- the API -----------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        if request.method != "GET":
            return Response(
                404, {"errors": [{"message": "The specified resource does not exist."}]}
            )
        if request.bearer not in self.tokens:
            return Response(
                401,
                {"errors": [{"message": "Invalid access token."}]},
                headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
            )
        if request.path == "/api/v1/courses":
            if request.query.get("enrollment_state") == "active":
                items = [c for c in self.courses if c["workflow_state"] == "available"]
            else:
                items = list(self.courses)
            return self._page(request, items)
        match = _COURSE_GROUPS.match(request.path)
        if match and int(match.group(1)) in self.groups:
            return self._page(request, self.groups[int(match.group(1))])
        return Response(404, {"errors": [{"message": "The specified resource does not exist."}]})

    def _page(self, request: Request, items: list[dict]) -> Response:
        per_page = min(int(request.query.get("per_page") or 10), self.max_per_page)
        page = max(int(request.query.get("page") or 1), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = copy.deepcopy(items[(page - 1) * per_page : page * per_page])

        def link(number: int) -> str:
            # Canvas repeats the query (include[] and all) on every link.
            params = [(key, value) for key, value in request.raw_query_pairs if key != "page"]
            return f"{self.base_url}{request.path}?{urlencode([*params, ('page', number)])}"

        rels = [f'<{link(page)}>; rel="current"']
        if page < last:
            rels.append(f'<{link(page + 1)}>; rel="next"')
        if page > 1:
            rels.append(f'<{link(page - 1)}>; rel="prev"')
        rels += [f'<{link(1)}>; rel="first"', f'<{link(last)}>; rel="last"']
        return Response(200, chunk, headers={"Link": ",".join(rels)})
