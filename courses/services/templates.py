"""Writes to a teacher's course templates and to the classes they are published as.

The template's rules mirror a student's course (prerequisites inside the template and acyclic,
assessment weights never past 100%), and publishing asks for the whole: weights that total
100%. A change after publishing that reaches the students' courses (a topic, assessment or
resource added, changed or deleted) raises the template's version, which offers the change to
every linked student (journey.classes.updates computes the offer and accepts it). Nothing here
deletes a student's row: deleting a published template closes its classes instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.errors import ApplicationError
from courses.models import WEIGHTS_TOLERANCE, Assessment, AssessmentType, Difficulty
from courses.services.common import (
    _lock_course,
    _normalize_topic_ids,
    _send_assessment_changed,
    _unknown_fields,
    _validate_fields,
)
from courses.services.topics import _find_cycle
from courses.template_models import (
    ClassMembership,
    Classroom,
    CourseTemplate,
    MembershipStatus,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
)
from courses.validation import course_dates_errors, resource_links_errors

TEMPLATE_FIELDS = ("name", "code", "instructor_name", "description", "start_date", "end_date")
TEMPLATE_TOPIC_FIELDS = ("name", "description", "estimated_difficulty", "prerequisite_ids")
TEMPLATE_ASSESSMENT_FIELDS = (
    "name",
    "type",
    "weight_percent",
    "due_date",
    "estimated_duration_min",
    "topic_ids",
)
TEMPLATE_RESOURCE_FIELDS = ("title", "type", "url", "notes")
# A change of these reaches students' plans, so it is offered to them as an update.
VERSIONED_ASSESSMENT_FIELDS = frozenset({"weight_percent", "due_date"})
# The external_uid prefix of a student's assessment whose class assessment was deleted and
# which the student kept because it holds their grades (`Assessment.source_label`).
CLASS_SOURCE_PREFIX = "class"
FULL_WEIGHT_PERCENT = 100.0


def _check_template(template: CourseTemplate) -> None:
    _validate_fields(template, exclude=["owner", "version"])
    errors = course_dates_errors(template.start_date, template.end_date)
    if errors:
        raise ApplicationError("Invalid dates.", field_errors=errors)


def _lock_template(template: CourseTemplate) -> CourseTemplate:
    return CourseTemplate.objects.select_for_update().get(pk=template.pk)


def _offer_update(template: CourseTemplate) -> bool:
    """A change that reaches the students' courses (a topic, an assessment or a resource
    added, changed or removed) raises the version of a published template, so every linked
    student is offered it; before publishing nobody has a copy to update. Call with the
    template locked. Returns whether an update is now offered."""
    if not template.classrooms.exists():
        return False
    template.version += 1
    template.save(update_fields=["version", "updated_at"])
    return True


@transaction.atomic
def course_template_create(
    *,
    owner,
    name: str,
    code: str,
    start_date: date,
    end_date: date,
    instructor_name: str = "",
    description: str = "",
) -> CourseTemplate:
    template = CourseTemplate(
        owner=owner,
        name=name.strip(),
        code=code.strip(),
        start_date=start_date,
        end_date=end_date,
        instructor_name=instructor_name or "",
        description=description or "",
    )
    _check_template(template)
    template.save()
    return template


@transaction.atomic
def course_template_update(*, template: CourseTemplate, **fields: Any) -> CourseTemplate:
    _unknown_fields(fields, TEMPLATE_FIELDS)
    template = _lock_template(template)
    for field, value in fields.items():
        setattr(template, field, value.strip() if isinstance(value, str) else value)
    _check_template(template)
    template.save()
    return template


def _check_template_prerequisites(topic: TemplateTopic) -> None:
    field = "prerequisite_ids"
    if not isinstance(topic.prerequisite_ids, list | tuple):
        raise ApplicationError("Prerequisites must be a list.", field_errors={field: ["A list."]})
    prerequisite_ids = _normalize_topic_ids(topic.prerequisite_ids, field=field)
    topic.prerequisite_ids = prerequisite_ids
    siblings = {
        str(topic_id): (name, prerequisites or [])
        for topic_id, name, prerequisites in TemplateTopic.objects.filter(
            template_id=topic.template_id
        ).values_list("id", "name", "prerequisite_ids")
    }
    this_id = str(topic.pk)
    for prerequisite_id in prerequisite_ids:
        if prerequisite_id == this_id:
            message = f"A topic cannot be its own prerequisite ({topic.name})."
            raise ApplicationError(message, field_errors={field: [message]})
        if prerequisite_id not in siblings:
            message = f"{prerequisite_id} is not a topic of this template."
            raise ApplicationError(message, field_errors={field: [message]})
    graph = {topic_id: list(prereqs) for topic_id, (_, prereqs) in siblings.items()}
    graph[this_id] = prerequisite_ids
    cycle = _find_cycle(graph, this_id)
    if cycle:
        names = {topic_id: name for topic_id, (name, _) in siblings.items()}
        names[this_id] = topic.name
        described = " → ".join(names.get(node, node) for node in cycle)
        message = f"These prerequisites would form a cycle: {described}."
        raise ApplicationError(message, field_errors={field: [message]})


def _check_template_topic(topic: TemplateTopic) -> None:
    _validate_fields(topic, exclude=["template", "prerequisite_ids", "questions"])
    duplicate = (
        TemplateTopic.objects.filter(template_id=topic.template_id, name=topic.name)
        .exclude(pk=topic.pk)
        .exists()
    )
    if duplicate:
        message = f"The template already has a topic named “{topic.name}”."
        raise ApplicationError(message, field_errors={"name": [message]})
    _check_template_prerequisites(topic)


@transaction.atomic
def template_topic_create(
    *,
    template: CourseTemplate,
    name: str,
    description: str = "",
    estimated_difficulty: str = Difficulty.MEDIUM,
    prerequisite_ids: Sequence = (),
) -> TemplateTopic:
    template = _lock_template(template)
    last = template.topics.order_by("-order_index").values_list("order_index", flat=True).first()
    topic = TemplateTopic(
        template=template,
        name=name.strip(),
        description=description or "",
        estimated_difficulty=estimated_difficulty,
        prerequisite_ids=list(prerequisite_ids or []),
        order_index=0 if last is None else last + 1,
    )
    _check_template_topic(topic)
    topic.save()
    _offer_update(template)
    return topic


@transaction.atomic
def template_topic_update(*, topic: TemplateTopic, **fields: Any) -> TemplateTopic:
    _unknown_fields(fields, TEMPLATE_TOPIC_FIELDS)
    _lock_template(topic.template)
    for field, value in fields.items():
        if isinstance(value, tuple):
            value = list(value)
        setattr(topic, field, value.strip() if isinstance(value, str) else value)
    _check_template_topic(topic)
    topic.save()
    return topic


def template_topic_questions_store(*, topic: TemplateTopic, document: dict) -> TemplateTopic:
    """Store an already validated question document (journey.classes validates it with the
    mastery parser, which this layer cannot import)."""
    topic.questions = document
    topic.save(update_fields=["questions"])
    return topic


def _check_template_weights(
    *, template: CourseTemplate, weight_percent: float, excluding=None
) -> None:
    others = TemplateAssessment.objects.filter(template=template)
    if excluding is not None:
        others = others.exclude(pk=excluding)
    current = others.aggregate(total=Sum("weight_percent"))["total"] or 0.0
    total = current + float(weight_percent)
    if total > FULL_WEIGHT_PERCENT + WEIGHTS_TOLERANCE:
        message = (
            f"The assessment weights would total {total:g}%; they may not exceed 100% "
            f"({current:g}% is already used)."
        )
        raise ApplicationError(message, field_errors={"weight_percent": [message]})


def _template_topics(template: CourseTemplate, topic_ids: Sequence) -> list[TemplateTopic]:
    ids = _normalize_topic_ids(topic_ids, field="topic_ids")
    topics = list(TemplateTopic.objects.filter(template=template, pk__in=ids))
    if len(topics) != len(set(ids)):
        message = "Every topic must be a topic of this template."
        raise ApplicationError(message, field_errors={"topic_ids": [message]})
    return topics


@transaction.atomic
def template_assessment_create(
    *,
    template: CourseTemplate,
    name: str,
    type: str = AssessmentType.QUIZ,
    weight_percent: float,
    due_date: datetime,
    estimated_duration_min: int = 60,
    topic_ids: Sequence = (),
) -> TemplateAssessment:
    template = _lock_template(template)
    assessment = TemplateAssessment(
        template=template,
        name=name.strip(),
        type=type,
        weight_percent=weight_percent,
        due_date=due_date,
        estimated_duration_min=estimated_duration_min,
    )
    _validate_fields(assessment, exclude=["template"])
    _check_template_weights(template=template, weight_percent=weight_percent)
    topics = _template_topics(template, topic_ids)
    assessment.save()
    assessment.topics.set(topics)
    _offer_update(template)
    return assessment


@transaction.atomic
def template_assessment_update(
    *, assessment: TemplateAssessment, **fields: Any
) -> TemplateAssessment:
    """Update an assessment; a new date or weight on a published template raises its version,
    so linked students are offered the change."""
    _unknown_fields(fields, TEMPLATE_ASSESSMENT_FIELDS)
    template = _lock_template(assessment.template)
    topic_ids = fields.pop("topic_ids", None)
    changed = {
        field
        for field, value in fields.items()
        if getattr(assessment, field) != value and field in VERSIONED_ASSESSMENT_FIELDS
    }
    for field, value in fields.items():
        setattr(assessment, field, value.strip() if isinstance(value, str) else value)
    _validate_fields(assessment, exclude=["template"])
    _check_template_weights(
        template=template, weight_percent=assessment.weight_percent, excluding=assessment.pk
    )
    assessment.save()
    if topic_ids is not None:
        assessment.topics.set(_template_topics(template, topic_ids))
    if changed:
        _offer_update(template)
    return assessment


@transaction.atomic
def template_assessment_delete(*, assessment: TemplateAssessment) -> bool:
    """Delete the teacher's assessment. The students' copies stay until each student accepts
    the update that removes them. Returns whether that update is offered."""
    template = _lock_template(assessment.template)
    assessment.delete()
    return _offer_update(template)


@transaction.atomic
def template_topic_delete(*, topic: TemplateTopic) -> bool:
    """Delete the teacher's topic with its resources, and take it out of the other topics'
    prerequisites and the assessments' topics. Students keep their copy until they accept."""
    template = _lock_template(topic.template)
    topic_id = str(topic.pk)
    for dependant in TemplateTopic.objects.filter(template=template).exclude(pk=topic.pk):
        if topic_id in (dependant.prerequisite_ids or []):
            dependant.prerequisite_ids = [p for p in dependant.prerequisite_ids if p != topic_id]
            dependant.save(update_fields=["prerequisite_ids"])
    topic.delete()
    return _offer_update(template)


