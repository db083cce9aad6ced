"""A stateful fake of Moodle's REST web services (JSON format), for the functions the import
uses. Payloads follow Moodle's external function definitions (core_webservice_get_site_info,
core_enrol_get_users_courses, mod_assign_get_assignments, mod_quiz_get_quizzes_by_courses,
gradereport_user_get_grade_items). As Moodle does, an invalid token answers HTTP 200 with an
`invalidtoken` exception body; a proxy's throttle is injected as a 429 or 503.
"""

from __future__ import annotations

from datetime import datetime

from integrations.testing._http import FakeServer, Request, Response

REST_PATH = "/webservice/rest/server.php"


# The token the tests' Moodle accepts (a web-service token is 32 hex digits).
MOODLE_TOKEN = "0123456789abcdef0123456789abcdef"  # noqa: S105


def unix(moment: datetime) -> int:
    """Moodle's time format: seconds since the epoch."""
    return int(moment.timestamp())


def _exception(errorcode: str, message: str) -> Response:
    return Response(
        200, {"exception": "moodle_exception", "errorcode": errorcode, "message": message}
    )


class FakeMoodle(FakeServer):
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
        self.assignments: dict[int, list[dict]] = {}
        self.quizzes: dict[int, list[dict]] = {}
        # (course id, user id) -> grade items
        self.grade_items: dict[int, list[dict]] = {}
        self._next_id = 100

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    # --- helpers for tests and the demo ----------------------------------------------------
    def add_token(self, token: str, *, user_id: int = 7) -> None:
        with self.lock:
            self.tokens[token] = user_id

    def add_course(self, *, shortname: str, fullname: str, startdate: int, enddate: int) -> int:
        with self.lock:
            course_id = self._id()
            self.courses.append(
                {
                    "id": course_id,
                    "shortname": shortname,
                    "fullname": fullname,
                    "displayname": fullname,
                    "enrolledusercount": 42,
                    "idnumber": "",
                    "visible": 1,
                    "summary": "",
                    "summaryformat": 1,
                    "format": "topics",
                    "showgrades": True,
                    "lang": "",
                    "enablecompletion": True,
                    "category": 1,
                    "progress": 0,
                    "completed": False,
                    "startdate": startdate,
                    "enddate": enddate,
                    "marker": 0,
                    "lastaccess": None,
                    "isfavourite": False,
                    "hidden": False,
                    "overviewfiles": [],
                }
            )
            self.assignments[course_id] = []
            self.quizzes[course_id] = []
            self.grade_items[course_id] = []
            return course_id

    def add_assignment(
        self, course_id: int, *, name: str, duedate: int, grade: float, weight: float | None = None
    ) -> int:
        with self.lock:
            assign_id = self._id()
            self.assignments[course_id].append(
                {
                    "id": assign_id,
                    "cmid": assign_id + 5000,
                    "course": course_id,
                    "name": name,
                    "nosubmissions": 0,
                    "allowsubmissionsfromdate": 0,
                    "duedate": duedate,
                    "cutoffdate": 0,
                    "gradingduedate": 0,
                    "grade": grade,
                    "timemodified": 1767225600,
                    "intro": f"<p>{name}</p>",
                    "introformat": 1,
                }
            )
            self._add_grade_item(course_id, "assign", assign_id, name, grade, weight)
            return assign_id

    def add_quiz(
        self,
        course_id: int,
        *,
        name: str,
        timeclose: int,
        grade: float,
        weight: float | None = None,
    ) -> int:
        with self.lock:
            quiz_id = self._id()
            self.quizzes[course_id].append(
                {
                    "id": quiz_id,
                    "course": course_id,
                    "coursemodule": quiz_id + 5000,
                    "name": name,
                    "intro": "",
                    "introformat": 1,
                    "timeopen": 0,
                    "timeclose": timeclose,
                    "timelimit": 1800,
                    "attempts": 1,
                    "grademethod": 1,
                    "sumgrades": grade,
                    "grade": grade,
                    "visible": True,
                }
            )
            self._add_grade_item(course_id, "quiz", quiz_id, name, grade, weight)
            return quiz_id

    def _add_grade_item(self, course_id, module, instance, name, grademax, weight) -> None:
        self.grade_items[course_id].append(
            {
                "id": self._id(),
                "itemname": name,
                "itemtype": "mod",
                "itemmodule": module,
                "iteminstance": instance,
                "itemnumber": 0,
                "categoryid": 1,
                "outcomeid": None,
                "scaleid": None,
                "cmid": instance + 5000,
                "weightraw": weight,
                "graderaw": None,
                "gradedatesubmitted": None,
                "gradedategraded": None,
                "gradeishidden": False,
                "gradeislocked": False,
                "gradeisoverridden": False,
                "gradeformatted": "-",
                "grademin": 0,
                "grademax": grademax,
                "percentageformatted": "-",
                "feedback": "",
                "feedbackformat": 0,
            }
        )

    def grade(self, course_id: int, module: str, instance: int, *, score: float, at: int) -> None:
        with self.lock:
            for item in self.grade_items[course_id]:
                if item["itemmodule"] == module and item["iteminstance"] == instance:
                    item.update(graderaw=score, gradedategraded=at, gradeformatted=f"{score:.2f}")

    def set_assignment(self, course_id: int, assign_id: int, **changes) -> None:
        with self.lock:
            next(a for a in self.assignments[course_id] if a["id"] == assign_id).update(changes)

    def delete_module(self, course_id: int, module: str, instance: int) -> None:
        """A teacher deletes the activity: its module and its grade item go."""
        with self.lock:
            store = self.assignments if module == "assign" else self.quizzes
            store[course_id] = [item for item in store[course_id] if item["id"] != instance]
            self.grade_items[course_id] = [
                item
                for item in self.grade_items[course_id]
                if not (item["itemmodule"] == module and item["iteminstance"] == instance)
            ]

    def set_quiz(self, course_id: int, quiz_id: int, **changes) -> None:
        with self.lock:
            next(q for q in self.quizzes[course_id] if q["id"] == quiz_id).update(changes)

    # --- the API -----------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        if request.path != REST_PATH:
            return Response(404, {"error": "not found"}, content_type="text/html")
        user_id = self.tokens.get(request.query.get("wstoken", ""))
        if user_id is None:
            return _exception("invalidtoken", "Invalid token - token not found")
        function = request.query.get("wsfunction", "")
        course_ids = [
            int(value)
            for key, value in request.raw_query_pairs
            if key.startswith("courseids[") and value.isdigit()
        ]
        if function == "core_webservice_get_site_info":
            return Response(
                200,
                {
                    "sitename": "Fake Moodle",
                    "username": "student",
                    "firstname": "Sam",
                    "lastname": "Student",
                    "fullname": "Sam Student",
                    "lang": "en",
                    "userid": user_id,
                    "siteurl": self.base_url,
                    "functions": [],
                    "release": "4.5 (Build: 20241007)",
                    "version": "2024100700",
                },
            )
        if function == "core_enrol_get_users_courses":
            if str(user_id) != request.query.get("userid"):
                return _exception("accessdenied", "Access denied")
            return Response(200, self.courses)
        if function == "mod_assign_get_assignments":
            return Response(
                200,
                {
                    "courses": [
                        {
                            "id": course["id"],
                            "fullname": course["fullname"],
                            "shortname": course["shortname"],
                            "timemodified": 1767225600,
                            "assignments": self.assignments.get(course["id"], []),
                        }
                        for course in self.courses
                        if not course_ids or course["id"] in course_ids
                    ],
                    "warnings": [],
                },
            )
        if function == "mod_quiz_get_quizzes_by_courses":
            quizzes = [
                quiz
                for course_id, items in self.quizzes.items()
                if not course_ids or course_id in course_ids
                for quiz in items
            ]
            return Response(200, {"quizzes": quizzes, "warnings": []})
        if function == "gradereport_user_get_grade_items":
            course_id = int(request.query.get("courseid") or 0)
            if str(user_id) != request.query.get("userid"):
                return _exception(
                    "nopermissions", "Sorry, but you do not currently have permissions"
                )
            return Response(
                200,
                {
                    "usergrades": [
                        {
                            "courseid": course_id,
                            "courseidnumber": "",
                            "userid": user_id,
                            "userfullname": "Sam Student",
                            "useridnumber": "",
                            "maxdepth": 2,
                            "gradeitems": self.grade_items.get(course_id, []),
                        }
                    ],
                    "warnings": [],
                },
            )
        return _exception(
            "invalidrecord", "Can't find data record in database table external_functions."
        )
