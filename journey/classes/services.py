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
from courses.models import Topic
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


def _audit_update_offered(*, teacher, template_id, change: str, name: str) -> None:
    """A change the classes' students will be offered: who made it, on which template, what."""
    version = CourseTemplate.objects.filter(pk=template_id).values_list("version", flat=True)
    audit_record(
        action=AuditAction.CLASS_UPDATE_OFFERED,
        user=teacher,
        detail={
            "template_id": str(template_id),
            "version": version.first(),
            "change": change,
            "name": name,
        },
    )


def _check_owner(teacher, template: CourseTemplate, what: str) -> None:
    if template.owner_id != teacher.pk or template.deleted_at is not None:
        raise ApplicationError(f"{what} not found.")


def template_topic_add(*, teacher, template: CourseTemplate, **fields: Any) -> TemplateTopic:
    _check_owner(teacher, template, "Template")
    with transaction.atomic():
        topic = template_services.template_topic_create(template=template, **fields)
        if template.classrooms.exists():
            _audit_update_offered(
                teacher=teacher, template_id=template.pk, change="topic_added", name=topic.name
            )
    return topic


def template_assessment_add(
    *, teacher, template: CourseTemplate, **fields: Any
) -> TemplateAssessment:
    _check_owner(teacher, template, "Template")
    with transaction.atomic():
        assessment = template_services.template_assessment_create(template=template, **fields)
        if template.classrooms.exists():
            _audit_update_offered(
                teacher=teacher,
                template_id=template.pk,
                change="assessment_added",
                name=assessment.name,
            )
    return assessment


def template_topic_remove(*, teacher, topic: TemplateTopic) -> None:
    _check_owner(teacher, topic.template, "Topic")
    with transaction.atomic():
        if template_services.template_topic_delete(topic=topic):
            _audit_update_offered(
                teacher=teacher,
                template_id=topic.template_id,
                change="topic_removed",
                name=topic.name,
            )


def template_assessment_remove(*, teacher, assessment: TemplateAssessment) -> None:
    _check_owner(teacher, assessment.template, "Assessment")
    with transaction.atomic():
        if template_services.template_assessment_delete(assessment=assessment):
            _audit_update_offered(
                teacher=teacher,
                template_id=assessment.template_id,
                change="assessment_removed",
                name=assessment.name,
            )


def template_resource_add(*, teacher, topic: TemplateTopic, **fields: Any) -> TemplateResource:
    _check_owner(teacher, topic.template, "Topic")
    with transaction.atomic():
        resource = template_services.template_resource_create(topic=topic, **fields)
        if topic.template.classrooms.exists():
            _audit_update_offered(
                teacher=teacher,
                template_id=topic.template_id,
                change="resource_added",
                name=resource.title,
            )
    return resource


def template_resource_change(
    *, teacher, resource: TemplateResource, **fields: Any
) -> TemplateResource:
    template = resource.topic.template
    _check_owner(teacher, template, "Resource")
    with transaction.atomic():
        version_before = CourseTemplate.objects.get(pk=template.pk).version
        resource = template_services.template_resource_update(resource=resource, **fields)
        if CourseTemplate.objects.get(pk=template.pk).version != version_before:
            _audit_update_offered(
                teacher=teacher,
                template_id=template.pk,
                change="resource_changed",
                name=resource.title,
            )
    return resource


def template_resource_remove(*, teacher, resource: TemplateResource) -> None:
    template = resource.topic.template
    _check_owner(teacher, template, "Resource")
    with transaction.atomic():
        if template_services.template_resource_delete(resource=resource):
            _audit_update_offered(
                teacher=teacher,
                template_id=template.pk,
                change="resource_removed",
                name=resource.title,
            )


def template_remove(*, teacher, template: CourseTemplate) -> int:
    """Delete a template (see `course_template_delete`); when it had classes, the closing of
    the classes and of every student's link is in the audit trail."""
    _check_owner(teacher, template, "Template")
    with transaction.atomic():
        classroom_ids = [str(pk) for pk in template.classrooms.values_list("pk", flat=True)]
        student_count = template_services.course_template_delete(template=template)
        if classroom_ids:
            audit_record(
                action=AuditAction.CLASS_TEMPLATE_DELETED,
                user=teacher,
                detail={
                    "template_id": str(template.pk),
                    "classroom_ids": classroom_ids,
                    "student_count": student_count,
                },
            )
    return student_count


def assessment_from_template(*, course, template_assessment, topic_ids: list[str], now: datetime):
    """The student's copy of a template's assessment, on joining or when an update adds it; one
    already past due arrives completed, so it is never planned for."""
    return course_services.assessment_create(
        course=course,
        name=template_assessment.name,
        type=template_assessment.type,
        weight_percent=template_assessment.weight_percent,
        due_date=template_assessment.due_date,
        estimated_duration_min=template_assessment.estimated_duration_min,
        is_completed=template_assessment.due_date < now,
        topic_ids=topic_ids,
    )


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
    template_topics = list(template.topics.prefetch_related("resources"))
    topics: dict[str, Topic] = {}
    for template_topic in template_topics:
        topics[str(template_topic.pk)] = course_services.topic_create(
            course=course,
            name=template_topic.name,
            description=template_topic.description,
            estimated_difficulty=template_topic.estimated_difficulty,
            resource_links=[resource.as_link() for resource in template_topic.resources.all()],
        )
    resource_map = {
        str(resource.pk): {"topic": str(template_topic.pk), "url": resource.url}
        for template_topic in template_topics
        for resource in template_topic.resources.all()
    }
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
        assessment = assessment_from_template(
            course=course,
            template_assessment=template_assessment,
            topic_ids=[str(topics[str(t.pk)].pk) for t in template_assessment.topics.all()],
            now=now,
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
    return course, assessment_map, topic_map, resource_map


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
        course, assessment_map, topic_map, resource_map = _course_from_template(
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
        membership.resource_map = resource_map
        membership.save()
    return membership
