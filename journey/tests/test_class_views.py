"""Teacher and class pages: the role gate, the editor, the consent screen, the
progress page with its group floor, authorization and the audit trail."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent, TeacherRole
from accounts.tests.factories import UserFactory
from courses.models import Assessment
from courses.services import templates as template_services
from courses.template_models import ClassMembership, CourseTemplate, MembershipStatus
from journey.classes import services as class_services
from journey.classes.selectors import MIN_GROUP_SIZE
from journey.tests.class_factories import (
    NOW,
    make_class,
    make_teacher,
    make_template,
    question_document,
)
from mastery.services import mastery_recompute_topics, performance_record_create
from scheduling.models import TaskStatus
from scheduling.tests.factories import StudyTaskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _login(client, user):
    client.force_login(user)
    return client


def _join(classroom, *, consent=True, email=None):
    student = UserFactory(**({"email": email} if email else {}))
    membership = class_services.class_join(
        student=student, join_code=classroom.join_code, has_consented=consent
    )
    return student, membership


def _give_evidence(student, membership, score):
    """A graded midterm on Limits, folded into the student's mastery."""
    midterm = Assessment.objects.for_user(student).get(name="Midterm")
    performance_record_create(
        user=student,
        course=membership.course,
        assessment=midterm,
        score=score,
        time_spent_min=30,
        completed_at=NOW - timedelta(days=1),
    )
    mastery_recompute_topics(user=student, topic_ids=list(membership.topic_map.values()))


def _teacher_urls(classroom):
    template = classroom.template
    return [
        reverse("classes:teach"),
        reverse("classes:template_detail", args=[template.pk]),
        reverse("classes:topic_edit", args=[template.topics.first().pk]),
        reverse("classes:assessment_edit", args=[template.assessments.first().pk]),
        reverse("classes:class_progress", args=[classroom.pk]),
    ]


def test_teacher_pages_are_404_for_students_and_for_a_revoked_role(client):
    classroom = make_class()
    student = UserFactory()
    _login(client, student)
    for url in _teacher_urls(classroom):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("classes:template_create"), {}).status_code == 404
    teacher = classroom.template.owner
    TeacherRole.objects.filter(user=teacher).update(is_active=False)
    _login(client, teacher)
    assert client.get(reverse("classes:teach")).status_code == 404


def test_another_teacher_gets_404_on_a_teachers_template_and_class(client):
    classroom = make_class()
    _login(client, make_teacher("rival@example.org"))
    for url in _teacher_urls(classroom)[1:]:
        assert client.get(url).status_code == 404, url


def test_a_teacher_builds_and_publishes_a_template_through_the_pages(client):
    teacher = make_teacher()
    _login(client, teacher)
    response = client.post(
        reverse("classes:template_create"),
        {
            "name": "Chemistry",
            "code": "CHEM 1",
            "start_date": "2026-08-24",
            "end_date": "2026-12-18",
        },
    )
    template = CourseTemplate.objects.get(owner=teacher)
    detail = reverse("classes:template_detail", args=[template.pk])
    assert response.status_code == 302 and response.url == detail
    client.post(detail, {"action": "add_topic", "name": "Atoms", "estimated_difficulty": "easy"})
    atoms = template.topics.get()
    client.post(
        detail,
        {
            "action": "add_topic",
            "name": "Moles",
            "estimated_difficulty": "medium",
            "prerequisite_ids": [str(atoms.pk)],
        },
    )
    assert template.topics.get(name="Moles").prerequisite_ids == [str(atoms.pk)]
    over = client.post(
        detail,
        {
            "action": "add_assessment",
            "name": "Final",
            "type": "final",
            "weight_percent": "120",
            "due_date": "2026-12-10T09:00",
            "estimated_duration_min": "90",
        },
    )
    assert over.status_code == 400 and "weight_percent" in over.context["assessment_form"].errors
    refused = client.post(detail, {"action": "publish", "name": ""})
    assert refused.status_code == 400
    assert "must total 100%" in str(refused.context["publish_form"].non_field_errors())
    client.post(
        detail,
        {
            "action": "add_assessment",
            "name": "Final",
            "type": "final",
            "weight_percent": "100",
            "due_date": "2026-12-10T09:00",
            "estimated_duration_min": "90",
            "topic_ids": [str(atoms.pk)],
        },
    )
    published = client.post(detail, {"action": "publish", "name": "Chem, section A"})
    classroom = template.classrooms.get()
    assert published.url == reverse("classes:class_progress", args=[classroom.pk])
    assert classroom.name == "Chem, section A"


