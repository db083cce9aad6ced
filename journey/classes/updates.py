"""The update a linked student is offered when the teacher changes a published template, and
what accepting it does.

The offer is computed, never stored: the template as it is now against the student's course
as it is now, through the membership's id maps. So it lists exactly what accepting would do
(topics, assessments and resources added, changed and removed), whatever number of template
versions it spans, and a change the teacher undid is no longer offered.

Nothing leaves the student's course before they accept. Accepting removes a topic only when
it holds none of their evidence, and an assessment only when it holds none of their grades;
otherwise the copy stays in their course, no longer linked to the class (an assessment is set
aside the way an LMS sync sets aside one the LMS dropped: not planned, not weighted, grades
kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from courses import services as course_services
from courses.models import Assessment, Topic
from courses.services import templates as template_services
from courses.template_models import (
    ClassMembership,
    MembershipStatus,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
)
from journey.classes.services import assessment_from_template
from mastery import quiz_services
from mastery.models import MasteryObservation, PerformanceRecord


@dataclass
class AssessmentChange:
    assessment: Assessment
    template_assessment: TemplateAssessment


@dataclass
class RemovedAssessment:
    template_assessment_id: str
    assessment: Assessment
    # Kept (set aside) on acceptance instead of deleted: the student has grades on it.
    has_grades: bool


@dataclass
class RemovedTopic:
    template_topic_id: str
    topic: Topic
    # Kept (unlinked) on acceptance instead of deleted: the student has evidence on it.
    has_evidence: bool


@dataclass
class ResourceChange:
    resource: TemplateResource
    topic: Topic
    # The student's current copy of the link (None for an added resource).
    current: dict | None = None


@dataclass
class RemovedResource:
    template_resource_id: str
    topic: Topic
    link: dict


@dataclass
class UpdateOffer:
    added_topics: list[TemplateTopic] = field(default_factory=list)
    removed_topics: list[RemovedTopic] = field(default_factory=list)
    added_assessments: list[TemplateAssessment] = field(default_factory=list)
    changed_assessments: list[AssessmentChange] = field(default_factory=list)
    removed_assessments: list[RemovedAssessment] = field(default_factory=list)
    added_resources: list[ResourceChange] = field(default_factory=list)
    changed_resources: list[ResourceChange] = field(default_factory=list)
    removed_resources: list[RemovedResource] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(
            (
                self.added_topics,
                self.removed_topics,
                self.added_assessments,
                self.changed_assessments,
                self.removed_assessments,
                self.added_resources,
                self.changed_resources,
                self.removed_resources,
            )
        )

    @property
    def change_count(self) -> int:
        return sum(
            len(part)
            for part in (
                self.added_topics,
                self.removed_topics,
                self.added_assessments,
                self.changed_assessments,
                self.removed_assessments,
                self.added_resources,
                self.changed_resources,
                self.removed_resources,
            )
        )


def _resource_entry(value) -> tuple[str, str]:
    """(template topic id, URL) of a `resource_map` value."""
    if isinstance(value, dict):
        return str(value.get("topic", "")), str(value.get("url", ""))
    return "", ""


def _link_with_url(topic: Topic, url: str) -> dict | None:
    for link in topic.resource_links or []:
        if isinstance(link, dict) and link.get("url") == url:
            return link
    return None


def update_offers(memberships: list[ClassMembership]) -> dict:
    """Membership id -> its UpdateOffer, for the joined memberships whose offer is not empty.

    Expects the memberships with `classroom__template__topics__resources` and
    `classroom__template__assessments__topics` prefetched; reads the students' rows in four
    queries whatever the number of memberships."""
    linked = [m for m in memberships if m.status == MembershipStatus.JOINED and m.course_id]
    if not linked:
        return {}
    student_ids = {m.student_id for m in linked}
    assessments = {
        str(a.pk): a
        for a in Assessment.objects.filter(
            pk__in=[pk for m in linked for pk in m.assessment_map.values()],
            course__user_id__in=student_ids,
        )
    }
    topics = {
        str(t.pk): t
        for t in Topic.objects.filter(
            pk__in=[pk for m in linked for pk in m.topic_map.values()],
            course__user_id__in=student_ids,
        )
    }
    graded = {
        str(pk)
        for pk in PerformanceRecord.objects.filter(assessment_id__in=list(assessments)).values_list(
            "assessment_id", flat=True
        )
    }
    with_evidence = {
        str(pk)
        for pk in MasteryObservation.objects.filter(topic_id__in=list(topics)).values_list(
            "topic_id", flat=True
        )
    }
    offers = {}
    for membership in linked:
        offer = _offer_for(
            membership,
            assessments=assessments,
            topics=topics,
            graded=graded,
            with_evidence=with_evidence,
        )
        if not offer.is_empty:
            offers[membership.pk] = offer
    return offers


def _offer_for(membership, *, assessments, topics, graded, with_evidence) -> UpdateOffer:
    template = membership.classroom.template
    offer = UpdateOffer()
    template_topics = {str(t.pk): t for t in template.topics.all()}
    template_assessments = {str(a.pk): a for a in template.assessments.all()}
    topic_map = membership.topic_map or {}
    assessment_map = membership.assessment_map or {}

    for template_id, template_topic in template_topics.items():
        if template_id not in topic_map:
            offer.added_topics.append(template_topic)
    for template_id, topic_id in topic_map.items():
        topic = topics.get(topic_id)
        if template_id not in template_topics and topic is not None:
            offer.removed_topics.append(
                RemovedTopic(template_id, topic, has_evidence=topic_id in with_evidence)
            )

    for template_id, template_assessment in template_assessments.items():
        if template_id not in assessment_map:
            offer.added_assessments.append(template_assessment)
    for template_id, assessment_id in assessment_map.items():
        own = assessments.get(assessment_id)
        if own is None:
            continue  # the student deleted their copy: nothing to offer about it
        source = template_assessments.get(template_id)
        if source is None:
            offer.removed_assessments.append(
                RemovedAssessment(template_id, own, has_grades=assessment_id in graded)
            )
        elif (source.weight_percent, source.due_date) != (own.weight_percent, own.due_date):
            offer.changed_assessments.append(AssessmentChange(own, source))

    resource_map = membership.resource_map or {}
    for template_id, template_topic in template_topics.items():
        topic = topics.get(topic_map.get(template_id, ""))
        if topic is None:
            continue  # added topics bring their resources with them
        for resource in template_topic.resources.all():
            mapped = resource_map.get(str(resource.pk))
            if mapped is None:
                offer.added_resources.append(ResourceChange(resource, topic))
                continue
            current = _link_with_url(topic, _resource_entry(mapped)[1])
            if current is not None and current != resource.as_link():
                offer.changed_resources.append(ResourceChange(resource, topic, current))
    live_resources = {
        str(r.pk)
        for template_topic in template_topics.values()
        for r in template_topic.resources.all()
    }
    for template_resource_id, mapped in resource_map.items():
        if template_resource_id in live_resources:
            continue
        template_topic_id, url = _resource_entry(mapped)
        if template_topic_id not in template_topics:
            continue  # its topic is removed as a whole
        topic = topics.get(topic_map.get(template_topic_id, ""))
        link = _link_with_url(topic, url) if topic is not None else None
        if link is not None:
            offer.removed_resources.append(RemovedResource(template_resource_id, topic, link))
    return offer


def _lowered_first(changes: list[AssessmentChange]) -> list[AssessmentChange]:
    # The course's total never passes 100% on the way.
    return sorted(
        changes,
        key=lambda change: (
            change.template_assessment.weight_percent - change.assessment.weight_percent
        ),
    )


def class_update_accept(
    *, student, membership: ClassMembership, now: datetime | None = None
) -> ClassMembership:
    """Apply the whole offer to the student's course, all or nothing: added topics (with their
    prerequisites mapped to the student's copies, resources and questions), assessments
    removed, changed and added, topics removed, resources added, changed and removed. The
    courses services send `assessment_changed`, so the plan follows on commit."""
    now = now or timezone.now()
    if membership.student_id != student.pk or membership.status != MembershipStatus.JOINED:
        raise ApplicationError("Class not found.")
    with transaction.atomic():
        membership = (
            # Only the membership row: its course may be gone (left, or the template deleted),
            # and PostgreSQL cannot lock the nullable side of that outer join.
            ClassMembership.objects.select_for_update(of=("self",))
            .select_related("classroom__template", "course")
            .prefetch_related(
                "classroom__template__topics__resources",
                "classroom__template__assessments__topics",
            )
            .get(pk=membership.pk)
        )
        if membership.status != MembershipStatus.JOINED or membership.course is None:
            raise ApplicationError("Class not found.")
        offer = update_offers([membership]).get(membership.pk, UpdateOffer())
        _apply(membership, offer, student=student, now=now)
        _forget_gone(membership)
        membership.applied_version = membership.classroom.template.version
        membership.save(
            update_fields=["applied_version", "topic_map", "assessment_map", "resource_map"]
        )
    return membership


def _apply(membership: ClassMembership, offer: UpdateOffer, *, student, now: datetime) -> None:
    course = membership.course
    topic_map = dict(membership.topic_map or {})
    assessment_map = dict(membership.assessment_map or {})
    resource_map = dict(membership.resource_map or {})

    for template_topic in offer.added_topics:
        topic = course_services.topic_create(
            course=course,
            name=template_topic.name,
            description=template_topic.description,
            estimated_difficulty=template_topic.estimated_difficulty,
            resource_links=[r.as_link() for r in template_topic.resources.all()],
        )
        topic_map[str(template_topic.pk)] = str(topic.pk)
        for resource in template_topic.resources.all():
            resource_map[str(resource.pk)] = {"topic": str(template_topic.pk), "url": resource.url}
    for template_topic in offer.added_topics:
        if template_topic.prerequisite_ids:
            course_services.topic_update(
                topic=Topic.objects.get(pk=topic_map[str(template_topic.pk)]),
                prerequisite_topic_ids=[
                    topic_map[p] for p in template_topic.prerequisite_ids if p in topic_map
                ],
            )

    for removed in offer.removed_assessments:
        if removed.has_grades:
            template_services.class_assessment_set_aside(
                assessment=removed.assessment,
                template_assessment_id=removed.template_assessment_id,
            )
        else:
            course_services.assessment_delete(assessment=removed.assessment)
        assessment_map.pop(removed.template_assessment_id, None)
    for change in _lowered_first(offer.changed_assessments):
        fields = {}
        if change.assessment.weight_percent != change.template_assessment.weight_percent:
            fields["weight_percent"] = change.template_assessment.weight_percent
        if change.assessment.due_date != change.template_assessment.due_date:
            fields["due_date"] = change.template_assessment.due_date
        course_services.assessment_update(assessment=change.assessment, **fields)
    for template_assessment in offer.added_assessments:
        assessment = assessment_from_template(
            course=course,
            template_assessment=template_assessment,
            topic_ids=[
                topic_map[str(t.pk)]
                for t in template_assessment.topics.all()
                if str(t.pk) in topic_map
            ],
            now=now,
        )
        assessment_map[str(template_assessment.pk)] = str(assessment.pk)

    for removed in offer.removed_topics:
        if not removed.has_evidence:
            course_services.topic_delete(topic=removed.topic)
        topic_map.pop(removed.template_topic_id, None)
        for resource_id, mapped in list(resource_map.items()):
            if _resource_entry(mapped)[0] == removed.template_topic_id:
                del resource_map[resource_id]

    _apply_resources(offer, resource_map)

    for template_topic in offer.added_topics:
        if template_topic.question_count:
            quiz_services.question_bank_import(
                user=student,
                topic=Topic.objects.get(pk=topic_map[str(template_topic.pk)]),
                document=template_topic.questions,
            )
    membership.topic_map = topic_map
    membership.assessment_map = assessment_map
    membership.resource_map = resource_map


def _forget_gone(membership: ClassMembership) -> None:
    """Drop the map entries of template rows that no longer exist: the student's copy was
    already gone (they deleted it), so there was nothing to offer about it."""
    template = membership.classroom.template
    template_topics = list(template.topics.all())
    live_topics = {str(t.pk) for t in template_topics}
    live_assessments = {str(a.pk) for a in template.assessments.all()}
    live_resources = {str(r.pk) for t in template_topics for r in t.resources.all()}
    membership.topic_map = {k: v for k, v in membership.topic_map.items() if k in live_topics}
    membership.assessment_map = {
        k: v for k, v in membership.assessment_map.items() if k in live_assessments
    }
    membership.resource_map = {
        k: v for k, v in membership.resource_map.items() if k in live_resources
    }


def _apply_resources(offer: UpdateOffer, resource_map: dict) -> None:
    """One write per student topic whose links change."""
    links_by_topic: dict = {}

    def links_of(topic: Topic) -> list:
        if topic.pk not in links_by_topic:
            links_by_topic[topic.pk] = (topic, list(topic.resource_links or []))
        return links_by_topic[topic.pk][1]

    for removed in offer.removed_resources:
        links = links_of(removed.topic)
        links[:] = [link for link in links if link != removed.link]
        resource_map.pop(removed.template_resource_id, None)
    for change in offer.changed_resources:
        links = links_of(change.topic)
        links[:] = [change.resource.as_link() if link == change.current else link for link in links]
        resource_map[str(change.resource.pk)] = {
            "topic": str(change.resource.topic_id),
            "url": change.resource.url,
        }
    for change in offer.added_resources:
        links = links_of(change.topic)
        # A link the student already keeps under the same URL is replaced, not doubled.
        links[:] = [link for link in links if link.get("url") != change.resource.url]
        links.append(change.resource.as_link())
        resource_map[str(change.resource.pk)] = {
            "topic": str(change.resource.topic_id),
            "url": change.resource.url,
        }
    for topic, links in links_by_topic.values():
        course_services.topic_update(topic=topic, resource_links=links)
