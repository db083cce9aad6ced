"""The hostile-values pass over every API operation: zero server errors.

Schemathesis (test_api_schemathesis.py) explores the schema at random; this pass is explicit and
cheap. For every operation of the OpenAPI schema and every hostile value, one request puts the
value into every body field and query parameter of the matching type: NUL, lone surrogates,
RTL marks and 10,000-character strings; integers at 2^31 and 2^63; dates and times in year 1
and year 9999 (with and without a UTC offset). Path parameters name the student's own objects
(and the student's own id where a path names a user), so each request reaches validation.
Every answer must be below 500.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import ApiToken, TeacherRole
from accounts.tests.factories import UserFactory
from courses.models import Assessment, Course, Topic
from courses.template_models import (
    ClassMembership,
    Classroom,
    CourseTemplate,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
)
from journey.classes.services import class_join
from journey.demo import DEMO_RANDOM_SEED, demo_courses_create
from journey.tests.class_factories import make_class, make_teacher, make_template
from mastery.models import Card, Deck, PerformanceRecord
from mastery.services import cards as card_services
from scheduling.models import StudyTask

pytestmark = pytest.mark.django_db

HOSTILE = {
    "string": ["\x00", "na\x00me", "\ud800", "a\udfffb", "\u202eabc\u200f", "x" * 10_000],
    "integer": [2**31, 2**63, -(2**63) - 1],
    "date": ["0001-01-01", "9999-12-31"],
    "date-time": ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:00"],
}
CASES = [(kind, value) for kind, values in HOSTILE.items() for value in values]
# The segment before a path parameter names the kind of object it expects.
OWN_OBJECTS = {
    "assessments": Assessment,
    "courses": Course,
    "performance": PerformanceRecord,
    "topics": Topic,
    "topic": Topic,  # Module 2's /api/mastery/{user_id}/topic/{topic_id}
    "tasks": StudyTask,
    "task": StudyTask,  # Module 3's /api/schedule/task/{task_id}/reschedule
    "tokens": ApiToken,
    "decks": Deck,
    "cards": Card,
    "classes": ClassMembership,  # /api/classes/{membership_id}/...
}
# Under /api/teach/ the same segments name the teacher's template objects.
TEACH_OBJECTS = {
    "templates": CourseTemplate.objects.for_user,
    "topics": TemplateTopic.objects.for_user,
    "assessments": TemplateAssessment.objects.for_user,
    "resources": TemplateResource.objects.for_user,
    "classes": Classroom.objects.for_teacher,
}


def resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        merged: dict = {"properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(resolve(part, components).get("properties", {}))
        return merged
    return schema


def kind_of(schema: dict, components: dict) -> str | None:
    schema = resolve(schema, components)
    if "enum" in schema or schema.get("type") == "string":
        if schema.get("format") in ("date", "date-time"):
            return schema["format"]
        return None if schema.get("format") in ("uuid", "binary") else "string"
    if schema.get("type") == "integer":
        return "integer"
    return None


def hostile_value(schema: dict, components: dict, kind: str, value):
    """The hostile value shaped for this property, or None when the property cannot hold it."""
    schema = resolve(schema, components)
    if kind_of(schema, components) == kind:
        return value
    if schema.get("type") == "array" and kind_of(schema.get("items", {}), components) == kind:
        return [value]
    if schema.get("type") == "object" and kind == "string":
        return {"key": value, value: "value"}  # a JSON field: hostile content and key
    return None


def body_for(operation: dict, components: dict, kind: str, value) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    media = content.get("application/json") or next(iter(content.values()), None)
    if media is None:
        return None
    properties = resolve(media.get("schema", {}), components).get("properties", {})
    body = {}
    for name, schema in properties.items():
        if resolve(schema, components).get("readOnly"):
            continue
        shaped = hostile_value(schema, components, kind, value)
        if shaped is not None:
            body[name] = shaped
    return body or None


def query_for(operation: dict, components: dict, kind: str, value) -> dict:
    if kind == "string" and any("\ud800" <= char <= "\udfff" for char in str(value)):
        return {}  # a URL cannot carry a lone surrogate: percent-encoding needs UTF-8
    return {
        parameter["name"]: value
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and kind_of(parameter.get("schema", {}), components) == kind
    }


def own_path(path: str, user) -> str:
    segments = path.split("/")
    is_teach = path.startswith("/api/teach/")
    for index, segment in enumerate(segments):
        if segment.startswith("{"):
            model = None if is_teach else OWN_OBJECTS.get(segments[index - 1])
            teach_rows = TEACH_OBJECTS.get(segments[index - 1]) if is_teach else None
            if segment == "{provider}":
                own = "google"
            elif segment == "{user_id}":
                own = str(user.pk)
            elif teach_rows is not None:
                own = str(teach_rows(user).order_by("pk").first().pk)
            elif model is not None:
                own = str(model.objects.for_user(user).order_by("pk").first().pk)
            else:
                own = "00000000-0000-0000-0000-000000000000"
            segments[index] = own
    return "/".join(segments)


@pytest.fixture
def student(db):
    student = UserFactory(email="alice@example.org", timezone="Pacific/Kiritimati")
    demo_courses_create(user=student, now=timezone.now(), rng=random.Random(DEMO_RANDOM_SEED))
    StudyTask.objects.create(
        user=student,
        course=Course.objects.for_user(student).first(),
        title="Block",
        task_type="reading",
        estimated_duration_min=30,
    )
    deck = card_services.deck_create(
        user=student, topic=Topic.objects.for_user(student).first(), name="Hostile deck"
    )
    card_services.card_create(user=student, deck=deck, front="q", back="a")
    # A teacher too, with a template and its class, and in another teacher's class: the
    # teacher operations and the membership operations reach validation as well.
    TeacherRole.objects.create(user=student)
    make_class(student, code="HOSTILE 1")
    make_template(student, code="HOSTILE 2")
    other_class = make_class(make_teacher("hostile-teacher@example.org"), code="HOSTILE 3")
    class_join(student=student, join_code=other_class.join_code, has_consented=True)
    ApiToken.objects.create(
        user=student,
        name="t",
        prefix="abcdefgh",
        key_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    return student


@pytest.fixture(scope="module")
def api_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("kind,value", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_no_hostile_value_makes_a_server_error(api_schema, student, kind, value):
    client = APIClient()
    client.force_authenticate(student)
    components = api_schema["components"]
    server_errors = []
    # The class operations name the student's own objects: a 404 would mean the value never
    # reached validation.
    not_reached = []
    sent = 0
    for path, operations in api_schema["paths"].items():
        for method, operation in operations.items():
            if method == "delete":
                continue  # nothing to fill, and it would remove the objects the rest use
            body = body_for(operation, components, kind, value)
            query = query_for(operation, components, kind, value)
            if body is None and not query:
                continue
            url = own_path(path, student)
            # json.dumps escapes a lone surrogate (\ud800), as a hostile client would send it.
            response = getattr(client, method)(
                url,
                json.dumps(body) if body is not None else None,
                content_type="application/json",
                QUERY_STRING=_encode(query),
            )
            sent += 1
            if response.status_code >= 500:
                server_errors.append(f"{method.upper()} {path} -> {response.status_code}")
            if path.startswith(("/api/teach/", "/api/classes")) and response.status_code == 404:
                not_reached.append(f"{method.upper()} {path}")
    assert sent >= 3  # the schema has fields of this kind, so requests were sent
    assert server_errors == []
    assert not_reached == []


def _encode(query: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(query)