def test_an_invalid_question_bank_is_a_form_error_and_stores_nothing(client):
    teacher = make_teacher()
    template = make_template(teacher)
    topic = template.topics.get(name="Derivatives")
    _login(client, teacher)
    url = reverse("classes:topic_edit", args=[topic.pk])
    not_json = client.post(url, {"action": "questions", "document": "{nope"})
    assert not_json.status_code == 400 and "document" in not_json.context["bank_form"].errors
    bad = question_document("der")
    bad["quiz"]["questions"][0]["correct_answer"] = "many"
    invalid = client.post(url, {"action": "questions", "document": json.dumps(bad)})
    assert invalid.status_code == 400
    assert "Question 1 (der-1): correct_answer" in invalid.content.decode()
    topic.refresh_from_db()
    assert topic.questions == {}
    good = client.post(url, {"action": "questions", "document": json.dumps(question_document("d"))})
    assert good.status_code == 302
    topic.refresh_from_db()
    assert topic.question_count == 3


def _row_cells(html: str, email: str) -> list[str]:
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if email in r)
    return [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]


def test_the_consent_screen_shows_exactly_the_row_the_teacher_then_sees(client):
    classroom = make_class()
    student = UserFactory(email="lin@example.org", full_name="Lin Student")
    _login(client, student)
    start = client.post(reverse("classes:join"), {"join_code": classroom.join_code.lower()})
    consent_url = reverse("classes:join_code", args=[classroom.join_code])
    assert start.url == consent_url
    screen = client.get(consent_url).content.decode()
    preview = _row_cells(screen, "lin@example.org")
    assert preview[:2] == ["Lin Student", "lin@example.org"]
    assert not ClassMembership.objects.filter(student=student).exists()  # nothing yet
    joined = client.post(consent_url, {"decision": "share"})
    assert joined.status_code == 302
    _login(client, classroom.template.owner)
    page = client.get(reverse("classes:class_progress", args=[classroom.pk])).content.decode()
    assert _row_cells(page, "lin@example.org") == preview


def test_refusing_consent_joins_without_the_teacher_seeing_anything(client):
    classroom = make_class()
    student = UserFactory(email="quiet@example.org")
    _login(client, student)
    client.post(reverse("classes:join_code", args=[classroom.join_code]), {"decision": "private"})
    membership = ClassMembership.objects.get(student=student)
    assert membership.course is not None and not membership.has_consented
    _login(client, classroom.template.owner)
    page = client.get(reverse("classes:class_progress", args=[classroom.pk])).content.decode()
    assert "quiet@example.org" not in page


def test_a_teacher_never_sees_refused_withdrawn_left_or_other_classes_students(client):
    classroom = make_class()
    other_class = make_class(make_teacher("other-teacher@example.org"))
    _join(classroom, consent=True, email="shares@example.org")
    _join(classroom, consent=False, email="refused@example.org")
    _, withdrawn_membership = _join(classroom, consent=True, email="withdrew@example.org")
    template_services.class_membership_consent_set(
        membership=withdrawn_membership, has_consented=False
    )
    _, gone_membership = _join(classroom, consent=True, email="left@example.org")
    template_services.class_membership_leave(membership=gone_membership)
    _join(other_class, consent=True, email="elsewhere@example.org")
    _login(client, classroom.template.owner)
    page = client.get(reverse("classes:class_progress", args=[classroom.pk])).content.decode()
    assert "shares@example.org" in page
    for hidden in ("refused@", "withdrew@", "left@", "elsewhere@"):
        assert hidden not in page, hidden


