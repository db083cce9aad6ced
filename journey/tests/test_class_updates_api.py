"""The API of template resources, deletions and the update offer: 400 with field errors and
nothing written on bad input, 404 for anyone but the owner, audit entries, OpenAPI."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import AuditAction, AuditEvent, TeacherRole
from accounts.tests.factories import UserFactory
from courses.models import Assessment, Topic
from courses.template_models import (
    ClassMembership,
    CourseTemplate,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
)
from journey.classes import services as class_services
from journey.tests.class_factories import NOW, make_class, make_teacher, make_template

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _urls(classroom) -> list[tuple[str, str]]:
    template = classroom.template
    topic = template.topics.get(name="Limits")
    resource = TemplateResource.objects.get(topic=topic)
    assessment = template.assessments.get(name="Midterm")
    return [
        ("delete", f"/api/teach/templates/{template.pk}"),
        ("patch", f"/api/teach/topics/{topic.pk}"),
        ("delete", f"/api/teach/topics/{topic.pk}"),
        ("post", f"/api/teach/topics/{topic.pk}/resources"),
        ("delete", f"/api/teach/topics/{topic.pk}/questions"),
        ("patch", f"/api/teach/resources/{resource.pk}"),
        ("delete", f"/api/teach/resources/{resource.pk}"),
        ("delete", f"/api/teach/assessments/{assessment.pk}"),
    ]


def test_every_new_teacher_operation_is_404_for_a_student_and_another_teacher():
    classroom = make_class()
    body = {"title": "X", "type": "video", "url": "https://x.example", "name": "Renamed"}
    student = UserFactory()
    other_teacher = make_teacher("other@example.org")
    make_template(other_teacher)  # a teacher with templates of their own
    revoked = make_teacher("revoked@example.org")
    TeacherRole.objects.filter(user=revoked).update(is_active=False)
    for user in (student, other_teacher, revoked):
        client = _client(user)
        for method, url in _urls(classroom):
            response = getattr(client, method)(url, body, format="json")
            assert response.status_code == 404, (user.email, method, url)
    assert APIClient().delete(_urls(classroom)[0][1]).status_code in (401, 403)
    template = CourseTemplate.objects.get(pk=classroom.template.pk)
    assert template.deleted_at is None and template.version == 1
    assert TemplateResource.objects.get(topic__template=template).title == "Limits, the reading"
    assert TemplateTopic.objects.get(template=template, name="Limits").question_count == 3


def test_the_update_offer_of_a_membership_is_404_for_another_student():
    classroom = make_class()
    student = UserFactory()
    membership = class_services.class_join(
        student=student, join_code=classroom.join_code, has_consented=False
    )
    url = f"/api/classes/{membership.pk}/update"
    assert _client(UserFactory()).get(url).status_code == 404
    assert _client(classroom.template.owner).get(url).status_code == 404
    assert _client(student).get(url).json()["has_update"] is False


@pytest.mark.parametrize(
    "body,field",
    [
        ({"title": "R", "type": "reading", "url": "javascript:alert(1)"}, "url"),
        ({"title": "R", "type": "reading", "url": "ftp://x.example/a"}, "url"),
        ({"title": "R", "type": "podcast", "url": "https://x.example"}, "type"),
        ({"title": "", "type": "reading", "url": "https://x.example"}, "title"),
        ({"type": "reading", "url": "https://x.example"}, "title"),
        (
            {"title": "R", "type": "reading", "url": "https://x.example", "notes": "n" * 5001},
            "notes",
        ),
    ],
)
def test_a_bad_resource_is_a_400_with_the_field_and_writes_nothing(body, field):
    classroom = make_class()
    teacher = classroom.template.owner
    topic = classroom.template.topics.get(name="Derivatives")
    response = _client(teacher).post(f"/api/teach/topics/{topic.pk}/resources", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not TemplateResource.objects.filter(topic=topic).exists()
    assert CourseTemplate.objects.get(pk=classroom.template.pk).version == 1
    assert not AuditEvent.objects.filter(action=AuditAction.CLASS_UPDATE_OFFERED).exists()


def test_a_teacher_manages_resources_and_the_student_reviews_and_accepts_through_the_api():
    classroom = make_class()
    teacher = _client(classroom.template.owner)
    student_user = UserFactory()
    membership = class_services.class_join(
        student=student_user, join_code=classroom.join_code, has_consented=False
    )
    student = _client(student_user)
    derivatives = classroom.template.topics.get(name="Derivatives")
    created = teacher.post(
        f"/api/teach/topics/{derivatives.pk}/resources",
        {"title": "Rules", "type": "video", "url": "https://v.example/rules", "notes": "10 min"},
        format="json",
    )
    assert created.status_code == 201
    resource_id = created.json()["id"]
    bad = teacher.patch(f"/api/teach/resources/{resource_id}", {"url": "mailto:x"}, format="json")
    assert bad.status_code == 400 and "url" in bad.json()
    assert TemplateResource.objects.get(pk=resource_id).url == "https://v.example/rules"
    assert (
        teacher.patch(
            f"/api/teach/resources/{resource_id}", {"title": "Rules, shown"}, format="json"
        ).json()["title"]
        == "Rules, shown"
    )
    template = teacher.get(f"/api/teach/templates/{classroom.template.pk}").json()
    topic = next(t for t in template["topics"] if t["name"] == "Derivatives")
    assert [r["title"] for r in topic["resources"]] == ["Rules, shown"]

    offer = student.get(f"/api/classes/{membership.pk}/update").json()
    assert offer["has_update"] is True
    assert [(r["title"], r["url"]) for r in offer["added_resources"]] == [
        ("Rules, shown", "https://v.example/rules")
    ]
    assert student.post(f"/api/classes/{membership.pk}/accept-update").status_code == 200
    own = Topic.objects.for_user(student_user).get(name="Derivatives")
    assert own.resource_links == [
        {
            "type": "video",
            "url": "https://v.example/rules",
            "title": "Rules, shown",
            "notes": "10 min",
        }
    ]
    assert student.get(f"/api/classes/{membership.pk}/update").json()["has_update"] is False
    assert teacher.delete(f"/api/teach/resources/{resource_id}").status_code == 204
    offer = student.get(f"/api/classes/{membership.pk}/update").json()
    assert [r["link"]["url"] for r in offer["removed_resources"]] == ["https://v.example/rules"]


def test_deleting_topics_assessments_and_the_template_through_the_api():
    classroom = make_class()
    teacher_user = classroom.template.owner
    teacher = _client(teacher_user)
    student_user = UserFactory()
    membership = class_services.class_join(
        student=student_user, join_code=classroom.join_code, has_consented=True
    )
    student = _client(student_user)
    template = classroom.template
    limits = template.topics.get(name="Limits")
    midterm = template.assessments.get(name="Midterm")
    assert teacher.delete(f"/api/teach/topics/{limits.pk}/questions").status_code == 204
    assert TemplateTopic.objects.get(pk=limits.pk).question_count == 0
    assert teacher.delete(f"/api/teach/assessments/{midterm.pk}").status_code == 204
    assert teacher.delete(f"/api/teach/topics/{limits.pk}").status_code == 204
    assert not TemplateAssessment.objects.filter(pk=midterm.pk).exists()
    offer = student.get(f"/api/classes/{membership.pk}/update").json()
    assert [t["name"] for t in offer["removed_topics"]] == ["Limits"]
    assert [(a["name"], a["is_kept_for_grades"]) for a in offer["removed_assessments"]] == [
        ("Midterm", False)
    ]
    assert Assessment.objects.for_user(student_user).count() == 2  # nothing before accepting

    assert teacher.delete(f"/api/teach/templates/{template.pk}").status_code == 204
    assert teacher.get(f"/api/teach/templates/{template.pk}").status_code == 404
    assert teacher.get("/api/teach/templates").json() == []
    [row] = student.get("/api/classes").json()
    assert row["status"] == "closed" and row["share_progress"] is False
    assert row["course_id"] == str(membership.course_id)
    assert student.post(f"/api/classes/{membership.pk}/accept-update").status_code == 400
    assert Topic.objects.for_user(student_user).filter(name="Limits").exists()
    assert (
        student.post(
            "/api/classes/join",
            {"join_code": classroom.join_code, "share_progress": False},
            format="json",
        ).status_code
        == 400
    )
    actions = list(
        AuditEvent.objects.filter(user=teacher_user)
        .exclude(action=AuditAction.CLASS_PUBLISHED)
        .values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        [
            AuditAction.CLASS_UPDATE_OFFERED,
            AuditAction.CLASS_UPDATE_OFFERED,
            AuditAction.CLASS_TEMPLATE_DELETED,
        ]
    )
    assert ClassMembership.objects.get(pk=membership.pk).status == "closed"


def test_the_update_offer_costs_the_same_for_one_change_as_for_many():
    classroom = make_class()
    teacher = classroom.template.owner
    student_user = UserFactory()
    membership = class_services.class_join(
        student=student_user, join_code=classroom.join_code, has_consented=False
    )
    student = _client(student_user)
    url = f"/api/classes/{membership.pk}/update"
    final = classroom.template.assessments.get(name="Final")
    class_services.template_assessment_change(
        teacher=teacher, assessment=final, due_date=NOW + timedelta(days=61)
    )
    with CaptureQueriesContext(connection) as one:
        assert student.get(url).status_code == 200
    topic = classroom.template.topics.get(name="Derivatives")
    for number in range(3):
        class_services.template_resource_add(
            teacher=teacher,
            topic=topic,
            title=f"R{number}",
            type="reading",
            url=f"https://r.example/{number}",
        )
        class_services.template_topic_add(
            teacher=teacher, template=classroom.template, name=f"Extra {number}"
        )
    with CaptureQueriesContext(connection) as many:
        response = student.get(url)
    assert len(response.json()["added_topics"]) == 3
    assert len(response.json()["added_resources"]) == 3
    assert len(many) == len(one)


def test_the_new_operations_are_in_the_openapi_schema():
    schema = APIClient().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "delete" in paths["/api/teach/templates/{template_id}"]
    assert {"patch", "delete"} <= set(paths["/api/teach/topics/{topic_id}"])
    assert "post" in paths["/api/teach/topics/{topic_id}/resources"]
    assert {"patch", "delete"} <= set(paths["/api/teach/resources/{resource_id}"])
    assert "delete" in paths["/api/teach/topics/{topic_id}/questions"]
    assert "delete" in paths["/api/teach/assessments/{assessment_id}"]
    assert "get" in paths["/api/classes/{membership_id}/update"]
