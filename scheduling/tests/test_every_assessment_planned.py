"""Every assessment gets study work before its deadline.

The reported case: courses created by CSV, deadlines imported from a Canvas .ics feed, no
topics anywhere. Such assessments got no study time at all and the dashboard called them
"On track".
"""

from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.db.models import Sum

from courses import services as course_services
from courses.models import Assessment, AssessmentType
from courses.tests.factories import AssessmentFactory, CourseFactory
from scheduling import services
from scheduling.models import PlanSnapshot, StudyTask, TaskStatus
from scheduling.tests.conftest import NOW

pytestmark = pytest.mark.clock


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def canvas_feed() -> str:
    """Four deadlines in two courses, as Canvas writes them (course named in brackets)."""
    events = [
        ("hw-4", "Homework 4 [MATH 2413-001 Calculus I]", "20261204T035900Z"),
        ("final-math", "Final Exam [MATH 2413-001 Calculus I]", "20261210T150000Z"),
        ("quiz-7", "Quiz 7 [PHYS 2425-002 Physics]", "20261205T035900Z"),
        ("final-phys", "Final Exam [PHYS 2425-002 Physics]", "20261211T150000Z"),
    ]
    body = "".join(
        f"BEGIN:VEVENT\nUID:{uid}\nSUMMARY:{summary}\nDTSTART:{start}\nEND:VEVENT\n"
        for uid, summary, start in events
    )
    header = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Instructure//Canvas LMS//EN\n"
    return f"{header}{body}END:VCALENDAR\n"


@pytest.fixture
def imported(user, frozen):
    # Created the way the CSV import creates them: no topics, no assessments.
    CourseFactory(user=user, code="MATH 2413", name="Calculus I")
    CourseFactory(user=user, code="PHYS 2425", name="Physics")
    report = course_services.lms_import_confirm(user=user, content=canvas_feed())
    assert report.applied
    return {a.external_uid: a for a in Assessment.objects.for_user(user)}


def prep_minutes(user, assessment) -> int:
    rows = StudyTask.objects.for_user(user).filter(work_key=f"prep:{assessment.pk}")
    return rows.aggregate(total=Sum("estimated_duration_min"))["total"] or 0


def test_imported_deadlines_get_estimated_weights_by_type(imported):
    weights = {
        uid: (a.type, a.weight_percent, a.weight_is_estimated) for uid, a in imported.items()
    }
    assert weights == {
        "hw-4": (AssessmentType.ASSIGNMENT, 10.0, True),
        "final-math": (AssessmentType.FINAL, 30.0, True),
        "quiz-7": (AssessmentType.QUIZ, 5.0, True),
        "final-phys": (AssessmentType.FINAL, 30.0, True),
    }


def test_an_estimate_never_pushes_the_course_past_100(user, frozen):
    math = CourseFactory(user=user, code="MATH 2413", name="Calculus I")
    AssessmentFactory(course=math, name="Midterms", weight_percent=95.0)
    course_services.lms_import_confirm(user=user, content=canvas_feed())
    final = Assessment.objects.get(course=math, external_uid="final-math")
    homework = Assessment.objects.get(course=math, external_uid="hw-4")
    # The homework (earlier in the feed) takes the 5% left; the final gets what remains: 0.
    assert (homework.weight_percent, final.weight_percent) == (5.0, 0.0)
    math.refresh_from_db()
    assert math.weights_total == 100.0


def test_every_imported_deadline_gets_study_before_it(api_client, user, imported):
    response = api_client.post(
        "/api/schedule/generate", {"start_date": "2026-12-01", "end_date": "2026-12-14"}
    )
    assert response.status_code == 200
    blocks = response.json()["schedule"]
    for assessment in imported.values():
        mine = [b for b in blocks if b["assessment"] == str(assessment.pk)]
        assert mine, f"{assessment.name} ({assessment.course.code}) got no study time"
        for block in mine:
            end = datetime.fromisoformat(block["scheduled_end"])
            assert end <= assessment.due_date
            assert block["title"].startswith(f"Prepare for {assessment.name}")
            assert "estimated" in block["reason"]


