"""Template resources, deletions and the update offer: what reaches a student who already
joined, only after they accept it, and what of theirs is never removed."""

from datetime import timedelta

import pytest
import time_machine

from accounts.errors import ApplicationError
from accounts.models import AuditAction, AuditEvent
from accounts.tests.factories import UserFactory
from courses.models import Assessment, Topic
from courses.services import templates as template_services
from courses.template_models import (
    ClassMembership,
    Classroom,
    CourseTemplate,
    MembershipStatus,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
)
from journey import exports
from journey.classes import services as class_services
from journey.classes import updates
from journey.tests.class_factories import (
    NOW,
    make_class,
    make_teacher,
    make_template,
    question_document,
)
from mastery.models import PerformanceRecord
from mastery.quiz_models import Question
from mastery.services import mastery_recompute_topics, performance_record_create

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

READING = "https://openstax.org/books/calculus-volume-1/pages/2-2-the-limit-of-a-function"


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


def _offer(membership):
    membership = (
        ClassMembership.objects.select_related("classroom__template", "course")
        .prefetch_related(
            "classroom__template__topics__resources",
            "classroom__template__assessments__topics",
        )
        .get(pk=membership.pk)
    )
    return updates.update_offers([membership]).get(membership.pk)


def _own_topic(student, name) -> Topic:
    return Topic.objects.for_user(student).get(name=name)


def _grade(student, membership, assessment_name="Midterm"):
    assessment = Assessment.objects.for_user(student).get(name=assessment_name)
    performance_record_create(
        user=student,
        course=membership.course,
        assessment=assessment,
        score=70,
        time_spent_min=30,
        completed_at=NOW - timedelta(days=1),
    )
    mastery_recompute_topics(user=student, topic_ids=list(membership.topic_map.values()))
    return assessment


# --- resources ---------------------------------------------------------------------------------


def test_joining_copies_the_template_resources_with_titles_and_notes():
    teacher = make_teacher()
    template = make_template(teacher)
    derivatives = template.topics.get(name="Derivatives")
    class_services.template_resource_add(
        teacher=teacher,
        topic=derivatives,
        title="OpenStax 2.2",
        type="reading",
        url=READING,
        notes="Read before the lecture.",
    )
    classroom = class_services.classroom_publish(teacher=teacher, template=template)
    student, membership = _join(classroom)
    assert _own_topic(student, "Derivatives").resource_links == [
        {
            "type": "reading",
            "url": READING,
            "title": "OpenStax 2.2",
            "notes": "Read before the lecture.",
        }
    ]
    assert [link["title"] for link in _own_topic(student, "Limits").resource_links] == [
        "Limits, the reading"
    ]
    assert len(membership.resource_map) == 2
    assert _offer(membership) is None


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://files.example.org/notes.pdf", "https://", "notes only"],
)
def test_a_resource_needs_an_http_address_and_nothing_is_written_otherwise(url):
    teacher = make_teacher()
    topic = make_template(teacher).topics.get(name="Limits")
    with pytest.raises(ApplicationError) as raised:
        class_services.template_resource_add(
            teacher=teacher, topic=topic, title="Bad", type="reading", url=url
        )
    assert "url" in raised.value.field_errors
    assert not TemplateResource.objects.filter(title="Bad").exists()


def test_two_resources_of_a_topic_never_share_a_url():
    teacher = make_teacher()
    topic = make_template(teacher).topics.get(name="Limits")
    class_services.template_resource_add(
        teacher=teacher, topic=topic, title="A", type="reading", url=READING
    )
    with pytest.raises(ApplicationError) as raised:
        class_services.template_resource_add(
            teacher=teacher, topic=topic, title="B", type="video", url=READING
        )
    assert "url" in raised.value.field_errors


