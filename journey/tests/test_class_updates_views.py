"""Pages of template resources, deletions and the update offer: confirmation pages, form
errors without writes, 404 for anyone but the owner, the student's offer page and course page,
and query counts that do not grow with the rows listed."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent
from accounts.tests.factories import UserFactory
from courses.models import Assessment, Topic
from courses.template_models import (
    ClassMembership,
    CourseTemplate,
    MembershipStatus,
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


def _join(classroom, *, consent=False):
    student = UserFactory()
    membership = class_services.class_join(
        student=student, join_code=classroom.join_code, has_consented=consent
    )
    return student, membership


def _new_teacher_urls(template) -> list[str]:
    topic = template.topics.get(name="Limits")
    resource = TemplateResource.objects.get(topic=topic)
    assessment = template.assessments.get(name="Midterm")
    return [
        reverse("classes:template_delete", args=[template.pk]),
        reverse("classes:topic_delete", args=[topic.pk]),
        reverse("classes:questions_delete", args=[topic.pk]),
        reverse("classes:assessment_delete", args=[assessment.pk]),
        reverse("classes:resource_edit", args=[resource.pk]),
        reverse("classes:resource_delete", args=[resource.pk]),
    ]


def test_every_new_teacher_page_is_404_for_a_student_and_another_teacher(client):
    classroom = make_class()
    template = classroom.template
    urls = _new_teacher_urls(template)
    other_teacher = make_teacher("other@example.org")
    make_template(other_teacher, code="OTHER 1")
    for user in (UserFactory(), other_teacher):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"title": "x"}).status_code == 404, url
    client.logout()
    assert client.get(urls[0]).status_code == 302  # to the login page
    template.refresh_from_db()
    assert template.deleted_at is None and template.version == 1
    assert TemplateResource.objects.filter(topic__template=template).count() == 1
    assert TemplateTopic.objects.get(template=template, name="Limits").question_count == 3


def test_a_confirm_delete_page_refuses_an_http_delete_and_deletes_nothing(client):
    # Deleting goes through the confirmation form (POST); an HTTP DELETE is not a method
    # these pages answer, rather than a server error.
    classroom = make_class()
    template = classroom.template
    client.force_login(template.owner)
    for url in _new_teacher_urls(template):
        if url.endswith("/delete"):
            assert client.delete(url).status_code == 405, url
    template.refresh_from_db()
    assert template.deleted_at is None
    assert TemplateResource.objects.filter(topic__template=template).count() == 1
    assert TemplateTopic.objects.get(template=template, name="Limits").question_count == 3


def test_the_offer_page_is_404_for_another_student(client):
    classroom = make_class()
    _, membership = _join(classroom)
    client.force_login(UserFactory())
    assert client.get(reverse("classes:update", args=[membership.pk])).status_code == 404
    assert client.post(reverse("classes:accept_update", args=[membership.pk])).status_code == 404


def test_a_teacher_adds_a_resource_on_the_topic_page_with_form_errors_for_a_bad_url(client):
    classroom = make_class()
    teacher = classroom.template.owner
    topic = classroom.template.topics.get(name="Derivatives")
    client.force_login(teacher)
    url = reverse("classes:topic_edit", args=[topic.pk])
    refused = client.post(
        url,
        {"action": "add_resource", "title": "Bad", "type": "reading", "url": "javascript:x()"},
    )
    assert refused.status_code == 400
    assert refused.context["resource_form"].errors["url"]
    assert not TemplateResource.objects.filter(topic=topic).exists()
    added = client.post(
        url,
        {
            "action": "add_resource",
            "title": "Product rule",
            "type": "video",
            "url": "https://v.example/product",
            "notes": "Watch twice.",
        },
    )
    assert added.status_code == 302
    page = client.get(url).content.decode()
    assert "Product rule" in page and "Watch twice." in page
    resource = TemplateResource.objects.get(topic=topic)
    edited = client.post(
        reverse("classes:resource_edit", args=[resource.pk]),
        {"title": "Product rule", "type": "video", "url": "https://v.example/product-2"},
    )
    assert edited.status_code == 302
    resource.refresh_from_db()
    assert resource.url == "https://v.example/product-2" and resource.notes == ""
    assert (
        AuditEvent.objects.filter(user=teacher, action=AuditAction.CLASS_UPDATE_OFFERED).count()
        == 2
    )


def test_confirmation_pages_say_what_happens_to_students_and_delete_on_post(client):
    classroom = make_class()
    template = classroom.template
    student, _ = _join(classroom)
    client.force_login(template.owner)
    assessment = template.assessments.get(name="Midterm")
    url = reverse("classes:assessment_delete", args=[assessment.pk])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 student joined" in text and "until they accept" in text
    assert TemplateAssessment.objects.filter(pk=assessment.pk).exists()  # GET deletes nothing
    assert client.post(url).status_code == 302
    assert not TemplateAssessment.objects.filter(pk=assessment.pk).exists()
    assert Assessment.objects.for_user(student).filter(name="Midterm").exists()

    resource = TemplateResource.objects.get(topic__template=template)
    client.post(reverse("classes:resource_delete", args=[resource.pk]))
    assert not TemplateResource.objects.filter(pk=resource.pk).exists()

    url = reverse("classes:template_delete", args=[template.pk])
    assert "Its classes close" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302 and response.url == reverse("classes:teach")
    assert client.get(reverse("classes:template_detail", args=[template.pk])).status_code == 404
    assert CourseTemplate.objects.get(pk=template.pk).deleted_at == NOW


def test_the_student_reviews_the_offer_and_accepts_it(client):
    classroom = make_class()
    template = classroom.template
    teacher = template.owner
    student, membership = _join(classroom)
    midterm = template.assessments.get(name="Midterm")
    class_services.template_assessment_remove(teacher=teacher, assessment=midterm)
    final = template.assessments.get(name="Final")
    class_services.template_assessment_change(
        teacher=teacher, assessment=final, due_date=NOW + timedelta(days=50)
    )
    class_services.template_topic_add(teacher=teacher, template=template, name="Integrals")
    client.force_login(student)
    listing = client.get(reverse("classes:list")).content.decode()
    assert "3 changes" in listing and "Review the update" in listing
    page = client.get(reverse("classes:update", args=[membership.pk])).content.decode()
    assert "Topic <strong>Integrals</strong>" in page
    assert "Assessment <strong>Final</strong>" in page
    assert "Assessment <strong>Midterm</strong>: removed from your course" in page
    response = client.post(reverse("classes:accept_update", args=[membership.pk]))
    assert response.status_code == 302
    assert set(Topic.objects.for_user(student).values_list("name", flat=True)) == {
        "Limits",
        "Derivatives",
        "Integrals",
    }
    assert list(Assessment.objects.for_user(student).values_list("name", flat=True)) == ["Final"]
    page = client.get(reverse("classes:update", args=[membership.pk])).content.decode()
    assert "already matches the class" in page


def test_the_students_course_page_says_when_the_class_ended(client):
    classroom = make_class()
    student, membership = _join(classroom, consent=True)
    client.force_login(student)
    course_url = reverse("courses:detail", args=[membership.course_id])
    assert "From the class" in client.get(course_url).content.decode()
    class_services.template_remove(teacher=classroom.template.owner, template=classroom.template)
    page = client.get(course_url).content.decode()
    assert "ended" in page and "stays yours, no longer linked" in page
    listing = client.get(reverse("classes:list")).content.decode()
    assert "The teacher deleted this class" in listing
    assert ClassMembership.objects.get(pk=membership.pk).status == MembershipStatus.CLOSED


def test_the_topic_and_template_pages_cost_the_same_for_one_resource_as_for_many(client):
    classroom = make_class()
    template = classroom.template
    client.force_login(template.owner)
    topic = template.topics.get(name="Limits")
    urls = [
        reverse("classes:topic_edit", args=[topic.pk]),
        reverse("classes:template_detail", args=[template.pk]),
    ]

    def counts():
        found = []
        for url in urls:
            # Warm first: the page shell's state is cached per student.
            client.get(url)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    one = counts()
    for number in range(4):
        for each in template.topics.all():
            class_services.template_resource_add(
                teacher=template.owner,
                topic=each,
                title=f"R{number}",
                type="reading",
                url=f"https://r.example/{each.pk}/{number}",
            )
    assert TemplateResource.objects.filter(topic=topic).count() == 5
    assert counts() == one


def test_the_students_course_page_shows_the_teachers_resource_titles_and_notes(client):
    teacher = make_teacher()
    template = make_template(teacher)
    class_services.template_resource_add(
        teacher=teacher,
        topic=template.topics.get(name="Derivatives"),
        title="OpenStax 2.2",
        type="reading",
        url="https://openstax.org/books/calculus-volume-1/pages/2-2",
        notes="Read before the lecture.",
    )
    classroom = class_services.classroom_publish(teacher=teacher, template=template)
    student, membership = _join(classroom)
    client.force_login(student)
    page = client.get(reverse("journey:course_overview", args=[membership.course_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert ">OpenStax 2.2</a>" in text and "Read before the lecture." in text
