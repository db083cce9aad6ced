"""At-risk in plain words, in the student's time, with applicable fixes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import preferences_get_current
from courses.models import AssessmentType
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from scheduling import planner, services
from scheduling.models import PlanAdjustment, PlanSnapshot, StudyTask, TaskStatus
from scheduling.tests.conftest import NOW
from scheduling.work import WorkItem

pytestmark = pytest.mark.clock

EVERY_EVENING = {
    day: [{"start": "19:00", "end": "21:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def crowded(user, frozen):
    """Two hours an evening; a big final, and a quiz and a lab report it crowds out."""
    prefs = preferences_get_current(user=user)
    prefs.max_hours_per_day = 2.0
    prefs.weekly_availability = EVERY_EVENING
    prefs.save()
    math = CourseFactory(user=user, code="MATH 2413", name="Calculus")
    phys = CourseFactory(user=user, code="PHYS 2425", name="Physics")
    final = AssessmentFactory(
        course=math,
        name="Final Exam",
        type=AssessmentType.FINAL,
        weight_percent=40,
        # 22:59 in New York on Thursday is already Friday in UTC.
        due_date=datetime(2026, 12, 4, 3, 59, tzinfo=UTC),
    )
    for index in range(3):
        AssessmentTopicFactory(assessment=final, topic=TopicFactory(course=math, name=f"M{index}"))
    AssessmentFactory(
        course=phys,
        name="Final Exam",
        type=AssessmentType.FINAL,
        weight_percent=40,
        due_date=NOW + timedelta(days=12),
    )
    AssessmentFactory(
        course=phys,
        name="Quiz 2",
        type=AssessmentType.QUIZ,
        weight_percent=5,
        estimated_duration_min=30,
        due_date=NOW + timedelta(days=1, hours=5),
    )
    return final


def rows_of(response) -> list[dict]:
    return response.json()["at_risk"]


def test_rows_name_the_course_and_the_local_due_time(api_client, crowded):
    response = api_client.post("/api/schedule/replan", {"reason": "test"}, format="json")
    assert response.status_code == 200
    rows = {(r["course_code"], r["assessment_name"]): r for r in rows_of(response)}
    # Two "Final Exam" rows, told apart by their course.
    assert {"MATH 2413", "PHYS 2425"} <= {code for code, name in rows if name == "Final Exam"}
    math_final = rows[("MATH 2413", "Final Exam")]
    assert math_final["due_local"] == "Thu 3 Dec, 22:59"  # not Friday, the UTC date


def test_status_follows_from_the_numbers(api_client, crowded):
    response = api_client.post("/api/schedule/replan", {"reason": "test"}, format="json")
    for row in rows_of(response):
        assert row["is_at_risk"] == (row["unscheduled_min"] > 0)
        if row["status"] == "on_track":
            assert row["unscheduled_min"] == 0 and "all of it is planned" in row["summary"]
        elif row["status"] == "short_of_time":
            assert row["available_min"] < row["required_min"]
        else:
            assert row["status"] == "crowded_out"
            assert row["available_min"] >= row["required_min"]
        assert row["needs_text"].startswith("needs ")
    math_final = next(r for r in rows_of(response) if r["course_code"] == "MATH 2413")
    # 3 topics from mastery 0 to 90: 3 x 360 min = 18 h; Tue-Thu evenings give 6 h.
    assert math_final["needs_text"] == "needs 18 h, 6 h free before it"
    assert math_final["status"] == "short_of_time"


def test_the_page_says_it_in_plain_words(logged_in_client, user, crowded):
    services.plan_regenerate(user=user)
    body = logged_in_client.get("/plan/at-risk").content.decode()
    assert "MATH 2413 · Final Exam" in body and "PHYS 2425 · Quiz 2" in body
    assert "Thu 3 Dec, 22:59" in body
    assert "Needs 18 h, 6 h free before it" in body
    assert "not enough free time" in body


def test_duration_text():
    assert [services.duration_text(m) for m in (0, 45, 60, 90, 720, 1043)] == [
        "0 min",
        "45 min",
        "1 h",
        "1 h 30 min",
        "12 h",
        "17 h 23 min",
    ]


# -- Suggestions for the whole plan at once --------------------------------------------------------


def item(key, *, assessment, priority, deadline, course="c1", predecessors=()):
    return WorkItem(
        key=key,
        kind="study",
        course_id=course,
        title=key,
        task_type="reading",
        difficulty="medium",
        minutes=60,
        release=NOW,
        deadline=deadline,
        priority=priority,
        reason="",
        topic_ids=[],
        assessment_id=assessment,
        predecessors=list(predecessors),
    )


def cushion(assessment, deadline, short):
    return planner.AssessmentCushion(
        assessment_id=assessment,
        course_id="c1",
        deadline=deadline,
        available_min=100,
        required_min=100 + short,
        cushion_min=-short,
        unscheduled_min=short,
        is_at_risk=short > 0,
    )


def block(key, start_hours, minutes=60):
    start = NOW + timedelta(hours=start_hours)
    return planner.PlannedBlock(key, start, start + timedelta(minutes=minutes), "c1", 0)


def result_of(blocks, cushions):
    return planner.PlanResult(
        blocks=tuple(blocks),
        unscheduled=(),
        cushions=tuple(cushions),
        day_loads=(),
        placed_min=0,
        weighted_min=0.0,
        kept_block_count=0,
    )


def test_suggestions_never_touch_work_of_an_at_risk_assessment_nor_repeat():
    day2, day3, day9 = (NOW + timedelta(days=d) for d in (2, 3, 9))
    items = [
        # A and B are both at risk: the old report told A to drop B's work and B to move A's.
        item("a-study", assessment="A", priority=5.0, deadline=day2),
        item("a-prereq", assessment=None, priority=0.1, deadline=day2),
        item("b-study", assessment="B", priority=0.2, deadline=day3, predecessors=[]),
        item("later", assessment="C", priority=0.3, deadline=day9),
        item("early", assessment="D", priority=0.4, deadline=day2 - timedelta(hours=1)),
    ]
    items[0].predecessors.append("a-prereq")
    blocks = [
        block("a-study", 1),
        block("a-prereq", 2),
        block("b-study", 3),
        block("later", 4),
        block("early", 5),
    ]
    result = result_of(
        blocks,
        [cushion("A", day2, 60), cushion("B", day3, 120), cushion("C", day9, 0)],
    )
    suggestions = services.plan_suggestions(result, items)
    # A (first deadline) takes the lowest-priority free work: "later", due after A: move it.
    assert suggestions["A"] == [
        {"work": "later", "work_key": "later", "minutes": 60, "action": "move"}
    ]
    # B gets what is left: "early", due before B: drop it. Nothing of A's or B's is offered,
    # and "later" is not offered twice.
    assert suggestions["B"] == [
        {"work": "early", "work_key": "early", "minutes": 60, "action": "drop"}
    ]
    assert "C" not in suggestions


# -- Applying a suggestion ----------------------------------------------------------------------


def offer(user, *, assessment, work_key, action):
    """The plan as stored, offering one suggestion (the planner rarely leaves one in a small
    case: the highest-priority work already took the time)."""
    snapshot = PlanSnapshot.objects.for_user(user).get()
    for row in snapshot.cushions:
        if row["assessment_id"] == str(assessment.pk):
            row["suggestions"] = [
                {"work": work_key, "work_key": work_key, "minutes": 50, "action": action}
            ]
    snapshot.save()


def test_api_applies_a_drop_and_it_stays_dropped(api_client, setup):
    services.plan_regenerate(user=setup.user)
    quiz_key = f"study:{setup.quiz.pk}:{setup.topic_c.pk}"
    assert StudyTask.objects.for_user(setup.user).filter(work_key=quiz_key).exists()
    offer(setup.user, assessment=setup.final, work_key=quiz_key, action="drop")
    response = api_client.post(
        "/api/schedule/suggestions/apply",
        {"assessment_id": str(setup.final.pk), "work_key": quiz_key},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["reason"] == "applied a suggestion for MATH 2413 Final"
    adjustment = PlanAdjustment.objects.get(user=setup.user)
    assert (adjustment.work_key, adjustment.action) == (quiz_key, "drop")
    assert not StudyTask.objects.for_user(setup.user).filter(work_key=quiz_key).exists()
    services.plan_regenerate(user=setup.user)
    assert not StudyTask.objects.for_user(setup.user).filter(work_key=quiz_key).exists()


def test_page_applies_a_move_with_one_click(logged_in_client, setup):
    services.plan_regenerate(user=setup.user)
    final_key = f"study:{setup.final.pk}:{setup.topic_c.pk}"
    offer(setup.user, assessment=setup.quiz, work_key=final_key, action="move")
    body = logged_in_client.get("/plan/at-risk").content.decode()
    assert f'name="work_key" value="{final_key}"' in body
    response = logged_in_client.post(
        "/plan/at-risk/apply", {"assessment_id": str(setup.quiz.pk), "work_key": final_key}
    )
    assert response.status_code == 302
    blocks = StudyTask.objects.for_user(setup.user).filter(
        work_key=final_key, status=TaskStatus.SCHEDULED
    )
    assert blocks.exists()
    assert all(b.scheduled_start >= setup.quiz.due_date for b in blocks)
    assert all(b.scheduled_end <= setup.final.due_date for b in blocks)


def test_only_an_offered_suggestion_can_be_applied(api_client, setup):
    services.plan_regenerate(user=setup.user)
    response = api_client.post(
        "/api/schedule/suggestions/apply",
        {"assessment_id": str(setup.final.pk), "work_key": "study:anything"},
        format="json",
    )
    assert response.status_code == 400
    assert "work_key" in response.json()
    assert not PlanAdjustment.objects.exists()


@pytest.mark.parametrize("body", [{}, {"assessment_id": "nope", "work_key": "x"}])
def test_bad_input_is_a_400(api_client, setup, body):
    response = api_client.post("/api/schedule/suggestions/apply", body, format="json")
    assert response.status_code == 400


def test_another_students_assessment_is_a_404(other_api_client, client, other_user, setup):
    services.plan_regenerate(user=setup.user)
    key = f"study:{setup.quiz.pk}:{setup.topic_c.pk}"
    offer(setup.user, assessment=setup.final, work_key=key, action="drop")
    body = {"assessment_id": str(setup.final.pk), "work_key": key}
    assert (
        other_api_client.post("/api/schedule/suggestions/apply", body, format="json").status_code
        == 404
    )
    client.force_login(other_user)
    assert client.post("/plan/at-risk/apply", body).status_code == 404
    assert not PlanAdjustment.objects.exists()


def test_at_risk_page_queries_do_not_grow_with_rows(logged_in_client, user, crowded):
    services.plan_regenerate(user=user)
    # Warm first, both times: the session's user and the page shell's state are cached.
    logged_in_client.get("/plan/at-risk")
    with CaptureQueriesContext(connection) as few:
        logged_in_client.get("/plan/at-risk")
    # Counted now: the next request empties the connection's query log.
    few_rows = len(few)
    phys = CourseFactory(user=user, code="CHEM 1411")
    for index in range(4):
        AssessmentFactory(
            course=phys, name=f"Quiz {index}", due_date=NOW + timedelta(days=4 + index)
        )
    services.plan_regenerate(user=user)
    assert len(PlanSnapshot.objects.get(user=user).cushions) >= 7
    logged_in_client.get("/plan/at-risk")
    with CaptureQueriesContext(connection) as many:
        logged_in_client.get("/plan/at-risk")
    assert len(many) == few_rows