def test_a_student_never_reaches_another_students_membership(client):
    classroom = make_class()
    _, theirs = _join(classroom, consent=True, email="owner@example.org")
    intruder, _ = _join(classroom, consent=True, email="intruder@example.org")
    _login(client, intruder)
    for name in ("consent", "leave", "accept_update"):
        assert (
            client.post(
                reverse(f"classes:{name}", args=[theirs.pk]), {"decision": "private"}
            ).status_code
            == 404
        )
    listing = client.get(reverse("classes:list")).content.decode()
    assert "owner@example.org" not in listing
    theirs.refresh_from_db()
    assert theirs.status == MembershipStatus.JOINED and theirs.has_consented


def test_the_student_withdraws_consent_and_leaves_from_the_classes_page(client):
    classroom = make_class()
    student, membership = _join(classroom, consent=True)
    _login(client, student)
    listing = client.get(reverse("classes:list")).content.decode()
    assert "The teacher sees exactly this about you now" in listing
    client.post(reverse("classes:consent", args=[membership.pk]), {"decision": "private"})
    membership.refresh_from_db()
    assert not membership.has_consented
    client.post(reverse("classes:leave", args=[membership.pk]))
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.LEFT
    assert (
        "The course stayed in your account" in client.get(reverse("classes:list")).content.decode()
    )


def test_an_offered_update_is_accepted_from_the_classes_page(client):
    classroom = make_class()
    student, membership = _join(classroom)
    midterm = classroom.template.assessments.get(name="Midterm")
    final = classroom.template.assessments.get(name="Final")
    teacher = classroom.template.owner
    class_services.template_assessment_change(teacher=teacher, assessment=final, weight_percent=55)
    class_services.template_assessment_change(
        teacher=teacher, assessment=midterm, weight_percent=45
    )
    _login(client, student)
    assert "Review the update" in client.get(reverse("classes:list")).content.decode()
    client.post(reverse("classes:accept_update", args=[membership.pk]))
    weights = dict(Assessment.objects.for_user(student).values_list("name", "weight_percent"))
    assert weights == {"Midterm": 45, "Final": 55}


def test_aggregates_appear_only_from_five_students_with_evidence(client):
    classroom = make_class()
    members = [_join(classroom) for _ in range(MIN_GROUP_SIZE - 1)]
    for index, (student, membership) in enumerate(members):
        _give_evidence(student, membership, score=20 + index * 20)
    _login(client, classroom.template.owner)
    url = reverse("classes:class_progress", args=[classroom.pk])
    progress = client.get(url).context["progress"]
    limits = next(d for d in progress.distributions if d.topic_name == "Limits")
    assert limits.student_count == MIN_GROUP_SIZE - 1 and limits.bands is None
    assert progress.at_risk_count is None and progress.adherence is None
    student, membership = _join(classroom)
    _give_evidence(student, membership, score=95)
    StudyTaskFactory(
        user=student,
        course=membership.course,
        status=TaskStatus.COMPLETED,
        scheduled_start=NOW - timedelta(days=2),
    )
    progress = client.get(url).context["progress"]
    limits = next(d for d in progress.distributions if d.topic_name == "Limits")
    assert limits.bands is not None and sum(count for _, count in limits.bands) == MIN_GROUP_SIZE
    derivatives = next(d for d in progress.distributions if d.topic_name == "Derivatives")
    assert derivatives.bands is None  # nobody has evidence on it
    assert progress.adherence.completed == 1 and progress.at_risk_count == 0


