"""The setup wizard: new students land in it, each step saves, progress resumes, and the
last step generates the first plan."""

import pytest
from django.urls import reverse

from accounts.services import preferences_get_current
from courses.models import Assessment, Course, Topic
from courses.tests.factories import CourseFactory
from journey import onboarding
from journey.models import OnboardingProgress, OnboardingStep
from mastery.models import PerformanceRecord, Question
from scheduling.models import PlanSnapshot, StudyTask

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def step_url(step):
    return reverse("journey:onboarding_step", args=[step])


def test_a_new_student_is_sent_to_the_wizard_and_resumes_where_they_left(logged_in_client):
    response = logged_in_client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("journey:onboarding")
    response = logged_in_client.get(reverse("journey:onboarding"))
    assert response.url == step_url("profile")
    logged_in_client.get(step_url("integrations"))
    assert logged_in_client.get(reverse("journey:onboarding")).url == step_url("integrations")


def test_a_student_who_left_the_wizard_sees_the_continue_banner(logged_in_client, user):
    CourseFactory(user=user)
    onboarding.onboarding_get(user=user)
    response = logged_in_client.get("/")
    assert response.status_code == 200
    assert "Continue setup" in response.content.decode()


def test_a_student_with_courses_and_no_wizard_gets_the_dashboard(logged_in_client, user):
    CourseFactory(user=user, code="MATH 1")
    response = logged_in_client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "MATH 1" in body
    assert "Continue setup" not in body


def test_profile_step_saves_the_confirmed_timezone(logged_in_client, user):
    response = logged_in_client.post(
        step_url("profile"),
        {"action": "save", "full_name": "Ada L", "timezone": "Europe/Paris"},
    )
    assert response.status_code == 302
    assert response.url == step_url("courses")
    user.refresh_from_db()
    assert (user.timezone, user.full_name) == ("Europe/Paris", "Ada L")
    progress = OnboardingProgress.objects.get(user=user)
    assert progress.completed_steps == ["profile"]
    assert progress.current_step == OnboardingStep.COURSES


def test_profile_step_rejects_an_unknown_timezone_next_to_the_field(logged_in_client, user):
    response = logged_in_client.post(
        step_url("profile"), {"action": "save", "full_name": "Ada", "timezone": "Mars/Base"}
    )
    assert response.status_code == 400
    assert "id_timezone_error" in response.content.decode()
    user.refresh_from_db()
    assert user.timezone != "Mars/Base"


def test_courses_step_needs_a_course_before_continuing(logged_in_client, user):
    response = logged_in_client.post(step_url("courses"), {"action": "continue"})
    assert response.status_code == 400
    assert "Add at least one course" in response.content.decode()
    assert "courses" not in onboarding.onboarding_get(user=user).completed_steps


def test_a_template_creates_the_course_with_topics_assessments_and_questions(
    logged_in_client, user
):
    response = logged_in_client.post(
        step_url("courses"), {"action": "template", "template": "CS 1337"}
    )
    assert response.status_code == 302
    course = Course.objects.get(user=user, code="CS 1337")
    topics = Topic.objects.filter(course=course)
    assert topics.count() == 8
    recursion = topics.get(name="Recursion")
    assert recursion.prerequisite_topic_ids == [str(topics.get(name="Functions").pk)]
    assert recursion.resource_links and recursion.resource_links[0]["type"] == "reading"
    assessments = Assessment.objects.filter(course=course)
    assert assessments.count() == 5
    assert sum(a.weight_percent for a in assessments) == pytest.approx(100)
    # Every template topic can fill a diagnostic's three questions with real ones.
    for topic in topics:
        assert Question.objects.filter(topic=topic).count() >= 3
    # The same template twice is refused next to the field, and nothing is duplicated.
    again = logged_in_client.post(
        step_url("courses"), {"action": "template", "template": "CS 1337"}
    )
    assert again.status_code == 400
    assert Course.objects.filter(user=user, code="CS 1337").count() == 1


def test_a_course_added_by_hand_shows_field_errors(logged_in_client, user):
    bad = {
        "action": "add",
        "name": "Physics",
        "code": "PHYS 1",
        "semester": "Fall 2026",
        "start_date": "2026-12-01",
        "end_date": "2026-09-01",
    }
    response = logged_in_client.post(step_url("courses"), bad)
    assert response.status_code == 400
    assert "id_end_date_error" in response.content.decode()
    good = {**bad, "start_date": "2026-09-01", "end_date": "2026-12-01"}
    assert logged_in_client.post(step_url("courses"), good).status_code == 302
    assert Course.objects.filter(user=user, code="PHYS 1").exists()


