"""Property-based API testing from the OpenAPI schema, as two students and as nobody.

Student A exercises every operation with generated input. Checks: no 5xx, only documented
status codes and content types, responses match their schemas, nothing of student B's ever
appears, B's objects are unreachable through any path parameter, and B's data is unchanged.
Separately, every operation refuses anonymous callers.
"""

import os
import re
import uuid
from datetime import timedelta

import pytest
import schemathesis
from django.apps import apps
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks
from werkzeug.test import Client as WerkzeugClient

from accounts.authentication import hash_token_key
from accounts.models import ApiToken
from accounts.tests.factories import UserFactory
from planner.management.commands.seed_demo import Command as SeedDemo
from planner.wsgi import application

# Generated examples per operation. The suite's time budget (make test well under 15 minutes on
# two cores) sets the default; SCHEMATHESIS_MAX_EXAMPLES=100 runs the long campaign.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
PATH_PARAM_RE = re.compile(r"\{[^}]+\}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# How many of B's object ids each operation is aimed at, per generated example.
FOREIGN_PROBES = 6
RESPONSE_CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]


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
        else:
            continue
        snapshot[model._meta.label] = [
            {k: v for k, v in row.items() if k != "last_used_at"}
            for row in rows.order_by("pk").values()
        ]
    return snapshot


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


@pytest.fixture
def students(db):
    alice = UserFactory(email="alice@example.org")
    bob = UserFactory(email="bob@example.org")
    for student in (alice, bob):
        SeedDemo().demo_courses(student)
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
def bob_guard(students):
    """B's ids for probing, and a check after the run that none of B's rows changed."""
    _, bob = students
    before = owned_rows(bob)
    foreign_ids = sorted(
        {str(row["id"]) for rows in before.values() for row in rows if "id" in row}
    )
    yield foreign_ids
    assert owned_rows(bob) == before


@pytest.fixture
def alice_headers(students):
    return bearer_for(students[0])


@pytest.fixture
def probed_operations():
    return set()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_as_two_students(case, alice_headers, bob_guard, probed_operations):
    response = case.call(headers=alice_headers)
    case.validate_response(response, checks=RESPONSE_CHECKS)
    leaked = set(bob_guard) & set(UUID_RE.findall(response.text or ""))
    assert not leaked, f"{case.operation.label} returned another student's ids: {leaked}"
    assert "bob@example.org" not in (response.text or "")

    # The probe paths depend only on the operation, so once per operation is enough.
    if case.path_parameters and case.operation.label not in probed_operations:
        probed_operations.add(case.operation.label)
        # Werkzeug's client, like Schemathesis: Django's test client would re-attach the
        # connection-closing hook after each request.
        client = WerkzeugClient(application)
        for foreign_id in bob_guard[:FOREIGN_PROBES]:
            path = PATH_PARAM_RE.sub(foreign_id, case.operation.full_path)
            probe = client.open(
                path,
                method=case.method.upper(),
                data=b"{}",
                content_type="application/json",
                headers=alice_headers,
            )
            assert 400 <= probe.status_code < 500, (
                f"{case.method.upper()} {path} (B's object) answered {probe.status_code}"
            )


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_refuses_anonymous_callers(case):
    response = case.call()
    assert response.status_code in (401, 403), (
        f"{case.operation.label} answered {response.status_code} to an anonymous caller"
    )
