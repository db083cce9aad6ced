"""Property-based API testing from the OpenAPI schema, as two students and as nobody.

The campaign runs twice, once for each student, with the other student as the bystander whose
data is there to be reached for:

- the first student sends every operation the schema's own examples, Schemathesis' coverage
  cases (boundary and invalid values) and ``MAX_EXAMPLES`` (default 30) generated requests,
  valid and invalid mixed;
- the second student sends every operation ``MAX_EXAMPLES`` generated requests of its own (the
  seed derives from the test, so they differ from the first student's). The coverage cases are
  the same fixed requests whoever sends them, so they are sent once.

Hypothesis stops early only where an operation has fewer distinct inputs than that (an
operation without parameters has one). For every request: no 5xx, only documented status
codes and content types, responses match their schemas, and neither an id nor the email of the
bystander appears in the response. For every operation with a path parameter, one object of
each kind the bystander owns is requested through it and must be refused with a 4xx. After each
operation the bystander's rows must be exactly as before; the acting student's changes are then
rolled back, so every operation starts from the same two seeded students.

Separately, every operation refuses anonymous callers, for ten generated requests each.

`SCHEMATHESIS_MAX_EXAMPLES` raises (or, for a quick local run, lowers) the number of examples;
`SCHEMATHESIS_PATH_REGEX` runs only the operations whose path matches it.
"""

import os
import random
import re
import uuid
from datetime import timedelta

import pytest
import schemathesis
from django.apps import apps
from django.core import signals
from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks as st_checks
from werkzeug.test import Client as WerkzeugClient