def test_preparation_is_sized_from_type_weight_and_duration(user, frozen):
    course = CourseFactory(user=user, code="CHEM 1411")
    # Hand-computed: duration x type multiplier x (0.5 + weight / 40), rounded up to 5 min,
    # clamped to 25..360.
    final = AssessmentFactory(  # 120 x 4 x 1.25 = 600 -> capped at 360
        course=course,
        type=AssessmentType.FINAL,
        weight_percent=30,
        estimated_duration_min=120,
        due_date=NOW + timedelta(days=12),
    )
    homework = AssessmentFactory(  # 60 x 2 x 0.75 = 90
        course=course,
        type=AssessmentType.ASSIGNMENT,
        weight_percent=10,
        estimated_duration_min=60,
        due_date=NOW + timedelta(days=5),
    )
    quiz = AssessmentFactory(  # 30 x 1 x 0.625 = 18.75 -> 20 -> at least 25
        course=course,
        type=AssessmentType.QUIZ,
        weight_percent=5,
        estimated_duration_min=30,
        due_date=NOW + timedelta(days=4),
    )
    unweighted = AssessmentFactory(  # weight 0 counts as 5%: 60 x 3 x 0.625 = 112.5 -> 115
        course=course,
        type=AssessmentType.PROJECT,
        weight_percent=0,
        estimated_duration_min=60,
        due_date=NOW + timedelta(days=10),
    )
    services.plan_regenerate(user=user)
    assert prep_minutes(user, final) == 360
    assert prep_minutes(user, homework) == 90
    assert prep_minutes(user, quiz) == 25
    assert prep_minutes(user, unweighted) == 115
    homework_blocks = StudyTask.objects.for_user(user).filter(work_key=f"prep:{homework.pk}")
    assert {b.task_type for b in homework_blocks} == {"project"}  # prepared by doing it


def test_an_assessment_with_topics_gets_no_preparation_item(setup):
    services.plan_regenerate(user=setup.user)
    assert not StudyTask.objects.for_user(setup.user).filter(work_key__startswith="prep:")


def test_topicless_exam_shows_no_zero_readiness(user, imported):
    services.plan_regenerate(user=user)
    snapshot = PlanSnapshot.objects.for_user(user).get()
    final_ids = {str(imported["final-math"].pk), str(imported["final-phys"].pk)}
    # Readiness is unknown without topics, not 0%.
    assert not final_ids & {row["assessment_id"] for row in snapshot.readiness}
    assert final_ids <= {row["assessment_id"] for row in snapshot.cushions}


def test_dashboard_never_says_on_track_with_nothing_planned(logged_in_client, user, imported):
    body = logged_in_client.get("/").content.decode()
    assert "On track" not in body
    assert body.count("No study is planned for it yet") == len(imported)

    services.plan_regenerate(user=user)
    body = logged_in_client.get("/").content.decode()
    assert "No study is planned for it yet" not in body


def test_dashboard_asks_to_confirm_estimated_weights(logged_in_client, user, imported):
    body = logged_in_client.get("/").content.decode()
    assert body.count("Confirm or fix the weight") == len(imported)
    course_services.assessment_weight_confirm(assessment=imported["quiz-7"])
    body = logged_in_client.get("/").content.decode()
    assert body.count("Confirm or fix the weight") == len(imported) - 1


def test_another_students_replan_never_plans_my_deadlines(other_user, user, imported):
    services.plan_regenerate(user=other_user)
    assert not StudyTask.objects.filter(assessment__course__user=user).exists()
    services.plan_regenerate(user=user)
    assert not StudyTask.objects.for_user(other_user).exists()
    assert StudyTask.objects.for_user(user).filter(status=TaskStatus.SCHEDULED).exists()
