"""The classes API: the teacher gate, the full authoring flow, the student's
membership operations, ownership and constant query counts."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import AuditAction, AuditEvent
from accounts.tests.factories import UserFactory
from courses.models import Course
from courses.template_models import ClassMembership, CourseTemplate
from journey.classes import services as class_services
from journey.tests.class_factories import NOW, make_class, make_teacher, question_document

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_teacher_operations_are_404_for_a_student():
    classroom = make_class()
    student = _client(UserFactory())
    template_id = classroom.template.pk
    assert student.get("/api/teach/templates").status_code == 404
    assert student.get(f"/api/teach/templates/{template_id}").status_code == 404
    assert student.get(f"/api/teach/classes/{classroom.pk}/progress").status_code == 404
    assert student.post("/api/teach/templates", {}, format="json").status_code == 404


def test_a_teacher_authors_and_publishes_through_the_api_with_400s_for_bad_input():
    teacher = _client(make_teacher())
    created = teacher.post(
        "/api/teach/templates",
        {"name": "Stats", "code": "STAT 1", "start_date": "2026-08-24", "end_date": "2026-08-01"},
        format="json",
    )
    assert created.status_code == 400 and "end_date" in created.json()
    created = teacher.post(
        "/api/teach/templates",
        {"name": "Stats", "code": "STAT 1", "start_date": "2026-08-24", "end_date": "2026-12-18"},
        format="json",
    )
    assert created.status_code == 201
    template_id = created.json()["id"]
    topic = teacher.post(
        f"/api/teach/templates/{template_id}/topics", {"name": "Means"}, format="json"
    ).json()
    bad_bank = {"quiz": {"questions": [{"question_id": "m-1", "type": "numeric"}]}}
    refused = teacher.put(f"/api/teach/topics/{topic['id']}/questions", bad_bank, format="json")
    assert refused.status_code == 400 and refused.json()["questions"]
    saved = teacher.put(
        f"/api/teach/topics/{topic['id']}/questions", question_document("m"), format="json"
    )
    assert saved.status_code == 200 and saved.json()["question_count"] == 3
    assessment = {
        "name": "Final",
        "type": "final",
        "weight_percent": 100,
        "due_date": (NOW + timedelta(days=30)).isoformat(),
        "topic_ids": [topic["id"]],
    }
    made = teacher.post(
        f"/api/teach/templates/{template_id}/assessments", assessment, format="json"
    )
    assert made.status_code == 201
    over = teacher.post(
        f"/api/teach/templates/{template_id}/assessments",
        {**assessment, "weight_percent": 5},
        format="json",
    )
    assert over.status_code == 400 and "weight_percent" in over.json()
    published = teacher.post(f"/api/teach/templates/{template_id}/classes", {}, format="json")
    assert published.status_code == 201 and len(published.json()["join_code"]) == 8
    moved = teacher.patch(
        f"/api/teach/assessments/{made.json()['id']}",
        {"due_date": (NOW + timedelta(days=31)).isoformat()},
        format="json",
    )
    assert moved.status_code == 200
    assert CourseTemplate.objects.get(pk=template_id).version == 2


def test_a_student_joins_consents_withdraws_and_leaves_through_the_api():
    classroom = make_class()
    student = UserFactory()
    api = _client(student)
    wrong = api.post(
        "/api/classes/join", {"join_code": "XXXX2222", "share_progress": True}, format="json"
    )
    assert wrong.status_code == 400 and "join_code" in wrong.json()
    joined = api.post(
        "/api/classes/join",
        {"join_code": classroom.join_code, "share_progress": False},
        format="json",
    )
    assert joined.status_code == 201 and joined.json()["share_progress"] is False
    membership_id = joined.json()["id"]
    shared = api.put(
        f"/api/classes/{membership_id}/consent", {"share_progress": True}, format="json"
    )
    assert shared.json()["share_progress"] is True
    left = api.post(f"/api/classes/{membership_id}/leave")
    assert left.json()["status"] == "left" and left.json()["course_id"] is None
    assert Course.objects.for_user(student).count() == 1
    again = api.put(
        f"/api/classes/{membership_id}/consent", {"share_progress": True}, format="json"
    )
    assert again.status_code == 400


def test_a_student_never_reaches_another_students_membership_through_the_api():
    classroom = make_class()
    owner = UserFactory()
    membership = class_services.class_join(
        student=owner, join_code=classroom.join_code, has_consented=True
    )
    intruder = _client(UserFactory())
    assert intruder.get("/api/classes").json() == []
    url = f"/api/classes/{membership.pk}"
    assert (
        intruder.put(f"{url}/consent", {"share_progress": False}, format="json").status_code == 404
    )
    assert intruder.post(f"{url}/leave").status_code == 404
    assert intruder.post(f"{url}/accept-update").status_code == 404
    membership.refresh_from_db()
    assert membership.has_consented and membership.status == "joined"


def test_another_teacher_gets_404_on_a_teachers_objects():
    classroom = make_class()
    rival = _client(make_teacher("rival@example.org"))
    template = classroom.template
    assert rival.get(f"/api/teach/templates/{template.pk}").status_code == 404
    assert rival.get(f"/api/teach/classes/{classroom.pk}/progress").status_code == 404
    assessment = template.assessments.first()
    patch = rival.patch(
        f"/api/teach/assessments/{assessment.pk}", {"weight_percent": 1}, format="json"
    )
    assert patch.status_code == 404
    assert rival.get("/api/teach/templates").json() == []


def test_progress_through_the_api_shows_consenting_students_only_and_is_audited():
    classroom = make_class()
    sharing = UserFactory(email="sharing@example.org")
    class_services.class_join(student=sharing, join_code=classroom.join_code, has_consented=True)
    private = UserFactory(email="private@example.org")
    class_services.class_join(student=private, join_code=classroom.join_code, has_consented=False)
    teacher = classroom.template.owner
    body = _client(teacher).get(f"/api/teach/classes/{classroom.pk}/progress").json()
    assert [row["email"] for row in body["students"]] == ["sharing@example.org"]
    assert body["at_risk_count"] is None and body["distributions"][0]["bands"] is None
    assert AuditEvent.objects.filter(
        user=teacher, action=AuditAction.CLASS_PROGRESS_VIEWED
    ).exists()


def test_list_and_progress_operations_cost_the_same_for_one_row_as_for_many():
    teacher = make_teacher()
    classroom = make_class(teacher)
    api = _client(teacher)
    student = UserFactory()
    class_services.class_join(student=student, join_code=classroom.join_code, has_consented=True)
    student_api = _client(student)

    def count(client, url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    progress_url = f"/api/teach/classes/{classroom.pk}/progress"
    one = (
        count(api, "/api/teach/templates"),
        count(api, progress_url),
        count(student_api, "/api/classes"),
    )
    second = make_class(teacher, code="MATH 102")
    for _ in range(4):
        other = UserFactory()
        class_services.class_join(student=other, join_code=classroom.join_code, has_consented=True)
    class_services.class_join(student=student, join_code=second.join_code, has_consented=True)
    many = (
        count(api, "/api/teach/templates"),
        count(api, progress_url),
        count(student_api, "/api/classes"),
    )
    assert ClassMembership.objects.filter(student=student).count() == 2
    assert many == one