def template_topic_questions_clear(*, topic: TemplateTopic) -> TemplateTopic:
    """Empty the topic's question bank; the students' imported questions are theirs."""
    return template_topic_questions_store(topic=topic, document={})


def _check_resource(resource: TemplateResource) -> None:
    _validate_fields(resource, exclude=["topic"])
    # The same rule as a student's resource links: only http(s) addresses with a host.
    if resource_links_errors([{"type": resource.type, "url": resource.url}]):
        message = "The URL must be an http(s) address, such as https://example.org/reading."
        raise ApplicationError(message, field_errors={"url": [message]})
    duplicate = (
        TemplateResource.objects.filter(topic_id=resource.topic_id, url=resource.url)
        .exclude(pk=resource.pk)
        .exists()
    )
    if duplicate:
        # The student's copy is found by its URL, so two resources of a topic never share one.
        message = "This topic already has a resource with this URL."
        raise ApplicationError(message, field_errors={"url": [message]})


@transaction.atomic
def template_resource_create(
    *, topic: TemplateTopic, title: str, type: str, url: str, notes: str = ""
) -> TemplateResource:
    template = _lock_template(topic.template)
    last = topic.resources.order_by("-order_index").values_list("order_index", flat=True).first()
    resource = TemplateResource(
        topic=topic,
        title=(title or "").strip(),
        type=type,
        url=(url or "").strip(),
        notes=(notes or "").strip(),
        order_index=0 if last is None else last + 1,
    )
    _check_resource(resource)
    resource.save()
    _offer_update(template)
    return resource


