import threading
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.errors import ApplicationError
from courses import services
from courses.feeds import fetch_feed
from courses.imports import MAX_CSV_ROWS, assessment_type_for
from courses.models import Assessment, Course
from courses.tests.factories import AssessmentFactory, CourseFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

CSV_HEADER = "name,code,semester,start_date,end_date,instructor\n"


def csv_line(index: int) -> str:
    return f"Course {index},CRS {100 + index},Fall 2026,2026-08-24,2026-12-18,Dr. {index}\n"


# --- CSV ------------------------------------------------------------------------------------


def test_csv_import_creates_courses(user):
    content = CSV_HEADER + csv_line(1) + csv_line(2)
    report = services.courses_import_csv(user=user, content=content.encode())
    assert report.applied
    assert [row.action for row in report.rows] == ["create", "create"]
    course = Course.objects.for_user(user).get(code="CRS 101")
    assert (course.name, course.instructor_name, course.start_date) == (
        "Course 1",
        "Dr. 1",
        date(2026, 8, 24),
    )


@pytest.mark.parametrize(
    "header",
    [
        "name,code,semester,start_date,end_date,instructor",
        "Name , CODE, Semester ,Start Date,End Date,Instructor",
        "NAME,Code,SEMESTER,START_DATE,end date,instructor name",
        "code,name,semester,startdate,enddate",
    ],
)
def test_csv_headers_match_without_case_or_spaces(user, header):
    columns = [part.strip().lower().replace(" ", "").replace("_", "") for part in header.split(",")]
    values = {
        "name": "Calculus I",
        "code": "MATH 2413",
        "semester": "Fall 2026",
        "startdate": "2026-08-24",
        "enddate": "2026-12-18",
        "instructor": "Dr. Noether",
        "instructorname": "Dr. Noether",
    }
    line = ",".join(values[column] for column in columns)
    report = services.courses_import_csv(user=user, content=f"{header}\n{line}\n")
    assert report.applied, report.errors
    course = Course.objects.for_user(user).get()
    assert (course.code, course.end_date) == ("MATH 2413", date(2026, 12, 18))


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-08-24", "2026-12-18"), ("08/24/2026", "12/18/2026"), ("8/24/2026", "2026-12-18")],
)
def test_csv_accepts_iso_and_us_dates(user, start, end):
    content = f"{CSV_HEADER}Calculus,MATH 2413,Fall 2026,{start},{end},\n"
    report = services.courses_import_csv(user=user, content=content)
    assert report.applied
    course = Course.objects.get()
    assert (course.start_date, course.end_date) == (date(2026, 8, 24), date(2026, 12, 18))


def test_csv_utf8_bom_and_blank_lines_are_fine(user):
    content = ("\ufeff" + CSV_HEADER + "\n" + csv_line(1) + "\n").encode("utf-8")
    assert services.courses_import_csv(user=user, content=content).applied


def test_csv_reimport_is_idempotent_and_updates_changes(user):
    content = CSV_HEADER + csv_line(1) + csv_line(2)
    services.courses_import_csv(user=user, content=content)
    again = services.courses_import_csv(user=user, content=content)
    assert [row.action for row in again.rows] == ["unchanged", "unchanged"]
    changed = content.replace("Course 2,", "Course Two,")
    report = services.courses_import_csv(user=user, content=changed)
    assert [row.action for row in report.rows] == ["unchanged", "update"]
    assert Course.objects.count() == 2
    assert Course.objects.get(code="CRS 102").name == "Course Two"


def test_csv_dry_run_writes_nothing(user):
    report = services.courses_import_csv(user=user, content=CSV_HEADER + csv_line(1), dry_run=True)
    assert (report.dry_run, report.applied) == (True, False)
    assert report.rows[0].action == "create"
    assert not Course.objects.exists()


