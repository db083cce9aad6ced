"""Every import format under hostile input: the course CSV, the grade rows and the
iCalendar feed either import clean rows or report errors; they never raise anything but the one
ApplicationError (a 400), and never store a value the database would refuse or could not read.

Applying is all-or-nothing, so each example runs in a transaction that is rolled back; what was
written is checked inside it, on the real database (PostgreSQL in CI).
"""

import contextlib

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import hygiene
from accounts.errors import ApplicationError
from courses import services as course_services
from courses.models import Assessment, Course
from courses.tests.factories import CourseFactory
from mastery import services as mastery_services
from mastery.models import PerformanceRecord

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

HOSTILE_TEXT = st.sampled_from(
    ["\x00", "a\x00b", "\ud800", "\u202eRTL\u200f", "x" * 10_000, "", " ", '"', ",", "\r\n"]
)
TEXT = st.one_of(HOSTILE_TEXT, st.text(max_size=30))
HOSTILE_DATE = st.sampled_from(
    ["0001-01-01", "9999-12-31", "1969-12-31", "2101-01-01", "12/31/9999", "2026-02-30"]
)
DATE = st.one_of(HOSTILE_DATE, st.dates().map(str), st.just("2026-09-01"))
HOSTILE_INT = st.sampled_from([2**31, 2**63, -(2**31) - 1, 0, -1])
NUMBER = st.one_of(HOSTILE_INT, st.integers(), st.floats(allow_nan=True, allow_infinity=True))


def assert_storable(rows):
    """What was written can be read back: no NUL, and every date inside the bounds."""
    for row in rows:
        for value in row.values():
            if isinstance(value, str):
                assert hygiene.is_clean_text(value)
            elif hasattr(value, "year"):
                assert hygiene.DATE_MIN.year <= value.year <= hygiene.DATE_MAX.year


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@EXAMPLES
@given(rows=st.lists(st.tuples(TEXT, TEXT, TEXT, DATE, DATE, TEXT), min_size=1, max_size=4))
def test_course_csv(user, rows):
    lines = ["name,code,semester,start_date,end_date,instructor"]
    lines += [",".join(csv_cell(cell) for cell in row) for row in rows]
    content = "\n".join(lines).encode("utf-8", "surrogatepass")
    with transaction.atomic():
        with contextlib.suppress(ApplicationError):
            course_services.courses_import_csv(user=user, content=content)
        assert_storable(Course.objects.for_user(user).values())
        transaction.set_rollback(True)


GRADE_ROW = st.fixed_dictionaries(
    {"assessment_name": TEXT, "score": NUMBER, "date": DATE},
    optional={
        "max_score": NUMBER,
        "time_spent_min": NUMBER,
        "topics": st.lists(TEXT, max_size=2),
        TEXT: TEXT,
    },
)


@EXAMPLES
@given(grades=st.lists(GRADE_ROW, min_size=1, max_size=4))
def test_grade_rows(user, grades):
    with transaction.atomic():
        course = CourseFactory(user=user)
        with contextlib.suppress(ApplicationError):
            mastery_services.grades_import(user=user, course=course, grades=grades)
        assert_storable(PerformanceRecord.objects.filter(user=user).values())
        assert_storable(Assessment.objects.filter(course=course).values())
        transaction.set_rollback(True)


ICAL_DATE = st.sampled_from(
    [
        ":99991231T235900",
        ":00010101T000000Z",
        ";VALUE=DATE:99991231",
        ";TZID=America/New_York:99991231T235900",
        ":20261201T120000Z",
        ":20261201",
        ":garbage",
    ]
)


@EXAMPLES
@given(
    events=st.lists(st.tuples(TEXT, TEXT, ICAL_DATE, TEXT), min_size=1, max_size=4),
    zone=st.sampled_from(["Pacific/Pago_Pago", "Pacific/Kiritimati", "UTC"]),
)
def test_icalendar_feed(user, events, zone):
    user.timezone = zone
    user.save()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//probe//EN"]
    for uid, summary, dtstart, category in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}".replace("\r", "").replace("\n", ""),
            f"SUMMARY:{summary} [MATH 101]".replace("\r", "").replace("\n", ""),
            f"DTSTART{dtstart}",
            f"CATEGORIES:{category}".replace("\r", "").replace("\n", ""),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    content = "\r\n".join(lines).encode("utf-8", "surrogatepass")
    with transaction.atomic():
        CourseFactory(user=user, code="MATH 101")
        try:
            course_services.lms_import_preview(user=user, content=content)
            course_services.lms_import_confirm(user=user, content=content)
        except ApplicationError:
            pass
        assert_storable(Assessment.objects.filter(course__user=user).values())
        transaction.set_rollback(True)