@transaction.atomic
def template_resource_update(*, resource: TemplateResource, **fields: Any) -> TemplateResource:
    _unknown_fields(fields, TEMPLATE_RESOURCE_FIELDS)
    template = _lock_template(resource.topic.template)
    changed = False
    for field, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        changed = changed or getattr(resource, field) != value
        setattr(resource, field, value)
    _check_resource(resource)
    resource.save()
    if changed:
        _offer_update(template)
    return resource


@transaction.atomic
def template_resource_delete(*, resource: TemplateResource) -> bool:
    template = _lock_template(resource.topic.template)
    resource.delete()
    return _offer_update(template)


@transaction.atomic
def course_template_delete(*, template: CourseTemplate) -> int:
    """Delete a template. Never published, it goes with everything in it. Published, it is
    kept out of sight instead: its classes close to new joins and every joined student's
    membership is closed (sharing ends, no more updates); the course stays theirs, and their
    course page says the class ended. Returns how many students were in its classes."""
    template = _lock_template(template)
    if not template.classrooms.exists():
        template.delete()
        return 0
    now = timezone.now()
    template.deleted_at = now
    template.save(update_fields=["deleted_at", "updated_at"])
    Classroom.objects.filter(template=template).update(is_open=False)
    memberships = list(
        ClassMembership.objects.select_for_update().filter(
            classroom__template=template, status=MembershipStatus.JOINED
        )
    )
    for membership in memberships:
        membership.status = MembershipStatus.CLOSED
        membership.left_at = now
        if membership.has_consented:
            membership.has_consented = False
            membership.consent_changed_at = now
        # Saved one by one so each student's membership history records the closing.
        membership.save()
    return len(memberships)


