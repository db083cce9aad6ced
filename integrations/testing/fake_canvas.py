"""A stateful fake of the Canvas LMS REST API (the read endpoints the import uses).

Payloads follow https://canvas.instructure.com/doc/api/ (Courses, Assignment Groups with
include[]=assignments and include[]=submission); lists are paginated with a `Link` header
(rel="current", "next", "first", "last") honouring `per_page`, capped by `max_per_page` as
Canvas caps it. A wrong token gets Canvas's 401 body; throttling is a 403 "Rate Limit
Exceeded" with X-Rate-Limit-Remaining, injected with `inject_rate_limit`.

OAuth2 as in https://canvas.instructure.com/doc/api/file.oauth.html: GET /login/oauth2/auth
shows a consent page (Authorize / Cancel; `auto_approve` skips it), POST /login/oauth2/token
takes the client id and secret in the form body and answers `authorization_code` (with a
refresh token and `expires_in`) and `refresh_token` grants; errors are Canvas's
`{"error": "invalid_grant", "error_description": ...}`. `expire_access_tokens` makes every
access token answer 401, as after its hour.
"""

from __future__ import annotations

import copy
import html
import re
import secrets
from urllib.parse import urlencode

from integrations.testing._http import FakeServer, Request, Response

_COURSE_GROUPS = re.compile(r"^/api/v1/courses/(\d+)/assignment_groups$")
OAUTH_AUTHORIZE_PATH = "/login/oauth2/auth"
OAUTH_DECIDE_PATH = "/login/oauth2/decide"
OAUTH_TOKEN_PATH = "/login/oauth2/token"  # noqa: S105 - a path
# Canvas's access tokens live an hour.
ACCESS_TOKEN_SECONDS = 3600


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
        # OAuth2: developer keys (client id -> secret), codes waiting for their exchange,
        # refresh tokens (-> the user id), and what the token endpoint was asked.
        self.oauth_clients: dict[str, str] = {}
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: dict[str, int] = {}
        self.auto_approve = False
        self.token_requests: list[dict] = []

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

    def add_oauth_client(self, client_id: str, client_secret: str) -> None:
        with self.lock:
            self.oauth_clients[client_id] = client_secret

    def expire_access_tokens(self) -> None:
        """Every access token is past its hour: the API answers 401 until a refresh."""
        with self.lock:
            self.tokens.clear()

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()

    def inject_rate_limit(self, *, times: int = 1) -> None:
        self.inject_fault(
            method="GET",
            path_contains="/api/v1/",
            status=403,
            body={"message": "403 Forbidden (Rate Limit Exceeded)"},
            headers={"X-Rate-Limit-Remaining": "0.0", "Retry-After": "30"},
            times=times,
        )

    # --- OAuth2 ------------------------------------------------------------------------------
    def _authorize(self, request: Request) -> Response:
        query = request.query
        if query.get("client_id") not in self.oauth_clients or not query.get("redirect_uri"):
            return Response(400, "unknown client_id or no redirect_uri", content_type="text/plain")
        if query.get("response_type") != "code":
            return Response(400, "response_type must be code", content_type="text/plain")
        allow = OAUTH_DECIDE_PATH + "?" + urlencode({**query, "decision": "allow"})
        deny = OAUTH_DECIDE_PATH + "?" + urlencode({**query, "decision": "deny"})
        if self.auto_approve:
            return Response(302, b"", {"Location": allow})
        page = (
            "<!doctype html><html lang='en'><head><title>Fake Canvas: authorize</title></head>"
            "<body><h1>Study Planner is requesting access to your account</h1>"
            f"<p><a id='authorize' href='{html.escape(allow)}'>Authorize</a> "
            f"<a id='cancel' href='{html.escape(deny)}'>Cancel</a></p></body></html>"
        )
        return Response(200, page, content_type="text/html; charset=utf-8")

    def _decide(self, request: Request) -> Response:
        query = request.query
        params = {"state": query["state"]} if "state" in query else {}
        if query.get("decision") != "allow":
            params["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(12)
            self.codes[code] = {
                "client_id": query.get("client_id", ""),
                "redirect_uri": query.get("redirect_uri", ""),
            }
            params["code"] = code
        location = query.get("redirect_uri", "") + "?" + urlencode(params)
        return Response(302, b"", {"Location": location})

    def _issue(self, user_id: int, *, refresh_token: str | None) -> dict:
        access = f"7~oauth-{secrets.token_urlsafe(12)}"
        self.tokens[access] = user_id
        answer = {
            "access_token": access,
            "token_type": "Bearer",
            "user": {"id": user_id, "name": "Sam Student", "global_id": f"1000000{user_id}"},
            "expires_in": ACCESS_TOKEN_SECONDS,
        }
        if refresh_token is not None:
            answer["refresh_token"] = refresh_token
        return answer

    def _token(self, request: Request) -> Response:
        form = request.form()
        self.token_requests.append(form)
        client_id = form.get("client_id", "")
        if self.oauth_clients.get(client_id) != form.get("client_secret") or not client_id:
            return Response(401, {"error": "invalid_client", "error_description": "unknown client"})
        grant = form.get("grant_type")
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if (
                issued is None
                or issued["client_id"] != client_id
                or issued["redirect_uri"] != form.get("redirect_uri")
            ):
                return Response(
                    400, {"error": "invalid_grant", "error_description": "code is invalid"}
                )
            refresh = f"7~refresh-{secrets.token_urlsafe(12)}"
            self.refresh_tokens[refresh] = 501
            return Response(200, self._issue(501, refresh_token=refresh))
        if grant == "refresh_token":
            user_id = self.refresh_tokens.get(form.get("refresh_token", ""))
            if user_id is None:
                return Response(
                    400, {"error": "invalid_grant", "error_description": "refresh_token not found"}
                )
            # Canvas keeps the refresh token: the answer carries only a new access token.
            return Response(200, self._issue(user_id, refresh_token=None))
        return Response(400, {"error": "unsupported_grant_type"})

    # --- the API -----------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        if request.path == OAUTH_AUTHORIZE_PATH and request.method == "GET":
            return self._authorize(request)
        if request.path == OAUTH_DECIDE_PATH and request.method == "GET":
            return self._decide(request)
        if request.path == OAUTH_TOKEN_PATH and request.method == "POST":
            return self._token(request)
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
