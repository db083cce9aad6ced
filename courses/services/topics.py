"""Topics and their prerequisite graph, kept inside one course and acyclic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from accounts.errors import ApplicationError
from courses.models import AssessmentTopic, Course, Difficulty, Topic
from courses.services.common import (
    _lock_course,
    _normalize_topic_ids,
    _send_assessment_changed,
    _unknown_fields,
    _validate_fields,
)
from courses.validation import resource_links_errors

TOPIC_FIELDS = (
    "name",
    "description",
    "estimated_difficulty",
    "prerequisite_topic_ids",
    "resource_links",
    "order_index",
)


def _find_cycle(graph: Mapping[str, Sequence[str]], start: str) -> list[str] | None:
    """A path start → … → start through prerequisite edges, if the graph has one.

    Every other topic was already acyclic, so any new cycle must pass through `start`.
    """
    path: list[str] = [start]
    on_path = {start}
    visited: set[str] = set()

    def visit(node: str) -> list[str] | None:
        for neighbour in graph.get(node, ()):
            if neighbour == start:
                return [*path, start]
            if neighbour in on_path or neighbour in visited:
                continue
            path.append(neighbour)
            on_path.add(neighbour)
            found = visit(neighbour)
            if found:
                return found
            path.pop()
            on_path.discard(neighbour)
            visited.add(neighbour)
        return None

    return visit(start)


def _check_prerequisites(*, topic: Topic, course: Course) -> None:
    """Ids must be topics of the same course (and so of the same user); no cycles."""
    field = "prerequisite_topic_ids"
    if not isinstance(topic.prerequisite_topic_ids, list | tuple):
        raise ApplicationError(
            "Prerequisites must be a list.", field_errors={field: ["Must be a list of topic ids."]}
        )
    prerequisite_ids = _normalize_topic_ids(topic.prerequisite_topic_ids, field=field)
    topic.prerequisite_topic_ids = prerequisite_ids
    course_topics = {
        str(topic_id): (name, prerequisites)
        for topic_id, name, prerequisites in Topic.objects.filter(course=course).values_list(
            "id", "name", "prerequisite_topic_ids"
        )
    }
    this_id = str(topic.pk)
    for prerequisite_id in prerequisite_ids:
        if prerequisite_id == this_id:
            message = f"A topic cannot be its own prerequisite ({topic.name} → {topic.name})."
            raise ApplicationError(message, field_errors={field: [message]})
        if prerequisite_id not in course_topics:
            message = f"{prerequisite_id} is not a topic of this course."
            raise ApplicationError(message, field_errors={field: [message]})
    graph = {topic_id: list(prereqs or []) for topic_id, (_, prereqs) in course_topics.items()}
    graph[this_id] = prerequisite_ids
    cycle = _find_cycle(graph, this_id)
    if cycle:
        names = {topic_id: name for topic_id, (name, _) in course_topics.items()}
        names[this_id] = topic.name
        described = " → ".join(names.get(node, node) for node in cycle)
        message = f"These prerequisites would form a cycle: {described}."
        raise ApplicationError(message, field_errors={field: [message]})


def _check_topic(topic: Topic, course: Course) -> None:
    _validate_fields(topic, exclude=["course", "prerequisite_topic_ids", "resource_links"])
    link_errors = resource_links_errors(topic.resource_links)
    if link_errors:
        raise ApplicationError(
            "Invalid resource links.", field_errors={"resource_links": link_errors}
        )
    _check_prerequisites(topic=topic, course=course)


@transaction.atomic
def topic_create(
    *,
    course: Course,
    name: str,
    description: str = "",
    estimated_difficulty: str = Difficulty.MEDIUM,
    prerequisite_topic_ids: Sequence = (),
    resource_links: Sequence = (),
    order_index: int | None = None,
) -> Topic:
    course = _lock_course(course)
    if order_index is None:
        # New topics go last unless the caller places them.
        last = course.topics.order_by("-order_index").values_list("order_index", flat=True).first()
        order_index = 0 if last is None else last + 1
    topic = Topic(
        course=course,
        name=name.strip(),
        description=description or "",
        estimated_difficulty=estimated_difficulty,
        prerequisite_topic_ids=list(prerequisite_topic_ids or []),
        resource_links=list(resource_links or []),
        order_index=order_index,
    )
    _check_topic(topic, course)
    topic.save()
    return topic


@transaction.atomic
def topic_update(*, topic: Topic, **fields: Any) -> Topic:
    _unknown_fields(fields, TOPIC_FIELDS)
    course = _lock_course(topic.course)
    for field, value in fields.items():
        if field == "name" and isinstance(value, str):
            value = value.strip()
        if field in ("prerequisite_topic_ids", "resource_links") and isinstance(value, tuple):
            value = list(value)
        setattr(topic, field, value)
    _check_topic(topic, course)
    topic.save()
    return topic


@transaction.atomic
def topic_delete(*, topic: Topic) -> None:
    course = _lock_course(topic.course)
    topic_id = str(topic.pk)
    assessment_ids = list(
        AssessmentTopic.objects.filter(topic=topic).values_list("assessment_id", flat=True)
    )
    # Keep the graph closed: no topic may point at one that no longer exists.
    for dependant in Topic.objects.filter(course=course).exclude(pk=topic.pk):
        if topic_id in (dependant.prerequisite_topic_ids or []):
            dependant.prerequisite_topic_ids = [
                prereq for prereq in dependant.prerequisite_topic_ids if prereq != topic_id
            ]
            dependant.save(update_fields=["prerequisite_topic_ids", "updated_at"])
    topic.delete()
    _send_assessment_changed(user_id=course.user_id, assessment_ids=assessment_ids)