@transaction.atomic
def class_assessment_set_aside(*, assessment: Assessment, template_assessment_id: str) -> None:
    """Keep a student's copy of an assessment the teacher deleted, because it holds the
    student's grades: as an LMS sync keeps an assessment the LMS dropped, it is flagged
    `removed_in_source_at`, no longer planned or weighted, and its grades and evidence stay."""
    course = _lock_course(assessment.course)
    assessment.removed_in_source_at = timezone.now()
    assessment.weight_percent = 0
    if not assessment.external_uid:
        assessment.external_uid = f"{CLASS_SOURCE_PREFIX}:{template_assessment_id}"
    assessment.save(
        update_fields=["removed_in_source_at", "weight_percent", "external_uid", "updated_at"]
    )
    _send_assessment_changed(user_id=course.user_id, assessment_ids=[assessment.pk])


def template_publish_problems(template: CourseTemplate) -> list[str]:
    """What stops a template from being published, in words for the teacher."""
    problems = []
    if not template.topics.exists():
        problems.append("Add at least one topic.")
    total = template.assessments.aggregate(total=Sum("weight_percent"))["total"] or 0.0
    if abs(total - FULL_WEIGHT_PERCENT) > WEIGHTS_TOLERANCE:
        problems.append(f"The assessment weights total {total:g}%; they must total 100%.")
    return problems


@transaction.atomic
def classroom_create(*, template: CourseTemplate, name: str = "") -> Classroom:
    template = _lock_template(template)
    problems = template_publish_problems(template)
    if problems:
        raise ApplicationError(
            "The template cannot be published yet.", field_errors={"template": problems}
        )
    classroom = Classroom(template=template, name=(name or "").strip() or str(template))
    _validate_fields(classroom, exclude=["template", "join_code"])
    classroom.save()
    return classroom


@transaction.atomic
def class_membership_consent_set(
    *, membership: ClassMembership, has_consented: bool
) -> ClassMembership:
    """Give or withdraw consent; only a joined student can share, and either takes effect at
    once (the teacher's next read already sees it)."""
    membership = ClassMembership.objects.select_for_update().get(pk=membership.pk)
    if has_consented and membership.status != MembershipStatus.JOINED:
        message = "You left this class; join it again to share your progress."
        raise ApplicationError(message, field_errors={"has_consented": [message]})
    if membership.has_consented != has_consented:
        membership.has_consented = has_consented
        membership.consent_changed_at = timezone.now()
        membership.save(update_fields=["has_consented", "consent_changed_at"])
    return membership


@transaction.atomic
def class_membership_leave(*, membership: ClassMembership) -> ClassMembership:
    """Leave the class: consent ends with it, and the course stays the student's, unlinked."""
    membership = ClassMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.status == MembershipStatus.LEFT:
        return membership
    now = timezone.now()
    membership.status = MembershipStatus.LEFT
    membership.left_at = now
    if membership.has_consented:
        membership.has_consented = False
        membership.consent_changed_at = now
    membership.course = None
    membership.assessment_map = {}
    membership.topic_map = {}
    membership.save()
    return membership