def test_csv_every_bad_row_is_reported_with_line_field_reason(user):
    content = (
        CSV_HEADER
        + csv_line(1)
        + ",CRS 2,Fall 2026,2026-08-24,2026-12-18,\n"
        + "Bad dates,CRS 3,Fall 2026,2026-13-45,2026-01-01,\n"
        + "Backwards,CRS 4,Fall 2026,2026-12-18,2026-08-24,\n"
        + csv_line(1)
    )
    report = services.courses_import_csv(user=user, content=content)
    assert not report.applied
    assert {(error["line"], error["field"]) for error in report.errors} == {
        (3, "name"),
        (4, "start_date"),
        (5, "end_date"),
        (6, "code"),
    }
    assert "line 2" in next(e["message"] for e in report.errors if e["line"] == 6)
    assert not Course.objects.exists()


def test_csv_row_clashing_with_an_existing_course_field_value_is_fine(user):
    CourseFactory(user=user, code="CRS 101", semester="Fall 2026", name="Old")
    report = services.courses_import_csv(user=user, content=CSV_HEADER + csv_line(1))
    assert report.rows[0].action == "update"
    assert Course.objects.get().name == "Course 1"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("name,code\nA,B\n", "Missing column"),
        (CSV_HEADER, "no course rows"),
        (b"name,code\n\xff\xfe", "UTF-8"),
    ],
)
def test_csv_file_level_problems(user, content, message):
    with pytest.raises(ApplicationError) as excinfo:
        services.courses_import_csv(user=user, content=content)
    assert message in excinfo.value.message


def test_csv_size_and_row_limits(user):
    too_many = CSV_HEADER + "".join(csv_line(i) for i in range(MAX_CSV_ROWS + 1))
    with pytest.raises(ApplicationError) as excinfo:
        services.courses_import_csv(user=user, content=too_many)
    assert str(MAX_CSV_ROWS) in excinfo.value.message
    too_big = CSV_HEADER + "x" * (1024 * 1024)
    with pytest.raises(ApplicationError) as excinfo:
        services.courses_import_csv(user=user, content=too_big)
    assert "larger" in excinfo.value.message
    assert not Course.objects.exists()


BAD_CELLS = {
    "name": ",CRS {i},Fall 2026,2026-08-24,2026-12-18,\n",
    "start_date": "Bad,CRS {i},Fall 2026,yesterday,2026-12-18,\n",
    "end_date": "Bad,CRS {i},Fall 2026,2026-08-24,2026-08-01,\n",
    "semester": "Bad,CRS {i},,2026-08-24,2026-12-18,\n",
}


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    row_count=st.integers(min_value=1, max_value=12),
    bad_position=st.integers(min_value=0, max_value=11),
    bad_field=st.sampled_from(sorted(BAD_CELLS)),
)
def test_csv_is_all_or_nothing_wherever_the_bad_row_is(user, row_count, bad_position, bad_field):
    bad_index = bad_position % row_count
    lines = [
        BAD_CELLS[bad_field].format(i=100 + index) if index == bad_index else csv_line(index)
        for index in range(row_count)
    ]
    with transaction.atomic():
        report = services.courses_import_csv(user=user, content=CSV_HEADER + "".join(lines))
        assert not report.applied
        assert {(error["line"], error["field"]) for error in report.errors} == {
            (bad_index + 2, bad_field)
        }
        assert not Course.objects.for_user(user).exists()
        transaction.set_rollback(True)