def _availability_post(**overrides):
    data = {
        "action": "save",
        "max_hours_per_day": "3",
        "preferred_block_length_min": "45",
        "break_length_min": "10",
        "earliest_start_time": "08:00",
        "latest_end_time": "22:00",
        "difficulty_curve": "balanced",
        "enable_spaced_repetition": "on",
        "min_review_interval_days": "1",
    }
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        data.update(
            {
                f"{day}-TOTAL_FORMS": "1",
                f"{day}-INITIAL_FORMS": "0",
                f"{day}-MIN_NUM_FORMS": "0",
                f"{day}-MAX_NUM_FORMS": "12",
                f"{day}-0-start": "17:00",
                f"{day}-0-end": "20:00",
            }
        )
    data.update(overrides)
    return data


def test_availability_step_shows_the_week_grid_and_saves_the_ranges(logged_in_client, user):
    page = logged_in_client.get(step_url("availability"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Your weekly study availability" in body
    assert "Monday: 18:00 to 22:00" in body
    response = logged_in_client.post(step_url("availability"), _availability_post())
    assert response.status_code == 302
    preferences = preferences_get_current(user=user)
    assert preferences.weekly_availability["monday"] == [{"start": "17:00", "end": "20:00"}]
    assert preferences.preferred_block_length_min == 45


def test_availability_step_keeps_bad_ranges_unsaved(logged_in_client, user):
    response = logged_in_client.post(
        step_url("availability"), _availability_post(**{"monday-0-end": "16:00"})
    )
    assert response.status_code == 400
    assert preferences_get_current(user=user).weekly_availability["monday"] != [
        {"start": "17:00", "end": "16:00"}
    ]


def test_integrations_can_be_skipped_but_courses_cannot(logged_in_client, user):
    response = logged_in_client.post(step_url("integrations"), {"action": "skip"})
    assert response.status_code == 302
    progress = onboarding.onboarding_get(user=user)
    assert "integrations" in progress.skipped_steps
    assert logged_in_client.post(step_url("courses"), {"action": "skip"}).status_code == 404
    assert logged_in_client.get(step_url("nonsense")).status_code == 404


def test_grade_history_pasted_in_the_wizard_becomes_evidence(logged_in_client, user):
    course = onboarding.course_template_apply(user=user, code="HIST 1301")
    text = "assessment name, score, max score, date\nOld quiz, 8, 10, 2020-09-14, Colonial America"
    response = logged_in_client.post(
        step_url("evidence"), {"action": "grades", "course": str(course.pk), "grades": text}
    )
    assert response.status_code == 302
    record = PerformanceRecord.objects.get(user=user, course=course)
    assert record.percentage == pytest.approx(80)


def test_bad_grade_lines_are_reported_and_nothing_is_written(logged_in_client, user):
    course = CourseFactory(user=user)
    response = logged_in_client.post(
        step_url("evidence"),
        {"action": "grades", "course": str(course.pk), "grades": "Quiz, eight, 10, 2020-01-01"},
    )
    assert response.status_code == 400
    assert "not a number" in response.content.decode()
    assert not PerformanceRecord.objects.filter(user=user).exists()


def test_another_students_course_cannot_receive_pasted_grades(logged_in_client, other_user):
    foreign = CourseFactory(user=other_user)
    response = logged_in_client.post(
        step_url("evidence"),
        {"action": "grades", "course": str(foreign.pk), "grades": "Quiz, 8, 10, 2020-01-01"},
    )
    assert response.status_code == 400
    assert not PerformanceRecord.objects.filter(course=foreign).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste at least one grade"),
        ("Quiz, 8", "too few values"),
    ],
)
def test_grade_line_parsing_errors(text, message):
    from accounts.errors import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        onboarding.parse_grade_lines(text)
    assert message in str(caught.value.field_errors) + caught.value.message


def test_finishing_generates_the_first_plan_and_closes_the_wizard(logged_in_client, user):
    onboarding.course_template_apply(user=user, code="MATH 2413")
    response = logged_in_client.post(step_url("finish"), {"action": "finish"})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert PlanSnapshot.objects.filter(user=user).exists()
    assert StudyTask.objects.filter(user=user).exists()
    progress = OnboardingProgress.objects.get(user=user)
    assert progress.is_complete
    assert "Continue setup" not in logged_in_client.get("/").content.decode()


def test_finishing_without_a_course_is_refused(logged_in_client, user):
    response = logged_in_client.post(step_url("finish"), {"action": "finish"})
    assert response.status_code == 400
    assert not OnboardingProgress.objects.get(user=user).is_complete


def test_the_progress_indicator_marks_the_current_step(logged_in_client):
    body = logged_in_client.get(step_url("evidence")).content.decode()
    assert "Step 5 of 6" in body
    assert 'aria-current="step"' in body


def test_the_wizard_needs_a_login(client):
    response = client.get(step_url("profile"))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url
