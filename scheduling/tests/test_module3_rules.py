"""Module 3's placement rules through the services and the API: a student's preferences in,
a saved plan that keeps them out."""

import itertools
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.services import preferences_get_current
from courses.models import AssessmentType
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from scheduling import services
from scheduling.models import StudyTask, TaskStatus
from scheduling.tests.conftest import NOW
from scheduling.tests.factories import MasteryRecordFactory

NEW_YORK = ZoneInfo("America/New_York")
ALL_DAY = {
    day: [{"start": "08:00", "end": "22:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def add_heavy_course(user, name: str, code: str) -> None:
    """A second course with a weighty final and weak topics: far more work than time."""
    course = CourseFactory(user=user, name=name, code=code)
    final = AssessmentFactory(
        course=course,
        name=f"{name} final",
        type=AssessmentType.FINAL,
        weight_percent=50.0,
        due_date=NOW + timedelta(days=9),
    )
    for index in range(4):
        topic = TopicFactory(course=course, name=f"{name} topic {index}")
        AssessmentTopicFactory(assessment=final, topic=topic, weight_in_assessment=25)
        MasteryRecordFactory(topic=topic, mastery_score=5.0, confidence_interval=20.0)


def saved_blocks(user) -> list[StudyTask]:
    return list(
        StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.SCHEDULED)
        .order_by("scheduled_start")
    )


def assert_rules_hold(blocks, prefs, busy=()) -> None:
    assert blocks
    per_day: dict = {}
    for block in blocks:
        minutes = (block.scheduled_end - block.scheduled_start) // timedelta(minutes=1)
        assert minutes <= prefs.max_block_length_min
        day = block.scheduled_start.astimezone(NEW_YORK).date()
        per_day[day] = per_day.get(day, 0) + 1
        for start, end in busy:
            buffer = timedelta(minutes=prefs.calendar_buffer_min)
            assert block.scheduled_end <= start - buffer or block.scheduled_start >= end
    assert max(per_day.values()) <= prefs.max_blocks_per_day
    for first, second in itertools.pairwise(blocks):
        gap = (second.scheduled_start - first.scheduled_end) // timedelta(minutes=1)
        assert gap >= prefs.break_length_min
        if first.course_id != second.course_id:
            assert gap >= prefs.min_break_between_courses_min


def test_an_overloaded_student_gets_module3_defaults(setup):
    prefs = preferences_get_current(user=setup.user)
    prefs.max_hours_per_day = 10.0
    prefs.weekly_availability = ALL_DAY
    prefs.save()
    add_heavy_course(setup.user, "Biology", "BIO 1406")
    add_heavy_course(setup.user, "Chemistry", "CHEM 1411")
    start = NOW + timedelta(days=2, hours=1)  # Thursday 13:00 in New York
    busy = [(start, start + timedelta(hours=1))]
    services.busy_intervals_set(user=setup.user, intervals=busy)
    services.plan_regenerate(user=setup.user)
    blocks = saved_blocks(setup.user)
    assert_rules_hold(blocks, prefs, busy)
    # The defaults are Module 3's, and under this load they bind.
    assert (prefs.max_block_length_min, prefs.max_blocks_per_day) == (120, 6)
    assert (prefs.calendar_buffer_min, prefs.min_break_between_courses_min) == (15, 15)
    per_day: dict = {}
    for block in blocks:
        day = block.scheduled_start.astimezone(NEW_YORK).date()
        per_day[day] = per_day.get(day, 0) + 1
    assert max(per_day.values()) == 6


def test_the_students_own_rules_reach_the_saved_plan_through_the_api(api_client, setup):
    add_heavy_course(setup.user, "Biology", "BIO 1406")
    response = api_client.patch(
        reverse("api:preferences"),
        {
            "max_hours_per_day": 6,
            "weekly_availability": ALL_DAY,
            "max_block_length_min": 45,
            "max_blocks_per_day": 3,
            "calendar_buffer_min": 30,
            "min_break_between_courses_min": 40,
        },
        format="json",
    )
    assert response.status_code == 200, response.data
    assert response.json()["max_blocks_per_day"] == 3
    start = NOW + timedelta(days=1, hours=2)  # Wednesday 14:00 in New York
    busy = [(start, start + timedelta(hours=1))]
    services.busy_intervals_set(user=setup.user, intervals=busy)
    response = api_client.post(
        reverse("api:schedule_generate"),
        {"start_date": "2026-12-01", "end_date": "2026-12-07"},
        format="json",
    )
    assert response.status_code == 200, response.data
    prefs = preferences_get_current(user=setup.user)
    blocks = saved_blocks(setup.user)
    assert_rules_hold(blocks, prefs, busy)
    assert max(b.estimated_duration_min for b in blocks) <= 45
    assert all(item["estimated_duration_min"] <= 45 for item in response.json()["schedule"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_block_length_min", 24),
        ("max_block_length_min", 241),
        ("max_blocks_per_day", 0),
        ("max_blocks_per_day", 13),
        ("calendar_buffer_min", -1),
        ("calendar_buffer_min", 61),
        ("min_break_between_courses_min", 61),
        ("max_blocks_per_day", "many"),
    ],
)
def test_bad_rule_values_are_400_with_the_field_and_change_nothing(api_client, user, field, value):
    response = api_client.patch(reverse("api:preferences"), {field: value}, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    prefs = preferences_get_current(user=user)
    assert (prefs.max_block_length_min, prefs.max_blocks_per_day) == (120, 6)
    assert (prefs.calendar_buffer_min, prefs.min_break_between_courses_min) == (15, 15)


def test_breaks_hold_across_local_midnight_in_a_saved_plan(setup):
    """A night owl's 22:00-02:00 evening: no straight run through midnight."""
    prefs = preferences_get_current(user=setup.user)
    prefs.earliest_start_time = prefs.earliest_start_time.replace(hour=0)
    prefs.latest_end_time = prefs.latest_end_time.replace(hour=23, minute=59)
    # Tuesday night into Wednesday morning, nothing else: the plan must use both sides.
    prefs.weekly_availability = {
        "tuesday": [{"start": "22:00", "end": "23:59"}],
        "wednesday": [{"start": "00:00", "end": "02:00"}],
    }
    prefs.max_hours_per_day = 3.0
    prefs.save()
    services.plan_regenerate(user=setup.user)
    blocks = saved_blocks(setup.user)
    assert_rules_hold(blocks, prefs)
    crossing = [
        (a, b)
        for a, b in itertools.pairwise(blocks)
        if a.scheduled_start.astimezone(NEW_YORK).date()
        != b.scheduled_start.astimezone(NEW_YORK).date()
        and b.scheduled_start - a.scheduled_end < timedelta(hours=1)
    ]
    assert crossing, "the plan uses both sides of midnight"
    for first, second in crossing:
        assert second.scheduled_start - first.scheduled_end >= timedelta(
            minutes=prefs.break_length_min
        )


def test_preferences_page_shows_and_saves_the_rules(logged_in_client, user):
    page = logged_in_client.get(reverse("accounts:preferences")).content.decode()
    for name in (
        "max_block_length_min",
        "min_break_between_courses_min",
        "calendar_buffer_min",
        "max_blocks_per_day",
    ):
        assert f'name="{name}"' in page
    from accounts.tests.test_views import preferences_data

    response = logged_in_client.post(
        reverse("accounts:preferences"),
        preferences_data(max_block_length_min="90", max_blocks_per_day="4"),
    )
    assert response.status_code == 302
    prefs = preferences_get_current(user=user)
    assert (prefs.max_block_length_min, prefs.max_blocks_per_day) == (90, 4)
    assert prefs.calendar_buffer_min == 15  # left out of the submission: kept
    response = logged_in_client.post(
        reverse("accounts:preferences"), preferences_data(max_blocks_per_day="0")
    )
    assert response.status_code == 200
    assert "max_blocks_per_day" in response.context["editor"].form.errors
    assert preferences_get_current(user=user).max_blocks_per_day == 4


def test_a_weak_prerequisite_gets_only_its_share_of_the_dependants_time(setup):
    record = setup.topic_a.mastery_records.get()
    record.mastery_score = 0.0  # a long catch-up on its own: (60 - 0) x 3 = 180 min
    record.save()
    prefs = preferences_get_current(user=setup.user)
    prefs.max_hours_per_day = 1.0  # short days: every minute the prerequisite takes counts
    prefs.save()
    outcome = services.plan_regenerate(user=setup.user)
    items = {item.key: item for item in outcome.items}
    prereq = items[f"prereq:{setup.topic_a.pk}"]
    dependant = items[f"study:{setup.final.pk}:{setup.topic_b.pk}"]
    assert prereq.minutes < 180
    assert prereq.minutes <= max(25, -(-dependant.minutes // 2 // 5) * 5 + 5)
    blocks = saved_blocks(setup.user)
    prereq_blocks = [b for b in blocks if b.work_key == prereq.key]
    dependant_blocks = [b for b in blocks if b.work_key == dependant.key]
    assert dependant_blocks, "the dependant still gets study time before the final"
    placed = sum(b.estimated_duration_min for b in dependant_blocks)
    assert placed >= sum(b.estimated_duration_min for b in prereq_blocks)
    if prereq_blocks:
        assert max(b.scheduled_end for b in prereq_blocks) <= min(
            b.scheduled_start for b in dependant_blocks
        )