def test_resource_changes_are_offered_and_leave_the_students_own_links_alone():
    teacher = make_teacher()
    template = make_template(teacher)
    limits = template.topics.get(name="Limits")
    from_the_start = TemplateResource.objects.get(topic=limits).as_link()
    kept = class_services.template_resource_add(
        teacher=teacher, topic=limits, title="Reading", type="reading", url=READING
    )
    dropped = class_services.template_resource_add(
        teacher=teacher, topic=limits, title="Old video", type="video", url="https://v.example/1"
    )
    classroom = class_services.classroom_publish(teacher=teacher, template=template)
    student, membership = _join(classroom)
    own = _own_topic(student, "Limits")
    mine = {"type": "exercise", "url": "https://mine.example/drill"}
    own.resource_links = [*own.resource_links, mine]
    own.save()

    class_services.template_resource_change(
        teacher=teacher, resource=kept, title="Reading 2.2", notes="Skip 2.2.4."
    )
    class_services.template_resource_remove(teacher=teacher, resource=dropped)
    derivatives = template.topics.get(name="Derivatives")
    class_services.template_resource_add(
        teacher=teacher, topic=derivatives, title="Rules", type="reading", url="https://r.example"
    )
    offer = _offer(membership)
    assert [c.resource.title for c in offer.changed_resources] == ["Reading 2.2"]
    assert [r.link["url"] for r in offer.removed_resources] == ["https://v.example/1"]
    assert [(c.resource.title, c.topic.name) for c in offer.added_resources] == [
        ("Rules", "Derivatives")
    ]
    assert len(_own_topic(student, "Limits").resource_links) == 4  # nothing before accepting

    updates.class_update_accept(student=student, membership=membership)
    assert _own_topic(student, "Limits").resource_links == [
        from_the_start,
        {"type": "reading", "url": READING, "title": "Reading 2.2", "notes": "Skip 2.2.4."},
        mine,
    ]
    assert _own_topic(student, "Derivatives").resource_links == [
        {"type": "reading", "url": "https://r.example", "title": "Rules"}
    ]
    assert _offer(membership) is None
    changes = AuditEvent.objects.filter(user=teacher, action=AuditAction.CLASS_UPDATE_OFFERED)
    assert sorted(event.detail["change"] for event in changes) == [
        "resource_added",
        "resource_changed",
        "resource_removed",
    ]


# --- topics and assessments added after publishing ---------------------------------------------


def test_topics_and_assessments_added_after_joining_arrive_only_when_accepted():
    classroom = make_class()
    teacher, template = classroom.template.owner, classroom.template
    student, membership = _join(classroom)
    limits = template.topics.get(name="Limits")
    series = class_services.template_topic_add(
        teacher=teacher, template=template, name="Series", prerequisite_ids=[str(limits.pk)]
    )
    class_services.template_topic_questions_set(topic=series, document=question_document("ser"))
    class_services.template_resource_add(
        teacher=teacher, topic=series, title="Series notes", type="reading", url="https://s.example"
    )
    final = template.assessments.get(name="Final")
    class_services.template_assessment_change(teacher=teacher, assessment=final, weight_percent=45)
    class_services.template_assessment_add(
        teacher=teacher,
        template=template,
        name="Series quiz",
        type="quiz",
        weight_percent=15,
        due_date=NOW + timedelta(days=20),
        topic_ids=[str(series.pk), str(limits.pk)],
    )
    offer = _offer(membership)
    assert [t.name for t in offer.added_topics] == ["Series"]
    assert [a.name for a in offer.added_assessments] == ["Series quiz"]
    assert [c.assessment.name for c in offer.changed_assessments] == ["Final"]
    assert not Topic.objects.for_user(student).filter(name="Series").exists()

    updates.class_update_accept(student=student, membership=membership)
    own_series = _own_topic(student, "Series")
    assert own_series.prerequisite_topic_ids == [str(_own_topic(student, "Limits").pk)]
    assert own_series.resource_links[0]["title"] == "Series notes"
    assert Question.objects.filter(topic=own_series).count() == 3
    quiz = Assessment.objects.for_user(student).get(name="Series quiz")
    assert quiz.weight_percent == 15
    assert {t.name for t in quiz.topics.all()} == {"Series", "Limits"}
    weights = dict(Assessment.objects.for_user(student).values_list("name", "weight_percent"))
    assert weights == {"Midterm": 40, "Final": 45, "Series quiz": 15}
    membership.refresh_from_db()
    assert membership.topic_map[str(series.pk)] == str(own_series.pk)
    assert membership.applied_version == CourseTemplate.objects.get(pk=template.pk).version
    assert _offer(membership) is None


