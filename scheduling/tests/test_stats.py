"""The stats page: study time, time per course, mastery over time, adherence, calibration."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import EvidenceSource
from mastery.services import performance_record_create
from scheduling import charts
from scheduling.models import TaskStatus
from scheduling.stats import stats_for
from scheduling.tests.factories import StudyTaskFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

NOW = datetime(2026, 10, 14, 18, 0, tzinfo=UTC)


def finished(course, start, *, estimated, actual, status=TaskStatus.COMPLETED):
    return StudyTaskFactory(
        course=course,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=estimated),
        estimated_duration_min=estimated,
        status=status,
        actual_start=start if status == TaskStatus.COMPLETED else None,
        actual_end=start + timedelta(minutes=actual) if status == TaskStatus.COMPLETED else None,
    )


@pytest.fixture
def history(user):
    user.timezone = "UTC"
    user.save()
    math = CourseFactory(user=user, code="MATH 1")
    chem = CourseFactory(user=user, code="CHEM 1")
    finished(math, NOW - timedelta(days=1, hours=2), estimated=50, actual=60)
    finished(math, NOW - timedelta(days=1, hours=5), estimated=30, actual=30)
    finished(chem, NOW - timedelta(days=8), estimated=40, actual=20)
    finished(chem, NOW - timedelta(days=2), estimated=40, actual=0, status=TaskStatus.SKIPPED)
    finished(math, NOW - timedelta(days=3), estimated=40, actual=0, status=TaskStatus.MISSED)
    return math, chem


@time_machine.travel(NOW, tick=False)
def test_time_per_day_week_and_course(user, history):
    stats = stats_for(user)
    daily = dict(stats.daily)
    assert daily[date(2026, 10, 13)] == 90
    assert daily[date(2026, 10, 6)] == 20
    assert stats.total_minutes == 110
    weekly = dict(stats.weekly)
    assert weekly[date(2026, 10, 12)] == 90
    assert weekly[date(2026, 10, 5)] == 20
    assert [(row.course.code, row.minutes) for row in stats.per_course] == [
        ("MATH 1", 90),
        ("CHEM 1", 20),
    ]


@time_machine.travel(NOW, tick=False)
def test_adherence_is_completed_over_due_blocks(user, history):
    adherence = stats_for(user).adherence
    assert (adherence.completed, adherence.skipped, adherence.missed) == (3, 1, 1)
    assert adherence.percent == 60


@time_machine.travel(NOW, tick=False)
def test_calibration_compares_actual_with_estimated(user, history):
    stats = stats_for(user)
    assert sorted((p.estimated_min, p.actual_min) for p in stats.calibration) == [
        (30, 30),
        (40, 20),
        (50, 60),
    ]
    assert stats.calibration_ratio == pytest.approx(110 / 120, abs=0.01)


@time_machine.travel(NOW, tick=False)
def test_mastery_over_time_follows_the_evidence(user, django_capture_on_commit_callbacks):
    user.timezone = "UTC"
    user.save()
    course = CourseFactory(user=user, code="BIO 1")
    topic = TopicFactory(course=course)
    for days_ago, score in ((5, 40.0), (2, 90.0)):
        with django_capture_on_commit_callbacks(execute=True):
            performance_record_create(
                user=user,
                course=course,
                score=score,
                time_spent_min=10,
                completed_at=NOW - timedelta(days=days_ago),
                topic_breakdown={str(topic.pk): {"correct": int(score / 10), "total": 10}},
                source=EvidenceSource.QUIZ,
            )
    ((series_course, points),) = stats_for(user).mastery_series
    assert series_course == course
    assert [day for day, _ in points] == [date(2026, 10, 9), date(2026, 10, 12)]
    assert points[1][1] > points[0][1]
    # Quizzes taken in the app count as study time too.
    assert stats_for(user).total_minutes == 20


@time_machine.travel(NOW, tick=False)
def test_the_mastery_chart_draws_the_most_studied_courses(logged_in_client, user):
    from mastery.models import CourseMasteryDay
    from scheduling.stats import MASTERY_SERIES_SHOWN

    user.timezone = "UTC"
    user.save()
    courses = [CourseFactory(user=user, code=f"C{n}") for n in range(MASTERY_SERIES_SHOWN + 2)]
    for minutes, course in enumerate(courses, start=1):
        finished(course, NOW - timedelta(days=2), estimated=30, actual=minutes)
        CourseMasteryDay.objects.create(
            user=user, course=course, day=date(2026, 10, 10), mean_mastery=50.0, topic_count=1
        )
    most_studied = courses[::-1][:MASTERY_SERIES_SHOWN]

    series = stats_for(user).mastery_series

    assert [course for course, _ in series] == most_studied
    body = logged_in_client.get(reverse("scheduling:stats")).content.decode()
    assert f"The {MASTERY_SERIES_SHOWN} courses you studied most" in body


@time_machine.travel(NOW, tick=False)
def test_the_page_draws_accessible_charts(logged_in_client, user, history):
    body = logged_in_client.get(reverse("scheduling:stats")).content.decode()
    assert body.count('role="img"') == 7  # six study charts and the forecast's calibration
    assert "<desc" in body and "Study minutes per day" in body
    assert "60%</strong> of scheduled blocks completed" in body


def test_an_empty_history_says_so(logged_in_client):
    body = logged_in_client.get(reverse("scheduling:stats")).content.decode()
    assert "No study time recorded yet." in body
    assert "No blocks have been due yet." in body


def test_charts_escape_labels_and_describe_the_data():
    svg = charts.bar_chart_svg(
        [charts.Bar("<b>", 3), charts.Bar("Tue", 0)], title="T", unit="min", empty="none"
    )
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "&lt;b&gt;: 3 min" in svg
    line = charts.line_chart_svg(
        [charts.Series("A", [(date(2026, 1, 1), 10)]), charts.Series("B", [])],
        title="L",
        unit="x",
        y_max=100,
        empty="none",
    )
    assert "A: 10 on Jan 01" in line
    assert "none" in charts.line_chart_svg([], title="L", unit="x", y_max=100, empty="none")
    scatter = charts.scatter_svg([(30, 45, "Block")], title="S", unit="min", empty="none")
    assert "1 took longer than estimated" in scatter
    graph = charts.prerequisite_graph_svg(
        [("a", "Limits", 0), ("b", "Derivatives", 1)], [("a", "b")], title="G"
    )
    assert "Limits comes before Derivatives" in graph
    grid = charts.week_grid_svg({"monday": [{"start": "05:00", "end": "07:00"}], "tuesday": []})
    assert "Monday: 05:00 to 07:00" in grid and "Tuesday: not available" in grid


def test_stats_need_a_login(client):
    assert client.get(reverse("scheduling:stats")).status_code == 302
