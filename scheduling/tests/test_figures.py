"""One source for every number: the figures the dashboard, week, at-risk and stats pages share
(minutes done this week, reviews due, at-risk count, readiness) come from scheduling.figures,
and the rendered pages agree. Each page marks a shared figure with `data-figure` and its value
with `data-value`; the test reads them from the HTML."""

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import User
from courses.tests.factories import AssessmentFactory, CourseFactory, TopicFactory
from journey.demo import DEMO_EMAIL
from mastery.tests.quiz_factories import give_evidence
from scheduling.figures import figures_for
from scheduling.models import TaskStatus
from scheduling.tests.factories import MasteryRecordFactory, StudyTaskFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

# A Wednesday afternoon in Chicago: the local week began on Monday the 12th.
NOW = datetime(2026, 10, 14, 20, 0, tzinfo=UTC)
PAGES = ("/", "/plan/", "/plan/at-risk", "/stats/")


class FigureParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.figures: dict[str, set[str]] = {}

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if "data-figure" in values:
            self.figures.setdefault(values["data-figure"], set()).add(values.get("data-value"))


def page_figures(client, path) -> dict[str, set[str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = FigureParser()
    parser.feed(response.content.decode())
    return parser.figures


def shown_on_pages(client) -> dict[str, dict[str, set[str]]]:
    return {path: page_figures(client, path) for path in PAGES}


def assert_pages_agree(by_page) -> dict[str, str]:
    """Every figure has one value on each page and the same value on every page showing it."""
    agreed: dict[str, str] = {}
    for path, figures in by_page.items():
        for name, values in figures.items():
            assert len(values) == 1, f"{path} shows {name} as {values}"
            (value,) = values
            assert agreed.setdefault(name, value) == value, (
                f"{name}: {path} says {value}, another page says {agreed[name]}"
            )
    return agreed


def test_the_demo_students_pages_agree(client, settings):
    settings.DASHBOARD_CACHE_ENABLED = False
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        user = User.objects.get(email=DEMO_EMAIL)
        client.force_login(user)
        by_page = shown_on_pages(client)
        agreed = assert_pages_agree(by_page)
        figures = figures_for(user)
    # Each shared figure appears on at least two of the pages.
    for name in ("minutes-done-week", "reviews-due", "at-risk-count"):
        assert sum(name in shown for shown in by_page.values()) >= 2, name
    assert agreed["minutes-done-week"] == str(figures.minutes_done_week)
    assert agreed["reviews-due"] == str(figures.reviews_due)
    assert agreed["at-risk-count"] == str(figures.at_risk_count)
    readiness = {name for name in agreed if name.startswith("readiness-")}
    assert readiness, "the demo plan has readiness to show"
    assert any(sum(name in shown for shown in by_page.values()) >= 2 for name in readiness), (
        "a readiness figure shows on the dashboard and the plan pages alike"
    )


def test_the_figures_count_what_they_say(client, user):
    user.timezone = "America/Chicago"
    user.save()
    course = CourseFactory(user=user, code="BIO 1")
    topic = TopicFactory(course=course)
    with time_machine.travel(NOW, tick=False):
        # Done this week: a 50-minute block, a quiz of 5 minutes; last week's block is not.
        monday_evening = datetime(2026, 10, 12, 23, 0, tzinfo=UTC)
        for start, minutes in ((monday_evening, 50), (monday_evening - timedelta(days=7), 40)):
            StudyTaskFactory(
                course=course,
                scheduled_start=start,
                scheduled_end=start + timedelta(minutes=minutes),
                estimated_duration_min=minutes,
                status=TaskStatus.COMPLETED,
                actual_start=start,
                actual_end=start + timedelta(minutes=minutes),
            )
        give_evidence(user, topic, correct=4, total=5, at=NOW - timedelta(hours=2))
        # Two reviews due by the student's today, one not yet.
        for due in (date(2026, 10, 10), date(2026, 10, 14), date(2026, 10, 20)):
            MasteryRecordFactory(topic=TopicFactory(course=course), next_review_date=due)
        # Nothing planned for it and no topics: at risk.
        AssessmentFactory(course=course, name="Midterm", due_date=NOW + timedelta(days=5))
        client.force_login(user)
        agreed = assert_pages_agree(shown_on_pages(client))
    assert agreed["minutes-done-week"] == "55"
    assert agreed["reviews-due"] == "2"
    assert agreed["at-risk-count"] == "1"