def test_csv_api_multipart_and_dry_run(api_client, user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("courses.csv", (CSV_HEADER + csv_line(1)).encode(), "text/csv")
    response = api_client.post("/api/import/csv?dry_run=true", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.data
    assert response.json()["created"] == 1
    assert not Course.objects.exists()

    upload = SimpleUploadedFile("courses.csv", (CSV_HEADER + csv_line(1)).encode(), "text/csv")
    response = api_client.post("/api/import/csv", {"file": upload}, format="multipart")
    assert response.status_code == 200
    assert response.json()["applied"] is True
    assert Course.objects.for_user(user).count() == 1


def test_csv_api_raw_body_and_400_report(api_client, user):
    bad = CSV_HEADER + csv_line(1) + "X,CRS 9,Fall 2026,2026-08-24,nope,\n"
    response = api_client.generic("POST", "/api/import/csv", bad.encode(), content_type="text/csv")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [
        {"line": 3, "field": "end_date", "message": body["errors"][0]["message"]}
    ]
    assert [row["action"] for row in body["rows"]] == ["create", "error"]
    assert not Course.objects.exists()


def test_csv_api_without_file_is_400(api_client):
    response = api_client.post("/api/import/csv", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


# --- LMS calendars --------------------------------------------------------------------------

CANVAS_FEED = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Instructure//Canvas LMS//EN
X-WR-CALNAME:Ada Lovelace Calendar (Canvas)
BEGIN:VEVENT
UID:event-assignment-1001
DTSTAMP:20260901T120000Z
DTSTART:20261016T035900Z
DTEND:20261016T035900Z
SUMMARY:Homework 3 [MATH 2413-001 Calculus I]
DESCRIPTION:Problems 1-20 from section 2.3
URL:https://canvas.example.edu/courses/42/assignments/1001
END:VEVENT
BEGIN:VEVENT
UID:event-assignment-1002
DTSTAMP:20260901T120000Z
DTSTART;VALUE=DATE:20261020
DTEND;VALUE=DATE:20261021
SUMMARY:Quiz 2: Derivatives [MATH 2413-001 Calculus I]
END:VEVENT
BEGIN:VEVENT
UID:event-assignment-1003
DTSTAMP:20260901T120000Z
DTSTART;TZID=America/Chicago:20261105T235900
SUMMARY:Midterm Exam [MATH 2413-001 Calculus I]
END:VEVENT
BEGIN:VEVENT
UID:event-assignment-1004
DTSTAMP:20260901T120000Z
DTSTART:20261210T170000Z
SUMMARY:Final Project Report [PHYS 2425-002 University Physics]
END:VEVENT
BEGIN:VEVENT
UID:event-calendar-event-77
DTSTAMP:20260901T120000Z
DTSTART:20261001T150000Z
SUMMARY:Office hours [HIST 1301-005 US History]
END:VEVENT
END:VCALENDAR
"""

MOODLE_FEED = """BEGIN:VCALENDAR
METHOD:PUBLISH
PRODID:-//Moodle Pty Ltd//NONSGML Moodle Version 2024100700//EN
VERSION:2.0
BEGIN:VEVENT
UID:3301@moodle.example.edu
SUMMARY:Lab report 4 is due
DESCRIPTION:Submit your lab report.
CLASS:PUBLIC
LAST-MODIFIED:20260910T101010Z
DTSTAMP:20260910T101010Z
DTSTART:20261022T090000
DTEND:20261022T090000
CATEGORIES:PHYS2425
END:VEVENT
BEGIN:VEVENT
UID:3302@moodle.example.edu
SUMMARY:Final exam
DTSTAMP:20260910T101010Z
DTSTART;TZID=Europe/London:20261214T093000
CATEGORIES:PHYS2425
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def lms_courses(user):
    assert user.timezone == "America/New_York"
    return {
        "math": CourseFactory(user=user, code="MATH 2413", name="Calculus I"),
        "phys": CourseFactory(user=user, code="PHYS 2425", name="University Physics"),
    }


def rows_by_uid(report):
    return {row.uid: row for row in report.rows}


def test_canvas_feed_preview_writes_nothing_and_maps_types_courses_and_times(user, lms_courses):
    report = services.lms_import_preview(user=user, content=CANVAS_FEED)
    rows = rows_by_uid(report)
    assert not Assessment.objects.exists()
    homework = rows["event-assignment-1001"]
    assert (homework.action, homework.type, homework.name) == ("create", "assignment", "Homework 3")
    assert homework.course_id == str(lms_courses["math"].pk)
    assert homework.due == datetime(2026, 10, 16, 3, 59, tzinfo=UTC)
    quiz = rows["event-assignment-1002"]
    # All-day: 23:59 in the student's timezone (New York, UTC-4 in October).
    assert (quiz.type, quiz.due) == ("quiz", datetime(2026, 10, 21, 3, 59, tzinfo=UTC))
    midterm = rows["event-assignment-1003"]
    # TZID Chicago: standard time (UTC-6) from 1 November 2026.
    assert (midterm.type, midterm.due) == ("midterm", datetime(2026, 11, 6, 5, 59, tzinfo=UTC))
    project = rows["event-assignment-1004"]
    assert (project.type, project.course_id) == ("project", str(lms_courses["phys"].pk))
    skipped = rows["event-calendar-event-77"]
    assert skipped.action == "skip"
    assert "No course" in skipped.reason


def test_moodle_feed_floating_times_use_the_students_timezone(user, lms_courses):
    report = services.lms_import_preview(user=user, content=MOODLE_FEED)
    rows = rows_by_uid(report)
    lab = rows["3301@moodle.example.edu"]
    assert lab.course_id == str(lms_courses["phys"].pk)  # matched through CATEGORIES
    assert lab.due == datetime(2026, 10, 22, 13, 0, tzinfo=UTC)  # 09:00 New York (UTC-4)
    final = rows["3302@moodle.example.edu"]
    assert (final.type, final.due) == ("final", datetime(2026, 12, 14, 9, 30, tzinfo=UTC))


def test_confirm_creates_with_zero_weight_then_reimport_updates_not_duplicates(
    user, lms_courses, django_capture_on_commit_callbacks
):
    from courses.signals import assessment_changed

    events = []

    def receiver(sender, user_id, assessment_ids, **kwargs):
        events.append(len(assessment_ids))

    assessment_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = services.lms_import_confirm(user=user, content=CANVAS_FEED)
    finally:
        assessment_changed.disconnect(receiver)
    assert report.applied
    assert events == [4]  # one event for the whole import
    imported = Assessment.objects.for_user(user)
    assert imported.count() == 4
    assert {a.weight_percent for a in imported} == {0.0}
    assert all(a.created_from_import for a in imported)

    again = services.lms_import_confirm(user=user, content=CANVAS_FEED)
    assert {row.action for row in again.rows if row.course_id} == {"unchanged"}

    moved = CANVAS_FEED.replace("DTSTART:20261016T035900Z", "DTSTART:20261018T035900Z")
    report = services.lms_import_confirm(user=user, content=moved)
    assert rows_by_uid(report)["event-assignment-1001"].action == "update"
    assert Assessment.objects.for_user(user).count() == 4
    homework = Assessment.objects.get(external_uid="event-assignment-1001")
    assert homework.due_date == datetime(2026, 10, 18, 3, 59, tzinfo=UTC)


def test_reimport_keeps_the_students_weight(user, lms_courses):
    services.lms_import_confirm(user=user, content=CANVAS_FEED)
    homework = Assessment.objects.get(external_uid="event-assignment-1001")
    services.assessment_update(assessment=homework, weight_percent=15)
    moved = CANVAS_FEED.replace("Homework 3 [", "Homework 3 (revised) [")
    services.lms_import_confirm(user=user, content=moved)
    homework.refresh_from_db()
    assert (homework.name, homework.weight_percent) == ("Homework 3 (revised)", 15)


def test_fallback_course_takes_events_naming_no_course(user, lms_courses):
    history = CourseFactory(user=user, code="HIST 1000")
    report = services.lms_import_preview(user=user, content=CANVAS_FEED, fallback_course=history)
    assert rows_by_uid(report)["event-calendar-event-77"].course_id == str(history.pk)


def test_another_users_assessment_with_same_uid_is_untouched(user, other_user, lms_courses):
    theirs = AssessmentFactory(
        course=CourseFactory(user=other_user, code="MATH 2413"),
        external_uid="event-assignment-1001",
        name="Theirs",
    )
    services.lms_import_confirm(user=user, content=CANVAS_FEED)
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert Assessment.objects.filter(external_uid="event-assignment-1001").count() == 2


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("Quiz 3", "quiz"),
        ("Weekly quizzes", "quiz"),
        ("Midterm 1", "midterm"),
        ("Mid-term exam", "midterm"),
        ("FINAL EXAM", "final"),
        ("Final project", "project"),
        ("Group Project proposal", "project"),
        ("Homework 4", "assignment"),
        ("Finalize notes", "assignment"),
    ],
)
def test_type_from_keywords(summary, expected):
    assert assessment_type_for(summary) == expected


def broken_event(index: int, kind: str) -> str:
    body = {
        "no_uid": f"SUMMARY:Broken {index} [MATH 2413]\nDTSTART:20261016T035900Z\n",
        "no_date": f"UID:broken-{index}\nSUMMARY:Broken {index} [MATH 2413]\n",
        "bad_date": f"UID:broken-{index}\nSUMMARY:Broken [MATH 2413]\nDTSTART:tomorrow\n",
    }[kind]
    return f"BEGIN:VEVENT\n{body}END:VEVENT\n"


def good_event(index: int) -> str:
    return (
        f"BEGIN:VEVENT\nUID:good-{index}\nSUMMARY:Homework {index} [MATH 2413-001 Calculus I]\n"
        f"DTSTART:202610{10 + index:02d}T035900Z\nEND:VEVENT\n"
    )


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    event_count=st.integers(min_value=1, max_value=10),
    bad_position=st.integers(min_value=0, max_value=9),
    kind=st.sampled_from(["no_uid", "no_date", "bad_date"]),
)
def test_lms_confirm_is_all_or_nothing_wherever_the_bad_event_is(
    user, lms_courses, event_count, bad_position, kind
):
    bad_index = bad_position % event_count
    events = [
        broken_event(index, kind) if index == bad_index else good_event(index)
        for index in range(event_count)
    ]
    feed = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:test\n" + "".join(events) + "END:VCALENDAR\n"
    with transaction.atomic():
        report = services.lms_import_confirm(user=user, content=feed)
        assert not report.applied
        assert [row.action == "error" for row in report.rows] == [
            index == bad_index for index in range(event_count)
        ]
        assert not Assessment.objects.for_user(user).exists()
        transaction.set_rollback(True)