from accounts.authentication import hash_token_key
from accounts.models import ApiToken, TeacherRole
from accounts.tests.factories import UserFactory
from courses.models import Topic
from courses.template_models import TemplateResource
from journey.classes.services import class_join
from journey.demo import DEMO_RANDOM_SEED, demo_courses_create
from journey.tests.class_factories import make_class
from mastery.services import cards as card_services
from planner.wsgi import application

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "30"))
PATH_PARAM_RE = re.compile(r"\{[^}]+\}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RESPONSE_CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]
COMMON_SETTINGS = {
    "max_examples": MAX_EXAMPLES,
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "derandomize": True,
}


def owned_rows(user) -> dict[str, list[dict]]:
    """Every row a user owns, directly or through a course, with all its values."""
    snapshot = {}
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            continue
        names = {field.name for field in model._meta.get_fields()}
        if "user" in names:
            rows = model.objects.filter(user=user)
        elif "course" in names:
            rows = model.objects.filter(course__user=user)
        elif "owner" in names:
            rows = model.objects.filter(owner=user)
        elif "template" in names:
            rows = model.objects.filter(template__owner=user)
        elif model is TemplateResource:
            rows = model.objects.filter(topic__template__owner=user)
        else:
            continue
        snapshot[model._meta.label] = [
            {k: v for k, v in row.items() if k != "last_used_at"}
            for row in rows.order_by("pk").values()
        ]
    return snapshot


def make_teacher_role(user):
    TeacherRole.objects.create(user=user)
    return user


def bearer_for(user) -> dict[str, str]:
    key = f"test-{uuid.uuid4().hex}"
    ApiToken.objects.create(
        user=user,
        name="schemathesis",
        prefix=key[:8],
        key_hash=hash_token_key(key),
        expires_at=timezone.now() + timedelta(days=1),
    )
    return {"Authorization": f"Bearer {key}"}


class Campaign:
    """One student acting while the other's data sits next to it.

    Each operation runs inside its own savepoint: when the next operation begins, the
    bystander's rows are compared with the snapshot taken before the campaign, then the acting
    student's changes are rolled back.
    """

    def __init__(self, actor, bystander):
        self.headers = bearer_for(actor)
        self.actor = actor
        self.bystander = bystander
        self.baseline = owned_rows(bystander)
        self.foreign_ids = {
            str(row["id"]) for rows in self.baseline.values() for row in rows if "id" in row
        }
        # One object of every kind: whatever kind an operation's path expects, one of them is it.
        self.probe_ids = sorted(str(rows[0]["id"]) for rows in self.baseline.values() if rows)
        # The seed's paths name a student (/api/mastery/{user_id}/...): the other one's id too.
        self.probe_ids.append(str(bystander.pk))
        self.operation: str | None = None
        self.savepoint: str | None = None
        self.probed: set[str] = set()
        # Werkzeug's client, like Schemathesis: Django's test client would re-attach the
        # connection-closing hook after each request.
        self.client = WerkzeugClient(application)

    def begin(self, label: str) -> None:
        if label == self.operation:
            return
        self.finish()
        self.operation = label
        self.savepoint = transaction.savepoint()

    def finish(self) -> None:
        if self.operation is None:
            return
        label, self.operation = self.operation, None
        try:
            after = owned_rows(self.bystander)
        except DatabaseError as exc:
            # A server error can leave the transaction aborted; name that operation, not the next.
            transaction.savepoint_rollback(self.savepoint)
            raise AssertionError(f"{label} left the transaction broken: {exc}") from exc
        transaction.savepoint_rollback(self.savepoint)
        assert after == self.baseline, f"{label} changed another student's data"

    def exercise(self, case) -> None:
        self.begin(case.operation.label)
        if case.path_parameters and "user_id" in case.path_parameters:
            # A random user id is a 404 before any validation; the actor's own id lets the
            # generated bodies and queries reach it. The probes below send the bystander's.
            case.path_parameters["user_id"] = str(self.actor.pk)
        response = case.call(headers=self.headers)
        case.validate_response(response, checks=RESPONSE_CHECKS)
        text = response.text or ""
        leaked = self.foreign_ids.intersection(UUID_RE.findall(text))
        assert not leaked, f"{case.operation.label} returned another student's ids: {leaked}"
        assert self.bystander.email not in text

        # The probe paths depend only on the operation, so once per operation is enough.
        if case.path_parameters and case.operation.label not in self.probed:
            self.probed.add(case.operation.label)
            for foreign_id in self.probe_ids:
                path = PATH_PARAM_RE.sub(foreign_id, case.operation.full_path)
                probe = self.client.open(
                    path,
                    method=case.method.upper(),
                    data=b"{}",
                    content_type="application/json",
                    headers=self.headers,
                )
                assert 400 <= probe.status_code < 500, (
                    f"{case.method.upper()} {path} (another student's object) answered "
                    f"{probe.status_code}"
                )


@pytest.fixture
def students(db):
    """Two students who are also teachers (so the teacher operations run too), each with a
    published class that a third student joined and shares their progress with."""
    alice = UserFactory(email="alice@example.org")
    bob = UserFactory(email="bob@example.org")
    for student in (alice, bob):
        demo_courses_create(user=student, now=timezone.now(), rng=random.Random(DEMO_RANDOM_SEED))
        classroom = make_class(make_teacher_role(student))
        class_join(student=UserFactory(), join_code=classroom.join_code, has_consented=True)
        # A deck with a card each, so the flashcard paths are probed with the other's ids too.
        deck = card_services.deck_create(
            user=student, topic=Topic.objects.for_user(student).first(), name="Campaign deck"
        )
        card_services.card_create(user=student, deck=deck, front="q", back="a")
    return alice, bob


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Requests go through the real WSGI handler, whose per-request hook would close the
    database connection and with it the test's transaction; Django's own test client detaches
    the hook in the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(students):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def alice_acts(students):
    campaign = Campaign(actor=students[0], bystander=students[1])
    yield campaign
    campaign.finish()


@pytest.fixture
def bob_acts(students):
    campaign = Campaign(actor=students[1], bystander=students[0])
    yield campaign
    campaign.finish()


schema = schemathesis.pytest.from_fixture("api_schema")
if os.environ.get("SCHEMATHESIS_PATH_REGEX"):
    # A quick local run of a few operations (the campaign over all of them is slow).
    schema = schema.include(path_regex=os.environ["SCHEMATHESIS_PATH_REGEX"])


@schema.parametrize()
@settings(**COMMON_SETTINGS)
def test_api_as_first_student(case, alice_acts):
    alice_acts.exercise(case)


@schema.parametrize()
# Generated examples only: the explicit ones (schema examples, coverage cases) ran as Alice.
@settings(**COMMON_SETTINGS, phases=[Phase.generate, Phase.shrink])
def test_api_as_second_student(case, bob_acts):
    bob_acts.exercise(case)


@schema.parametrize()
# Authentication comes before anything else, so generated requests, valid and invalid, suffice.
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.generate, Phase.shrink],
)
def test_api_refuses_anonymous_callers(case):
    response = case.call()
    assert response.status_code in (401, 403), (
        f"{case.operation.label} answered {response.status_code} to an anonymous caller"
    )
