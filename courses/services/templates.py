"""Writes to a teacher's course templates and to the classes they are published as.

The template's rules mirror a student's course (prerequisites inside the template and acyclic,
assessment weights never past 100%), and publishing asks for the whole: weights that total
100%. A change of an assessment's date or weight after publishing raises the template's
version, which offers the change to every linked student (journey.classes accepts it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.errors import ApplicationError
from courses.models import WEIGHTS_TOLERANCE, AssessmentType, Difficulty
from courses.services.common import _normalize_topic_ids, _unknown_fields, _validate_fields
from courses.services.topics import _find_cycle
from courses.template_models import (
    ClassMembership,
    Classroom,
    CourseTemplate,
    MembershipStatus,
    TemplateAssessment,
    TemplateTopic,
)
from courses.validation import course_dates_errors

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
# A change of these reaches students' plans, so it is offered to them as an update.
VERSIONED_ASSESSMENT_FIELDS = frozenset({"weight_percent", "due_date"})
FULL_WEIGHT_PERCENT = 100.0


def _check_template(template: CourseTemplate) -> None:
    _validate_fields(template, exclude=["owner", "version"])
    errors = course_dates_errors(template.start_date, template.end_date)
    if errors:
        raise ApplicationError("Invalid dates.", field_errors=errors)


def _lock_template(template: CourseTemplate) -> CourseTemplate:
    return CourseTemplate.objects.select_for_update().get(pk=template.pk)


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
    if changed and template.classrooms.exists():
        template.version += 1
        template.save(update_fields=["version", "updated_at"])
    return assessment


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