def test_accepting_is_all_or_nothing():
    classroom = make_class()
    teacher, template = classroom.template.owner, classroom.template
    student, membership = _join(classroom)
    class_services.template_topic_add(teacher=teacher, template=template, name="Series")
    final = template.assessments.get(name="Final")
    class_services.template_assessment_change(teacher=teacher, assessment=final, weight_percent=50)
    class_services.template_assessment_add(
        teacher=teacher,
        template=template,
        name="Quiz",
        type="quiz",
        weight_percent=10,
        due_date=NOW + timedelta(days=5),
    )
    # The student's own assessment takes the room the class's new quiz needs.
    Assessment.objects.create(
        course=membership.course,
        name="My project",
        type="project",
        weight_percent=15,
        due_date=NOW + timedelta(days=30),
    )
    with pytest.raises(ApplicationError):
        updates.class_update_accept(student=student, membership=membership)
    assert not Topic.objects.for_user(student).filter(name="Series").exists()
    assert Assessment.objects.for_user(student).get(name="Final").weight_percent == 60
    membership.refresh_from_db()
    assert membership.applied_version == 1


# --- deletions ---------------------------------------------------------------------------------


def test_a_deleted_assessment_leaves_the_students_course_only_on_acceptance():
    classroom = make_class()
    teacher = classroom.template.owner
    student, membership = _join(classroom)
    midterm = TemplateAssessment.objects.get(template=classroom.template, name="Midterm")
    class_services.template_assessment_remove(teacher=teacher, assessment=midterm)
    assert Assessment.objects.for_user(student).filter(name="Midterm").exists()
    offer = _offer(membership)
    assert [(r.assessment.name, r.has_grades) for r in offer.removed_assessments] == [
        ("Midterm", False)
    ]
    updates.class_update_accept(student=student, membership=membership)
    assert not Assessment.objects.for_user(student).filter(name="Midterm").exists()
    membership.refresh_from_db()
    assert str(midterm.pk) not in membership.assessment_map
    event = AuditEvent.objects.get(user=teacher, action=AuditAction.CLASS_UPDATE_OFFERED)
    assert event.detail["change"] == "assessment_removed" and event.detail["name"] == "Midterm"


def test_a_deleted_assessment_with_the_students_grades_keeps_them_set_aside():
    classroom = make_class()
    teacher = classroom.template.owner
    student, membership = _join(classroom)
    own_midterm = _grade(student, membership)
    midterm = TemplateAssessment.objects.get(template=classroom.template, name="Midterm")
    class_services.template_assessment_remove(teacher=teacher, assessment=midterm)
    assert _offer(membership).removed_assessments[0].has_grades
    updates.class_update_accept(student=student, membership=membership)
    own_midterm.refresh_from_db()
    assert own_midterm.removed_in_source_at == NOW
    assert own_midterm.weight_percent == 0
    assert own_midterm.source_label == "the class"
    assert PerformanceRecord.objects.filter(assessment=own_midterm).count() == 1
    assert not Assessment.objects.for_user(student).upcoming(NOW).filter(pk=own_midterm.pk)


def test_a_deleted_topic_is_removed_on_acceptance_unless_it_holds_evidence():
    classroom = make_class()
    teacher, template = classroom.template.owner, classroom.template
    with_evidence, graded_membership = _join(classroom)
    _grade(with_evidence, graded_membership)  # the midterm covers Limits
    without, membership = _join(classroom)
    limits = template.topics.get(name="Limits")
    derivatives = template.topics.get(name="Derivatives")
    limits_id = limits.pk
    class_services.template_topic_remove(teacher=teacher, topic=limits)
    derivatives.refresh_from_db()
    assert derivatives.prerequisite_ids == []
    assert not TemplateAssessment.objects.filter(topics=limits_id).exists()
    assert _own_topic(without, "Limits")  # untouched before accepting

    assert [r.has_evidence for r in _offer(graded_membership).removed_topics] == [True]
    assert [r.has_evidence for r in _offer(membership).removed_topics] == [False]
    updates.class_update_accept(student=without, membership=membership)
    updates.class_update_accept(student=with_evidence, membership=graded_membership)
    assert not Topic.objects.for_user(without).filter(name="Limits").exists()
    assert _own_topic(without, "Derivatives").prerequisite_topic_ids == []
    kept = _own_topic(with_evidence, "Limits")
    graded_membership.refresh_from_db()
    assert str(kept.pk) not in graded_membership.topic_map.values()


