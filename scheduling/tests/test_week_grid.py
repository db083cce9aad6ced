"""The week plan's time grid: seven local days from today, each block placed by its wall-clock
start and end in the student's zone (DST days too), reviews grouped, moves by drag (JSON)."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.errors import ApplicationError
from accounts.services import preferences_get_current
from courses.tests.factories import AssessmentFactory, CourseFactory
from scheduling import services
from scheduling.models import ReplanRequest, StudyTask, TaskType
from scheduling.tests.factories import StudyTaskFactory

pytestmark = pytest.mark.clock

CHICAGO = ZoneInfo("America/Chicago")
EVERY_DAY = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
JSON = {"HTTP_ACCEPT": "application/json"}


@dataclass
class Element:
    tag: str
    attrs: dict
    text: str = ""

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _Collector(HTMLParser):
    """Every element with a class, with its attributes and its own text up to its first child."""

    def __init__(self):
        super().__init__()
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in ("input", "br", "img", "link", "meta"):
            self.open.append(element)

    def handle_endtag(self, tag):
        if self.open:
            self.open.pop()

    def handle_data(self, data):
        for element in self.open:
            element.text += data


def elements(html: str, css_class: str) -> list[Element]:
    collector = _Collector()
    collector.feed(html)
    return [e for e in collector.elements if css_class in e.classes]


def position(element: Element) -> tuple[int, int, int, int]:
    """(offset hours, offset minutes, length hours, length minutes) from the position classes."""
    found = {}
    for name in element.classes:
        for prefix in ("at-h", "at-m", "len-h", "len-m"):
            if name.startswith(prefix) and name[len(prefix) :].isdigit():
                found[prefix] = int(name[len(prefix) :])
    return found["at-h"], found["at-m"], found["len-h"], found["len-m"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def student(user):
    user.timezone = "America/Chicago"
    user.save()
    prefs = preferences_get_current(user=user)
    prefs.weekly_availability = {day: [{"start": "08:00", "end": "20:00"}] for day in EVERY_DAY}
    prefs.save()
    return user


@pytest.fixture
def course(student):
    return CourseFactory(user=student, code="MATH 2413")


def block(course, start: datetime, minutes: int = 60, **extra) -> StudyTask:
    return StudyTaskFactory(
        user=course.user,
        course=course,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=minutes),
        estimated_duration_min=minutes,
        **extra,
    )


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def week_html(client, user=None, **params) -> str:
    if user is not None:
        # Logged in at the instant travelled to: a session from another season has expired.
        client.force_login(user)
    response = client.get(reverse("scheduling:week"), params)
    assert response.status_code == 200
    return response.content.decode()


# -- Days shown ----------------------------------------------------------------------------


def test_a_sunday_shows_today_and_the_six_days_ahead(client, student):
    client.force_login(student)
    # Sunday 23:30 in Chicago, already Monday in UTC: the student's own day decides.
    with time_machine.travel(local(2026, 12, 6, 23, 30), tick=False):
        html = week_html(client)
    columns = [e.attrs["data-date"] for e in elements(html, "wk-col")]
    assert columns == [f"2026-12-{day:02d}" for day in range(6, 13)]
    assert "today" in elements(html, "wk-col")[0].classes
    assert 'href="?start=2026-12-13"' in html and 'href="?start=2026-11-29"' in html


def test_start_and_the_older_week_parameter_both_work(client, student):
    client.force_login(student)
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        started = week_html(client, start="2026-12-10")
        legacy = week_html(client, week="2026-12-10")
    assert elements(started, "wk-col")[0].attrs["data-date"] == "2026-12-10"
    # ?week= from older links still shows the Monday-to-Sunday week holding the day.
    assert elements(legacy, "wk-col")[0].attrs["data-date"] == "2026-12-07"


# -- Placement -----------------------------------------------------------------------------


def test_blocks_carry_local_iso_times_and_sit_at_their_wall_clock_time(client, course):
    client.force_login(course.user)
    task = block(course, local(2026, 12, 3, 9, 15), minutes=50)
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        html = week_html(client)
    (element,) = [e for e in elements(html, "wk-block") if e.attrs.get("data-task-id")]
    assert element.attrs["data-start"] == "2026-12-03T09:15:00-06:00"
    assert element.attrs["data-end"] == "2026-12-03T10:05:00-06:00"
    # The hours run from the earliest availability (08:00): 1 h 15 min down, 50 min long.
    assert position(element) == (1, 15, 0, 50)
    assert element.attrs["data-move-url"] == reverse("scheduling:task_move", args=[task.pk])
    available = elements(html, "wk-available")
    assert len(available) == 7 and all(position(e) == (0, 0, 12, 0) for e in available)


def test_busy_time_and_the_now_line_are_placed(client, course):
    client.force_login(course.user)
    services.busy_intervals_replace(
        user=course.user,
        source="google",
        intervals=[(local(2026, 12, 2, 14, 0), local(2026, 12, 2, 15, 30))],
    )
    with time_machine.travel(local(2026, 12, 2, 12, 40), tick=False):
        html = week_html(client)
    (busy,) = elements(html, "wk-busy")
    assert busy.attrs["data-start"] == "2026-12-02T14:00:00-06:00"
    assert position(busy) == (6, 0, 1, 30) and "Busy 14:00–15:30" in busy.text
    (now_line,) = elements(html, "wk-now")
    assert position(now_line)[:2] == (4, 40)


@pytest.mark.parametrize(
    "utc_start,expected_start,hours_long",
    [
        # Spring forward: 09:00 is CDT (-05:00) on the 14th.
        (datetime(2027, 3, 14, 14, 0, tzinfo=UTC), "2027-03-14T09:00:00-05:00", 23),
        # Fall back: 09:00 is CST (-06:00) on the 1st.
        (datetime(2026, 11, 1, 15, 0, tzinfo=UTC), "2026-11-01T09:00:00-06:00", 25),
    ],
)
def test_on_a_dst_day_a_block_sits_at_its_local_time(
    client, course, utc_start, expected_start, hours_long
):
    client.force_login(course.user)
    block(course, utc_start)
    day = utc_start.astimezone(CHICAGO).date()
    # The day before, at the same wall-clock time, on the other side of the change.
    wall_time = utc_start.astimezone(CHICAGO).time()
    block(course, datetime.combine(day - timedelta(days=1), wall_time, tzinfo=CHICAGO))
    two_days_before = datetime.combine(day - timedelta(days=2), time(12, 0), tzinfo=CHICAGO)
    with time_machine.travel(two_days_before, tick=False):
        html = week_html(client, course.user)
    before, on_the_day = [e for e in elements(html, "wk-block") if e.attrs.get("data-task-id")]
    assert on_the_day.attrs["data-start"] == expected_start
    assert before.attrs["data-start"][:10] == (day - timedelta(days=1)).isoformat()
    assert before.attrs["data-start"][11:19] == "09:00:00"
    # Same wall-clock row on both days, an hour long on both: not shifted by the lost or
    # gained hour.
    assert position(on_the_day) == position(before) == (1, 0, 1, 0)
    assert f"{hours_long}-hour day" in html


def test_the_skipped_and_the_repeated_hour_are_named(client, student):
    client.force_login(student)
    prefs = preferences_get_current(user=student)
    prefs.weekly_availability = {day: [{"start": "00:30", "end": "05:00"}] for day in EVERY_DAY}
    prefs.save()
    with time_machine.travel(local(2027, 3, 12, 12, 0), tick=False):
        spring = week_html(client, student)
    (skipped,) = elements(spring, "wk-skipped")
    assert position(skipped) == (2, 0, 1, 0)  # 02:00–03:00 with the grid starting at 00:00
    assert "02:00–03:00 does not exist" in skipped.text
    with time_machine.travel(local(2026, 10, 30, 12, 0), tick=False):
        autumn = week_html(client, student)
    assert "25-hour day: 01:00–02:00 happens twice" in autumn
    assert not elements(autumn, "wk-skipped")


def test_the_hours_shown_widen_to_a_block_outside_availability(client, course):
    client.force_login(course.user)
    block(course, local(2026, 12, 3, 6, 30), minutes=30, is_pinned=True)
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        html = week_html(client)
    (grid,) = elements(html, "wk-grid")
    assert grid.attrs["data-first-hour"] == "6" and grid.attrs["data-hours"] == "14"
    (element,) = [e for e in elements(html, "wk-block") if e.attrs.get("data-task-id")]
    assert position(element) == (0, 30, 0, 30) and "wk-pinned" in element.classes


# -- Review sessions -----------------------------------------------------------------------


def test_short_reviews_in_a_row_are_one_review_session(client, course):
    client.force_login(course.user)
    first = local(2026, 12, 3, 18, 0)
    reviews = [
        block(course, first + timedelta(minutes=25 * n), minutes=15, task_type=TaskType.REVIEW)
        for n in range(3)
    ]
    study = block(course, local(2026, 12, 3, 19, 30), minutes=50)
    # A review after other work starts a group of its own: here, one block alone.
    late = block(course, local(2026, 12, 3, 21, 0), minutes=15, task_type=TaskType.REVIEW)
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        html = week_html(client)
    (session,) = elements(html, "wk-reviews")
    assert session.attrs["data-start"] == "2026-12-03T18:00:00-06:00"
    assert session.attrs["data-end"] == "2026-12-03T19:05:00-06:00"
    assert "Review session: 3 short reviews" in session.text
    single = {
        e.attrs["data-task-id"] for e in elements(html, "wk-block") if "data-task-id" in e.attrs
    }
    assert single == {str(study.pk), str(late.pk)}
    (details,) = elements(html, "review-session")
    assert details.tag == "details"
    assert "3 short reviews, 45 min of study" in details.text
    for review in reviews:
        assert review.title in details.text  # each topic listed, each card inside
        assert f'id="task-{review.pk}"' in html


# -- Queries -------------------------------------------------------------------------------


def test_the_grid_costs_the_same_queries_for_one_block_or_many(client, course, settings):
    # The page's own cost, as a cold cache renders it (a warm one skips the body's queries).
    settings.DASHBOARD_CACHE_ENABLED = False
    client.force_login(course.user)
    url = reverse("scheduling:week")
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        block(course, local(2026, 12, 3, 9, 0))
        client.get(url)
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        for day in range(3, 9):
            for hour in (10, 12):
                block(course, local(2026, 12, day, hour, 0))
            for minute in (0, 25):
                block(course, local(2026, 12, day, 15, minute), 15, task_type=TaskType.REVIEW)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
    assert len(many.captured_queries) == len(one.captured_queries)
    assert response.content.decode().count('class="task task-') == 1 + 6 * 4


# -- Moving by drag (JSON) and by the form ------------------------------------------------


@pytest.fixture
def movable(course):
    exam = AssessmentFactory(course=course, name="Final", due_date=local(2026, 12, 5, 12, 0))
    return block(course, local(2026, 12, 3, 9, 0), assessment=exam)


def move(client, task, new_start, **extra):
    url = reverse("scheduling:task_move", args=[task.pk])
    return client.post(url, {"new_start_time": new_start, **extra}, **JSON)


def test_a_drag_moves_the_block_pins_it_and_replans(client, movable):
    client.force_login(movable.user)
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        response = move(client, movable, "2026-12-04T10:30")
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-12-04T10:30:00-06:00",
        "end": "2026-12-04T11:30:00-06:00",
        "is_pinned": True,
    }
    movable.refresh_from_db()
    assert movable.is_pinned and movable.scheduled_start == local(2026, 12, 4, 10, 30)
    assert ReplanRequest.objects.filter(user=movable.user, reason="moved_by_hand").exists()


@pytest.mark.parametrize(
    "new_start,extra,message",
    [
        ("2026-12-04T21:00", {}, "outside your study availability"),
        ("2026-12-03T14:30", {}, "Conflicts with busy time"),
        ("2026-12-05T11:30", {}, "must end by its deadline"),
        # "Move it anyway" overrules availability and busy time, never the deadline.
        ("2026-12-05T11:30", {"force": "on"}, "must end by its deadline"),
        ("2026-12-03T10:30", {}, "Conflicts with “"),
        ("2026-12-01T10:00", {}, "Must be in the future"),
        ("next tuesday", {}, "Enter a valid date/time"),
    ],
)
def test_a_refused_drag_is_a_400_with_the_reason_and_changes_nothing(
    client, movable, new_start, extra, message
):
    client.force_login(movable.user)
    block(movable.course, local(2026, 12, 3, 11, 0))
    services.busy_intervals_replace(
        user=movable.user,
        source="google",
        intervals=[(local(2026, 12, 3, 14, 0), local(2026, 12, 3, 15, 0))],
    )
    before = (movable.scheduled_start, movable.is_pinned)
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        response = move(client, movable, new_start, **extra)
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["new_start_time"])
    movable.refresh_from_db()
    assert (movable.scheduled_start, movable.is_pinned) == before


def test_the_form_shows_a_deadline_refusal_as_a_form_error(client, movable):
    client.force_login(movable.user)
    url = reverse("scheduling:task_move", args=[movable.pk])
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        response = client.post(url, {"new_start_time": "2026-12-06T10:00", "force": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "errorlist" in html and "must end by its deadline" in html


def test_the_deadline_refusal_in_the_service(movable):
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        with pytest.raises(ApplicationError) as refused:
            services.study_task_reschedule(
                task=movable, new_start=local(2026, 12, 5, 11, 30), force=True
            )
        assert "new_start_time" in refused.value.field_errors
        # Ending exactly at the deadline is in time.
        moved = services.study_task_reschedule(
            task=movable, new_start=local(2026, 12, 5, 11, 0), force=True
        )
    assert moved.scheduled_end == local(2026, 12, 5, 12, 0) and moved.is_pinned


def test_another_students_block_cannot_be_dragged(client, other_user, movable):
    client.force_login(other_user)
    with time_machine.travel(local(2026, 12, 2, 12, 0), tick=False):
        response = move(client, movable, "2026-12-04T10:30")
        page = week_html(client, start="2026-12-03")
    assert response.status_code == 404
    movable.refresh_from_db()
    assert movable.scheduled_start == local(2026, 12, 3, 9, 0) and not movable.is_pinned
    assert str(movable.pk) not in page and movable.title not in page


def test_the_grid_writes_times_in_the_students_clock(client, student):
    """The week follows the 12/24-hour preference like every other page."""
    from accounts.models import TimeFormat
    from accounts.services import preferences_update

    assert "Available 08:00–20:00" in week_html(client, student)
    preferences_update(user=student, time_format=TimeFormat.H12)
    body = week_html(client, student)
    assert "Available 8:00 AM–8:00 PM" in body
    assert "Available 08:00" not in body