def test_not_an_ics_file_is_an_error(user):
    with pytest.raises(ApplicationError) as excinfo:
        services.lms_import_preview(user=user, content=b"hello, world\n")
    assert "iCalendar" in excinfo.value.message


# --- the API and feed URLs ------------------------------------------------------------------


class FeedHandler(BaseHTTPRequestHandler):
    feeds: dict[str, bytes] = {}
    slow_seconds = 1.0

    def do_GET(self):
        if self.path == "/slow.ics":
            time.sleep(self.slow_seconds)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
            return
        body = self.feeds.get(self.path.replace("/slow.ics", "/canvas.ics"))
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_message(self, format, *args):
        return


@pytest.fixture
def feed_server(settings):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = True
    settings.LMS_FEED_TIMEOUT_SECONDS = 0.3
    FeedHandler.feeds = {"/canvas.ics": CANVAS_FEED.encode(), "/big.ics": b"X" * 5000}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_api_preview_then_confirm_from_feed_url(api_client, user, lms_courses, feed_server):
    url = f"{feed_server}/canvas.ics"
    response = api_client.post("/api/import/lms", {"url": url}, format="json")
    assert response.status_code == 200, response.data
    body = response.json()
    assert (body["confirmed"], body["created"], body["skipped"]) == (False, 4, 1)
    assert not Assessment.objects.exists()

    response = api_client.post("/api/import/lms", {"url": url, "confirm": True}, format="json")
    assert response.status_code == 200
    assert response.json()["applied"] is True
    assert Assessment.objects.for_user(user).count() == 4