def test_deleting_a_never_published_template_removes_it_whole():
    teacher = make_teacher()
    template = make_template(teacher)
    class_services.template_remove(teacher=teacher, template=template)
    assert not CourseTemplate.objects.filter(pk=template.pk).exists()
    assert not TemplateTopic.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CLASS_TEMPLATE_DELETED).exists()


def test_deleting_a_published_template_closes_its_class_and_unlinks_the_students():
    classroom = make_class()
    teacher, template = classroom.template.owner, classroom.template
    student, membership = _join(classroom, consent=True)
    course_id = membership.course_id
    count = class_services.template_remove(teacher=teacher, template=template)
    assert count == 1
    assert not CourseTemplate.objects.for_user(teacher).exists()
    assert not Classroom.objects.for_teacher(teacher).exists()
    assert not Classroom.objects.get(pk=classroom.pk).is_open
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.CLOSED
    assert not membership.has_consented
    assert membership.course_id == course_id
    assert Topic.objects.for_user(student).count() == 2  # the course is the student's
    assert Assessment.objects.for_user(student).count() == 2
    assert _offer(membership) is None
    with pytest.raises(ApplicationError):
        updates.class_update_accept(student=student, membership=membership)
    with pytest.raises(ApplicationError):
        class_services.class_join(
            student=UserFactory(), join_code=classroom.join_code, has_consented=False
        )
    event = AuditEvent.objects.get(user=teacher, action=AuditAction.CLASS_TEMPLATE_DELETED)
    assert event.detail["student_count"] == 1
    assert event.detail["classroom_ids"] == [str(classroom.pk)]


def test_another_teacher_cannot_change_or_delete_a_template():
    classroom = make_class()
    other = make_teacher("other@example.org")
    template = classroom.template
    topic = template.topics.get(name="Limits")
    with pytest.raises(ApplicationError):
        class_services.template_remove(teacher=other, template=template)
    with pytest.raises(ApplicationError):
        class_services.template_topic_remove(teacher=other, topic=topic)
    with pytest.raises(ApplicationError):
        class_services.template_resource_add(
            teacher=other, topic=topic, title="X", type="video", url="https://x.example"
        )
    assert TemplateTopic.objects.filter(pk=topic.pk).exists()
    assert CourseTemplate.objects.get(pk=template.pk).deleted_at is None


def test_changes_before_publishing_offer_nothing():
    teacher = make_teacher()
    template = make_template(teacher)
    topic = template.topics.get(name="Limits")
    class_services.template_resource_add(
        teacher=teacher, topic=topic, title="R", type="video", url="https://v.example"
    )
    template_services.template_topic_create(template=template, name="Series")
    template.refresh_from_db()
    assert template.version == 1
    assert not AuditEvent.objects.filter(action=AuditAction.CLASS_UPDATE_OFFERED).exists()


# --- the export --------------------------------------------------------------------------------


def test_the_export_lists_class_memberships_with_the_consent_history():
    classroom = make_class()
    student, membership = _join(classroom, consent=True)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        template_services.class_membership_consent_set(membership=membership, has_consented=False)
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        template_services.class_membership_consent_set(membership=membership, has_consented=True)
    payload = exports.user_data_export(user=student)
    [entry] = payload["class_memberships"]
    assert entry["class_name"] == classroom.name
    assert entry["teacher"] == "Grace Teacher"
    assert entry["joined_at"] == NOW
    assert entry["status"] == "joined" and entry["share_progress"] is True
    assert [(c["share_progress"], c["changed_at"]) for c in entry["consent_history"]] == [
        (True, NOW),
        (False, NOW + timedelta(days=1)),
        (True, NOW + timedelta(days=2)),
    ]
    other = exports.user_data_export(user=UserFactory())
    assert other["class_memberships"] == []
