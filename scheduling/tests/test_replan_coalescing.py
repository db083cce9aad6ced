"""Replans coalesced: a burst of evidence gives one replan per student, a replan that changes
nothing writes nothing, and a replan retires the cached dashboard once, not once per block."""

import itertools
import logging
import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.tests.factories import CourseFactory, TopicFactory
from journey import receivers as journey_receivers
from mastery.models import MasteryObservation, MasteryRecomputeRequest
from planner.testing.workers import outstanding_tasks
from scheduling.models import ReplanRequest
from scheduling.services import plan_regenerate
from scheduling.tasks import REPLAN_DEBOUNCE_SECONDS, REPLAN_MAX_DELAY_S

BURST = 50
NOW = datetime(2026, 10, 14, 17, 30, tzinfo=UTC)
# Polling, not a timed assertion: the deadline only bounds how long a broken pipeline hangs.
WORKER_DEADLINE_S = 180
POLL_INTERVAL_S = 0.5


def replans_logged(records, user) -> int:
    return sum(1 for r in records if r.getMessage().startswith(f"replanned {user.pk} "))


def grades(topics, count):
    today = date(2026, 10, 14)
    return [
        {
            "assessment_name": f"Quiz {index + 1}",
            "score": 5 + index % 5,
            "max_score": 10,
            "date": (today - timedelta(days=count - index)).isoformat(),
            "topics": [topics[index % len(topics)].name],
        }
        for index in range(count)
    ]


@pytest.mark.clock
@pytest.mark.django_db(transaction=True)
def test_fifty_grades_in_one_import_replan_once(api_client, user, caplog):
    course = CourseFactory(user=user)
    topics = [TopicFactory(course=course, name=f"Unit {n}") for n in range(5)]
    caplog.set_level(logging.INFO, logger="scheduling.services.plan")
    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            reverse("api:import-grades"),
            {"course_id": str(course.pk), "grades": grades(topics, BURST)},
            format="json",
        )
    assert response.status_code == 201, response.data
    assert response.data["created_count"] == BURST
    # Every grade was folded into mastery (the replan had evidence to plan from) ...
    assert MasteryObservation.objects.filter(user=user).count() == BURST
    # ... and the student was replanned once, not once per grade.
    assert replans_logged(caplog.records, user) == 1
    assert not ReplanRequest.objects.filter(user=user).exists()


@pytest.fixture
def planned_student(user):
    course = CourseFactory(user=user)
    for n in range(6):
        TopicFactory(course=course, name=f"Unit {n}")
    from courses.tests.factories import AssessmentFactory, AssessmentTopicFactory

    exam = AssessmentFactory(course=course, name="Final", due_date=NOW + timedelta(days=10))
    for topic in course.topics.all():
        AssessmentTopicFactory(assessment=exam, topic=topic)
    return user


@pytest.mark.clock
@pytest.mark.django_db
def test_a_replan_retires_the_dashboard_once(planned_student, monkeypatch, settings):
    settings.DASHBOARD_CACHE_ENABLED = True
    retired = []
    real = journey_receivers.dashboard_invalidate

    def counting(*, user_id):
        retired.append(user_id)
        real(user_id=user_id)

    monkeypatch.setattr(journey_receivers, "dashboard_invalidate", counting)
    with time_machine.travel(NOW, tick=False):
        outcome = plan_regenerate(user=planned_student, reason="test")
    assert len(outcome.diff.created) > 1, "the plan saved several blocks"
    assert retired == [planned_student.pk]


@pytest.mark.clock
@pytest.mark.django_db
def test_a_replan_that_changes_nothing_writes_nothing(planned_student):
    with time_machine.travel(NOW, tick=False):
        plan_regenerate(user=planned_student, reason="first")
        with CaptureQueriesContext(connection) as captured:
            outcome = plan_regenerate(user=planned_student, reason="again")
    assert outcome.diff.is_empty
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.IGNORECASE)
    ]
    assert writes == []


RECOMPUTE_DONE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*Task mastery\.tasks\.recompute_topics\[\S+\] "
    r"succeeded",
    re.MULTILINE,
)
# The log's timestamps are taken a moment after each commit that asks for the replan.
STALL_MARGIN_S = 0.25


def recompute_stalls(log: str) -> tuple[int, float]:
    """The worker's quiet gaps between the burst's recomputes long enough for a replan to run
    in between, and the seconds from the first recompute to the last."""
    done = [
        datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f") for stamp in RECOMPUTE_DONE.findall(log)
    ]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(done)]
    stalls = sum(gap >= REPLAN_DEBOUNCE_SECONDS - STALL_MARGIN_S for gap in gaps)
    return stalls, (done[-1] - done[0]).total_seconds() if done else 0.0


def wait_for(predicate) -> bool:
    deadline = time.monotonic() + WORKER_DEADLINE_S
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(POLL_INTERVAL_S)
    return predicate()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_fifty_grades_posted_in_a_burst_replan_once_through_a_real_worker(
    require_redis,
    require_postgres,
    celery_worker_process,
    celery_broker,
    worker_log,
    api_client,
    user,
):
    course = CourseFactory(user=user)
    topics = [TopicFactory(course=course, name=f"Unit {n}") for n in range(5)]
    log_path = Path(celery_worker_process.log_path)
    log_offset = len(log_path.read_text(errors="replace"))
    for index in range(BURST):
        topic = topics[index % len(topics)]
        response = api_client.post(
            reverse("api:performance-list"),
            {
                "course": str(course.pk),
                "score": 5 + index % 5,
                "max_score": 10,
                "time_spent_min": 10,
                "completed_at": (timezone.now() - timedelta(hours=BURST - index)).isoformat(),
                "topic_breakdown": {str(topic.pk): {"correct": 5 + index % 5, "total": 10}},
            },
            format="json",
        )
        assert response.status_code == 201, response.content

    def settled() -> bool:
        # The worker must also have nothing left: a recompute commits before the replan request
        # its change asks for is written, so the tables alone can look settled in between.
        return (
            not outstanding_tasks(log_path.read_text(errors="replace"))
            and MasteryObservation.objects.filter(user=user).count() == BURST
            and not MasteryRecomputeRequest.objects.filter(user=user).exists()
            and not ReplanRequest.objects.filter(user=user).exists()
        )

    assert wait_for(settled), worker_log()
    # The whole log of the session's worker (the fixture's text is only its tail).
    full_log = log_path.read_text(errors="replace")
    replans = len(re.findall(rf"replanned {user.pk} ", full_log))
    # One replan for the burst. The replan waits until the student's evidence has been quiet
    # for the debounce window (REPLAN_DEBOUNCE_SECONDS), so a machine that stalls the worker
    # for longer than that mid-burst has made two bursts of it, and each gets its replan; so
    # does every REPLAN_MAX_DELAY_S of a burst that lasts longer. On a calm machine this allows
    # exactly one; without coalescing there would be one per grade.
    stalls, span = recompute_stalls(full_log[log_offset:])
    allowed = 1 + stalls + int(span // REPLAN_MAX_DELAY_S)
    assert 1 <= replans <= allowed, (replans, stalls, span, worker_log())
    assert allowed <= BURST // 10, f"the worker stalled {stalls} times: nothing left to test"