def test_api_seed_shape_ics_applies_the_feed(api_client, user, lms_courses, feed_server):
    """The seed's `{"lms_type": "ics", "credentials": {"url": ...}}` imports (confirm by
    default), and running it again changes nothing."""
    body = {"lms_type": "ics", "credentials": {"url": f"{feed_server}/canvas.ics"}}

    first = api_client.post("/api/import/lms", body, format="json")
    again = api_client.post("/api/import/lms", body, format="json")

    assert first.status_code == 200, first.data
    assert (first.json()["applied"], first.json()["created"]) == (True, 4)
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 4)
    assert Assessment.objects.for_user(user).count() == 4


def test_api_seed_shape_ics_can_preview(api_client, user, lms_courses, feed_server):
    body = {
        "lms_type": "ics",
        "credentials": {"url": f"{feed_server}/canvas.ics"},
        "confirm": False,
    }
    response = api_client.post("/api/import/lms", body, format="json")
    assert response.status_code == 200, response.data
    assert response.json()["confirmed"] is False
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lms_type": "ics", "credentials": {"url": "file:///etc/passwd"}}, "credentials"),
        (
            {"lms_type": "ics", "credentials": {"url": "http://x.test/a", "token": "t"}},
            "credentials",
        ),
        ({"lms_type": "blackboard", "credentials": {}}, "lms_type"),
        ({"lms_type": "canvas"}, "credentials"),
    ],
)
def test_api_seed_shape_bad_input_is_a_field_error(api_client, body, field):
    response = api_client.post("/api/import/lms", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_api_upload_ics_file(api_client, user, lms_courses):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("moodle.ics", MOODLE_FEED.encode(), "text/calendar")
    response = api_client.post(
        "/api/import/lms", {"file": upload, "confirm": "true"}, format="multipart"
    )
    assert response.status_code == 200, response.data
    assert response.json()["created"] == 2


def test_api_confirm_with_a_broken_event_is_400(api_client, user, lms_courses):
    feed = CANVAS_FEED.replace("UID:event-assignment-1003\n", "")
    response = api_client.post(
        "/api/import/lms", {"file": _upload(feed), "confirm": "true"}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == 1
    assert not Assessment.objects.exists()


def _upload(text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("feed.ics", text.encode(), "text/calendar")


def test_api_needs_exactly_one_of_file_and_url(api_client):
    response = api_client.post("/api/import/lms", {}, format="json")
    assert response.status_code == 400
    assert "file" in response.json()


def test_feed_timeout(feed_server):
    with pytest.raises(ApplicationError) as excinfo:
        fetch_feed(f"{feed_server}/slow.ics")
    assert "within" in excinfo.value.message or "longer" in excinfo.value.message


def test_feed_size_limit(feed_server, settings):
    settings.LMS_FEED_MAX_BYTES = 1000
    with pytest.raises(ApplicationError) as excinfo:
        fetch_feed(f"{feed_server}/big.ics")
    assert "larger" in excinfo.value.message


def test_feed_http_error_and_redirect_to_file_scheme(feed_server):
    with pytest.raises(ApplicationError) as excinfo:
        fetch_feed(f"{feed_server}/missing.ics")
    assert "404" in excinfo.value.message
    with pytest.raises(ApplicationError):
        fetch_feed(f"{feed_server}/redirect")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/feed.ics", "webcal", "gopher://x"]
)
def test_feed_rejects_other_schemes(url):
    with pytest.raises(ApplicationError) as excinfo:
        fetch_feed(url)
    assert "http" in excinfo.value.field_errors["url"][0]


def test_feed_rejects_private_hosts_unless_allowed(feed_server, settings, api_client):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(ApplicationError) as excinfo:
        fetch_feed(f"{feed_server}/canvas.ics")
    assert "private or local" in excinfo.value.message
    response = api_client.post("/api/import/lms", {"url": f"{feed_server}/canvas.ics"})
    assert response.status_code == 400
    assert "private or local" in response.json()["url"][0]
