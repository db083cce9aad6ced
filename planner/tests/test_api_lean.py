"""The lean output path (accounts/api/lean.py) renders exactly what DRF renders.

Every list endpoint whose serializer uses it is requested twice, once as served and once with
DRF's own Serializer.to_representation put back, and the bodies must be byte for byte equal.
A serializer written here covers the cases the product's data may not show: a method field
reading the request's context, a mapping row, a missing attribute with a default, naive and
UTC datetimes, a callable attribute, a foreign key.
"""

from datetime import UTC, datetime
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from rest_framework import serializers

from accounts.api.lean import LeanOutputMixin
from accounts.models import User
from bench import scaled
from courses.models import Course
from journey.demo import DEMO_EMAIL
from mastery.models import MasteryRecord
from scheduling.models import StudyTask

pytestmark = [pytest.mark.django_db]

NOW = datetime(2026, 10, 14, 17, 30, tzinfo=UTC)


def drf_rendering():
    """DRF's own rendering for every serializer with the mixin, nested ones included."""
    return mock.patch.object(
        LeanOutputMixin, "to_representation", serializers.Serializer.to_representation
    )


def lean_paths(user) -> list[str]:
    course = Course.objects.for_user(user).order_by("code").first()
    return [
        "/api/courses",
        f"/api/courses/{course.pk}",
        "/api/mastery/topics",
        f"/api/mastery/topics?course={course.pk}",
        "/api/mastery/reviews/due",
        "/api/schedule",
        "/api/schedule?start=2026-10-01&end=2026-11-30",
        "/api/tasks/next",
        f"/api/tasks/next/{user.pk}?horizon_days=7&max_tasks=14",
        "/api/performance",
    ]


@pytest.fixture
def student(api_client):
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        user = User.objects.get(email=DEMO_EMAIL)
        scaled.build_scaled_student(user=user, now=NOW, size=scaled.SMALL, seed=3)
    # Rows the scaled data may not hold: a topic before any evidence, a block with no
    # assessment, one in a time zone other than the student's.
    course = Course.objects.for_user(user).order_by("code").first()
    first_topic = course.topics.order_by("order_index").first()
    MasteryRecord.objects.filter(user=user, topic=first_topic).delete()
    first_block = (
        StudyTask.objects.for_user(user)
        .filter(scheduled_start__isnull=False)
        .order_by("scheduled_start")
        .values_list("pk", flat=True)[:1]
    )
    StudyTask.objects.filter(pk__in=list(first_block)).update(assessment=None)
    api_client.force_authenticate(user)
    return user


@pytest.mark.parametrize("zone", ["America/Chicago", "UTC"])
def test_each_list_renders_as_drf_renders_it(student, api_client, zone, settings):
    # Both renderings computed: the second must not be the first served from the list cache.
    settings.DASHBOARD_CACHE_ENABLED = False
    student.timezone = zone
    student.save(update_fields=["timezone"])
    with time_machine.travel(NOW, tick=False):
        for path in lean_paths(student):
            served = api_client.get(path)
            assert served.status_code == 200, path
            with drf_rendering():
                expected = api_client.get(path)
            assert expected.status_code == 200, path
            assert served.content == expected.content, path
            assert served.json(), path  # not an empty list that would prove nothing


def test_the_fixture_holds_the_cases_it_promises(student, api_client):
    with time_machine.travel(NOW, tick=False):
        topics = api_client.get("/api/mastery/topics").json()["results"]
        tasks = api_client.get("/api/schedule?start=2026-10-01&end=2026-11-30").json()
    assert any(topic["mastery_score"] is None for topic in topics)
    assert any(topic["mastery_score"] is not None for topic in topics)
    rows = tasks["results"] if isinstance(tasks, dict) else tasks
    assert any(task["assessment"] is None for task in rows)
    assert any(task["assessment"] is not None for task in rows)


# --- the generic cases ---------------------------------------------------------------------


class Row:
    def __init__(self, **values):
        self.__dict__.update(values)


class Inner(LeanOutputMixin, serializers.Serializer):
    count = serializers.IntegerField(source="inner_count", default=0)
    when = serializers.DateTimeField(source="inner_when", allow_null=True, required=False)


class Probe(LeanOutputMixin, serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    label = serializers.CharField(source="owner.label", allow_null=True)
    score = serializers.FloatField(required=False)
    flag = serializers.BooleanField()
    when = serializers.DateTimeField()
    day = serializers.DateField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    kind = serializers.ChoiceField(choices=[("a", "Alpha"), ("b", "Beta")])
    shout = serializers.CharField()  # a callable attribute: DRF calls it
    caller = serializers.SerializerMethodField()
    inner = Inner(source="*")

    def get_caller(self, row) -> str:
        name = row["name"] if isinstance(row, dict) else row.name
        return f"{self.context['who']}:{name}"


def probe_rows():
    import uuid

    first = Row(
        id=uuid.uuid4(),
        name="first",
        owner=Row(label="mine"),
        score=1,
        flag=1,
        when=datetime(2026, 10, 14, 17, 30, tzinfo=UTC),
        day=datetime(2026, 10, 14).date(),
        tags=["x", 2, None],
        kind="a",
        shout=lambda: "FIRST",
        inner_count=3,
        # Aware, in a nested serializer: rendered in each response's own zone.
        inner_when=datetime(2026, 10, 14, 17, 30, 5, 123456, tzinfo=UTC),
    )
    second = Row(
        id=uuid.uuid4(),
        name="second",
        owner=None,  # a missing link in a dotted source, null allowed
        flag=False,
        when=datetime(2026, 1, 2, 3, 4, tzinfo=timezone.get_fixed_timezone(330)),
        day=None,
        tags=[],
        kind="z",  # not a choice: DRF renders it as it is
        shout="plain",
        # no score (not required: skipped), no inner_count (the default), no inner_when
    )
    mapping = {
        "id": uuid.uuid4(),
        "name": "mapping",
        "owner": {"label": "from a dict"},
        "score": 2.5,
        "flag": True,
        "when": datetime(2026, 6, 1, tzinfo=UTC),
        "day": None,
        "tags": ["y"],
        "kind": "b",
        "shout": "dict",
        "inner_count": 7,
        "inner_when": datetime(2026, 10, 14, 17, 30),  # naive: DRF makes it aware
    }
    return [first, second, mapping]


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago", "Asia/Kolkata"])
def test_generic_cases_render_as_drf_renders_them(zone):
    rows = probe_rows()
    with timezone.override(zone):
        for who in ("ana", "ben"):  # the context of each response, never the first one's
            lean = Probe(rows, many=True, context={"who": who}).data
            with drf_rendering():
                expected = Probe(rows, many=True, context={"who": who}).data
            assert lean == expected
            assert lean[0]["caller"] == f"{who}:first"
    assert "score" not in lean[1]
    assert lean[1]["label"] is None
    assert lean[1]["inner"] == {"count": 0, "when": None}
    expected_when = {
        "UTC": "2026-10-14T17:30:05.123456Z",
        "America/Chicago": "2026-10-14T12:30:05.123456-05:00",
        "Asia/Kolkata": "2026-10-14T23:00:05.123456+05:30",
    }[zone]
    assert lean[0]["inner"]["when"] == expected_when
    assert lean[0]["shout"] == "FIRST"
