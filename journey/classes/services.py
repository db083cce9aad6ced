"""Writes of the teachers-and-classes feature that need more than the courses layer.

Every teacher action on class data writes an audit event (accounts.audit), so a student can
learn who looked at their progress and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ApplicationError
from accounts.models import AuditAction
from courses import services as course_services
from courses.models import Assessment, Topic
from courses.services import templates as template_services
from courses.template_models import (
    ClassMembership,
    Classroom,
    CourseTemplate,
    MembershipStatus,
    TemplateAssessment,
    TemplateTopic,
)
from journey.demo import current_semester
from mastery import quiz_services


def template_topic_questions_set(*, topic: TemplateTopic, document: Any) -> TemplateTopic:
    """Validate a question bank with the same parser as a student's import, then store it; an
    invalid bank stores nothing and reports every problem."""
    quiz_services.question_document_clean(document)
    return template_services.template_topic_questions_store(topic=topic, document=document)


def classroom_publish(*, teacher, template: CourseTemplate, name: str = "") -> Classroom:
    if template.owner_id != teacher.pk:
        raise ApplicationError("Template not found.")
    with transaction.atomic():
        classroom = template_services.classroom_create(template=template, name=name)
        audit_record(
            action=AuditAction.CLASS_PUBLISHED,
            user=teacher,
            detail={"classroom_id": str(classroom.pk), "template_id": str(template.pk)},
        )
    return classroom


def template_assessment_change(
    *, teacher, assessment: TemplateAssessment, **fields: Any
) -> TemplateAssessment:
    """Change an assessment; when that offers an update to the classes' students, say so in
    the audit trail."""
    if assessment.template.owner_id != teacher.pk:
        raise ApplicationError("Assessment not found.")
    with transaction.atomic():
        version_before = assessment.template.version
        assessment = template_services.template_assessment_update(assessment=assessment, **fields)
        template = CourseTemplate.objects.get(pk=assessment.template_id)
        if template.version != version_before:
            audit_record(
                action=AuditAction.CLASS_UPDATE_OFFERED,
                user=teacher,
                detail={"template_id": str(template.pk), "version": template.version},
            )
    return assessment


def _course_from_template(*, student, template: CourseTemplate, now: datetime):
    """The student's own copy of the template: course, topics with prerequisites, assessments
    with their topic map, and each topic's question bank. Returns the course and the maps from
    template ids to the student's ids."""
    semester, _, _ = current_semester(template.start_date)
    course = course_services.course_create(
        user=student,
        name=template.name,
        code=template.code,
        semester=semester,
        start_date=template.start_date,
        end_date=template.end_date,
        instructor_name=template.instructor_name,
        description=template.description,
    )
    template_topics = list(template.topics.all())
    topics: dict[str, Topic] = {}
    for template_topic in template_topics:
        topics[str(template_topic.pk)] = course_services.topic_create(
            course=course,
            name=template_topic.name,
            description=template_topic.description,
            estimated_difficulty=template_topic.estimated_difficulty,
        )
    for template_topic in template_topics:
        if template_topic.prerequisite_ids:
            course_services.topic_update(
                topic=topics[str(template_topic.pk)],
                prerequisite_topic_ids=[
                    str(topics[p].pk) for p in template_topic.prerequisite_ids if p in topics
                ],
            )
    assessment_map = {}
    for template_assessment in template.assessments.prefetch_related("topics"):
        assessment = course_services.assessment_create(
            course=course,
            name=template_assessment.name,
            type=template_assessment.type,
            weight_percent=template_assessment.weight_percent,
            due_date=template_assessment.due_date,
            estimated_duration_min=template_assessment.estimated_duration_min,
            is_completed=template_assessment.due_date < now,
            topic_ids=[str(topics[str(t.pk)].pk) for t in template_assessment.topics.all()],
        )
        assessment_map[str(template_assessment.pk)] = str(assessment.pk)
    for template_topic in template_topics:
        if template_topic.question_count:
            quiz_services.question_bank_import(
                user=student,
                topic=topics[str(template_topic.pk)],
                document=template_topic.questions,
            )
    topic_map = {template_id: str(topic.pk) for template_id, topic in topics.items()}
    return course, assessment_map, topic_map