def test_every_view_of_class_progress_is_audited(client):
    classroom = make_class()
    _join(classroom)
    teacher = classroom.template.owner
    _login(client, teacher)
    client.get(reverse("classes:class_progress", args=[classroom.pk]))
    event = AuditEvent.objects.get(user=teacher, action=AuditAction.CLASS_PROGRESS_VIEWED)
    assert event.detail == {"classroom_id": str(classroom.pk), "student_count": 1}


def test_the_progress_page_costs_the_same_queries_for_one_student_as_for_six(client):
    classroom = make_class()
    student, membership = _join(classroom)
    _give_evidence(student, membership, score=70)
    _login(client, classroom.template.owner)
    url = reverse("classes:class_progress", args=[classroom.pk])
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(5):
        other, other_membership = _join(classroom)
        _give_evidence(other, other_membership, score=50)
    with CaptureQueriesContext(connection) as six:
        response = client.get(url)
    assert response.context["progress"].student_count == 6
    assert len(six) == len(one)


def test_a_bad_join_code_is_a_form_error_and_an_unknown_link_a_404(client):
    _login(client, UserFactory())
    response = client.post(reverse("classes:join"), {"join_code": "ZZZZ9999"})
    assert response.status_code == 400 and "join_code" in response.context["form"].errors
    assert client.get(reverse("classes:join_code", args=["ZZZZ9999"])).status_code == 404
    anonymous = client.__class__()
    assert anonymous.get(reverse("classes:list")).status_code == 302


def test_the_students_classes_page_costs_the_same_for_one_class_as_for_three(client):
    student = UserFactory()
    first = make_class()
    class_services.class_join(student=student, join_code=first.join_code, has_consented=True)
    _login(client, student)
    url = reverse("classes:list")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    # Counted now: the next request empties the connection's query log.
    one_class = len(one)
    for code in ("PHYS 1", "HIST 1"):
        classroom = make_class(make_teacher(f"{code[:4].lower()}@example.org"), code=code)
        class_services.class_join(
            student=student, join_code=classroom.join_code, has_consented=True
        )
        final = classroom.template.assessments.get(name="Final")
        class_services.template_assessment_change(
            teacher=classroom.template.owner, assessment=final, due_date=NOW + timedelta(days=61)
        )
    # Warm, as the measured visit before it: the page shell's state is cached per student.
    client.get(url)
    with CaptureQueriesContext(connection) as three:
        page = client.get(url)
    assert page.content.decode().count("Review the update") == 2
    assert len(three) == one_class


def test_staff_grant_and_revoke_the_teacher_role_in_the_admin_with_history(admin_client, client):
    candidate = UserFactory(email="new-teacher@example.org")
    _login(client, candidate)
    assert client.get(reverse("classes:teach")).status_code == 404
    added = admin_client.post(
        reverse("admin:accounts_teacherrole_add"),
        {
            "user": str(candidate.pk),
            "is_active": "on",
            "approved_at_0": "2026-10-05",
            "approved_at_1": "12:00:00",
            "note": "Maths department",
        },
    )
    assert added.status_code == 302
    assert client.get(reverse("classes:teach")).status_code == 200
    role = TeacherRole.objects.get(user=candidate)
    admin_client.post(
        reverse("admin:accounts_teacherrole_change", args=[role.pk]),
        {
            "user": str(candidate.pk),
            "approved_at_0": "2026-10-05",
            "approved_at_1": "12:00:00",
            "note": "Left the school",
        },
    )
    assert client.get(reverse("classes:teach")).status_code == 404
    assert [h.is_active for h in role.history.order_by("history_date")] == [True, False]


def test_a_template_ending_before_it_starts_is_a_form_error_and_creates_nothing(client):
    teacher = make_teacher()
    _login(client, teacher)
    response = client.post(
        reverse("classes:template_create"),
        {
            "name": "Chemistry",
            "code": "CHEM 1",
            "start_date": "2026-08-24",
            "end_date": "2026-08-01",
        },
    )
    assert response.status_code == 400 and "end_date" in response.context["form"].errors
    assert not CourseTemplate.objects.filter(owner=teacher).exists()
