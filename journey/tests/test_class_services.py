"""Joining, updating, leaving and consent, through the services."""

from datetime import timedelta

import pytest
import time_machine

from accounts.errors import ApplicationError
from accounts.models import AuditAction, AuditEvent
from accounts.tests.factories import UserFactory
from courses.models import Assessment, Course, Topic
from courses.services import templates as template_services
from courses.template_models import ClassMembership, MembershipStatus, TemplateAssessment
from journey.classes import services as class_services
from journey.classes import updates
from journey.tests.class_factories import NOW, make_class, make_teacher, make_template
from mastery.models import Question

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_joining_copies_the_template_into_the_students_own_account():
    classroom = make_class()
    student = UserFactory()
    membership = class_services.class_join(
        student=student, join_code=classroom.join_code.lower(), has_consented=True
    )
    course = Course.objects.for_user(student).get()
    assert membership.course == course and membership.status == MembershipStatus.JOINED
    assert (course.code, course.semester) == ("MATH 101", "Fall 2026")
    topics = {t.name: t for t in Topic.objects.for_user(student)}
    assert set(topics) == {"Limits", "Derivatives"}
    assert topics["Derivatives"].prerequisite_topic_ids == [str(topics["Limits"].pk)]
    weights = dict(Assessment.objects.for_user(student).values_list("name", "weight_percent"))
    assert weights == {"Midterm": 40, "Final": 60}
    assert Question.objects.filter(topic=topics["Limits"]).count() == 3
    assert not Question.objects.filter(topic=topics["Derivatives"]).exists()
    assert set(membership.topic_map.values()) == {str(t.pk) for t in topics.values()}


def test_a_wrong_code_or_a_second_join_is_a_field_error_and_writes_nothing():
    classroom = make_class()
    student = UserFactory()
    with pytest.raises(ApplicationError) as refused:
        class_services.class_join(student=student, join_code="NOPE2345", has_consented=True)
    assert "join_code" in refused.value.field_errors
    class_services.class_join(student=student, join_code=classroom.join_code, has_consented=False)
    with pytest.raises(ApplicationError):
        class_services.class_join(
            student=student, join_code=classroom.join_code, has_consented=True
        )
    assert Course.objects.for_user(student).count() == 1


def test_an_invalid_question_bank_is_refused_whole_with_every_problem():
    teacher = make_teacher()
    template = make_template(teacher)
    topic = template.topics.get(name="Derivatives")
    bad = {"quiz": {"questions": [{"question_id": "a", "type": "numeric"}, {"type": "essay"}]}}
    with pytest.raises(ApplicationError) as refused:
        class_services.template_topic_questions_set(topic=topic, document=bad)
    assert len(refused.value.field_errors["questions"]) >= 3
    topic.refresh_from_db()
    assert topic.questions == {}


def test_template_rules_prerequisite_cycles_and_weights_past_100_are_refused():
    teacher = make_teacher()
    template = make_template(teacher)
    limits = template.topics.get(name="Limits")
    derivatives = template.topics.get(name="Derivatives")
    with pytest.raises(ApplicationError) as cycle:
        template_services.template_topic_update(
            topic=limits, prerequisite_ids=[str(derivatives.pk)]
        )
    assert "cycle" in cycle.value.field_errors["prerequisite_ids"][0]
    with pytest.raises(ApplicationError) as weights:
        template_services.template_assessment_create(
            template=template, name="Extra", weight_percent=1, due_date=NOW
        )
    assert "weight_percent" in weights.value.field_errors


def test_a_template_whose_weights_do_not_total_100_cannot_be_published():
    teacher = make_teacher()
    template = make_template(teacher)
    midterm = template.assessments.get(name="Midterm")
    template_services.template_assessment_update(assessment=midterm, weight_percent=30)
    with pytest.raises(ApplicationError) as refused:
        class_services.classroom_publish(teacher=teacher, template=template)
    assert "100%" in refused.value.field_errors["template"][0]


def test_a_changed_date_or_weight_is_offered_and_flows_in_only_when_accepted():
    classroom = make_class()
    teacher = classroom.template.owner
    student = UserFactory()
    membership = class_services.class_join(
        student=student, join_code=classroom.join_code, has_consented=False
    )
    midterm = TemplateAssessment.objects.get(template=classroom.template, name="Midterm")
    final = TemplateAssessment.objects.get(template=classroom.template, name="Final")
    new_due = NOW + timedelta(days=12)
    # Weight moves from the final to the midterm: the accept must lower before it raises.
    class_services.template_assessment_change(teacher=teacher, assessment=final, weight_percent=50)
    class_services.template_assessment_change(
        teacher=teacher, assessment=midterm, weight_percent=50, due_date=new_due
    )
    assert (
        AuditEvent.objects.filter(user=teacher, action=AuditAction.CLASS_UPDATE_OFFERED).count()
        == 2
    )
    membership.refresh_from_db()
    offer = updates.update_offers([membership])[membership.pk]
    assert {c.assessment.name for c in offer.changed_assessments} == {"Midterm", "Final"}
    own = Assessment.objects.for_user(student)
    assert own.get(name="Midterm").weight_percent == 40  # nothing moves before accepting
    updates.class_update_accept(student=student, membership=membership)
    assert own.get(name="Midterm").weight_percent == 50
    assert own.get(name="Midterm").due_date == new_due
    assert own.get(name="Final").weight_percent == 50
    membership.refresh_from_db()
    classroom.template.refresh_from_db()
    assert membership.applied_version == classroom.template.version == 3
    assert updates.update_offers([membership]) == {}


def test_another_student_cannot_accept_an_update_for_someone_else():
    classroom = make_class()
    student, other = UserFactory(), UserFactory()
    membership = class_services.class_join(
        student=student, join_code=classroom.join_code, has_consented=True
    )
    with pytest.raises(ApplicationError):
        updates.class_update_accept(student=other, membership=membership)


def test_leaving_keeps_the_course_unlinked_and_ends_consent():
    classroom = make_class()
    student = UserFactory()
    membership = class_services.class_join(
        student=student, join_code=classroom.join_code, has_consented=True
    )
    course = membership.course
    template_services.class_membership_leave(membership=membership)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.LEFT
    assert membership.course is None and not membership.has_consented
    assert Course.objects.filter(pk=course.pk, user=student).exists()
    with pytest.raises(ApplicationError):
        template_services.class_membership_consent_set(membership=membership, has_consented=True)
    assert not ClassMembership.objects.visible_to_teacher().filter(pk=membership.pk).exists()


def test_publishing_is_audited_and_only_the_owner_may_publish():
    teacher = make_teacher()
    template = make_template(teacher)
    with pytest.raises(ApplicationError):
        class_services.classroom_publish(
            teacher=make_teacher("other@example.org"), template=template
        )
    classroom = class_services.classroom_publish(teacher=teacher, template=template)
    event = AuditEvent.objects.get(user=teacher, action=AuditAction.CLASS_PUBLISHED)
    assert event.detail["classroom_id"] == str(classroom.pk)