def class_join(
    *, student, join_code: str, has_consented: bool, now: datetime | None = None
) -> ClassMembership:
    """Join a class: the course arrives in the student's account, linked to the template, and
    the teacher sees the student's progress only if `has_consented`."""
    now = now or timezone.now()
    code = (join_code or "").strip().upper()
    classroom = (
        Classroom.objects.filter(join_code=code, is_open=True).select_related("template").first()
    )
    if classroom is None:
        message = "No open class has this code."
        raise ApplicationError(message, field_errors={"join_code": [message]})
    if classroom.template.owner_id == student.pk:
        message = "This is your own class."
        raise ApplicationError(message, field_errors={"join_code": [message]})
    with transaction.atomic():
        membership = (
            ClassMembership.objects.select_for_update()
            .filter(classroom=classroom, student=student)
            .first()
        )
        if membership is not None and membership.status == MembershipStatus.JOINED:
            message = "You are already in this class."
            raise ApplicationError(message, field_errors={"join_code": [message]})
        course, assessment_map, topic_map = _course_from_template(
            student=student, template=classroom.template, now=now
        )
        membership = membership or ClassMembership(classroom=classroom, student=student)
        membership.course = course
        membership.status = MembershipStatus.JOINED
        membership.has_consented = bool(has_consented)
        membership.consent_changed_at = now
        membership.joined_at = now
        membership.left_at = None
        membership.applied_version = classroom.template.version
        membership.assessment_map = assessment_map
        membership.topic_map = topic_map
        membership.save()
    return membership


def class_update_accept(*, student, membership: ClassMembership) -> ClassMembership:
    """Bring the student's assessments to the template's current dates and weights. The
    assessment service sends `assessment_changed`, so the plan follows on commit."""
    if membership.student_id != student.pk or membership.status != MembershipStatus.JOINED:
        raise ApplicationError("Class not found.")
    with transaction.atomic():
        membership = ClassMembership.objects.select_for_update().get(pk=membership.pk)
        template = membership.classroom.template
        current = {str(a.pk): a for a in template.assessments.all()}
        own = {
            str(a.pk): a
            for a in Assessment.objects.for_user(student).filter(
                pk__in=list(membership.assessment_map.values())
            )
        }
        changes = []
        for template_id, assessment_id in membership.assessment_map.items():
            source, target = current.get(template_id), own.get(assessment_id)
            if source is None or target is None:
                continue
            changes.append((source.weight_percent - target.weight_percent, source, target))
        # Lowered weights first: the course's total never passes 100% on the way.
        for _, source, target in sorted(changes, key=lambda change: change[0]):
            fields = {}
            if target.weight_percent != source.weight_percent:
                fields["weight_percent"] = source.weight_percent
            if target.due_date != source.due_date:
                fields["due_date"] = source.due_date
            if fields:
                course_services.assessment_update(assessment=target, **fields)
        membership.applied_version = template.version
        membership.save(update_fields=["applied_version"])
    return membership


def pending_update_changes(memberships: list[ClassMembership]) -> dict:
    """What accepting each membership's update would change, assessment by assessment: one
    query for the students' assessments, with the templates' assessments prefetched."""
    linked = [m for m in memberships if m.status == MembershipStatus.JOINED and m.assessment_map]
    own = {
        str(a.pk): a
        for a in Assessment.objects.filter(
            pk__in=[pk for m in linked for pk in m.assessment_map.values()],
            course__user_id__in={m.student_id for m in linked},
        )
    }
    changes: dict = {}
    for membership in linked:
        template_rows = {str(a.pk): a for a in membership.classroom.template.assessments.all()}
        for template_id, assessment_id in membership.assessment_map.items():
            source, target = template_rows.get(template_id), own.get(assessment_id)
            if source is None or target is None:
                continue
            if (source.weight_percent, source.due_date) != (target.weight_percent, target.due_date):
                changes.setdefault(membership.pk, []).append(
                    {"assessment": target, "template_assessment": source}
                )
    return changes
