"""The course overview: mastery heatmap, prerequisite graph, assessments with their weights
and the topic resources as a checklist (whose ticks are the only rows written here)."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction

from accounts.errors import ApplicationError
from courses.models import Assessment, Course, Topic
from journey.models import ResourceCompletion
from mastery import evidence_selectors, quiz_selectors
from mastery.views import HEATMAP_TOPICS_PER_PAGE, HeatCell, heat_cells


@dataclass
class ResourceItem:
    kind: str
    url: str
    key: str
    is_done: bool
    # A resource from a class's template carries the teacher's title and notes.
    title: str = ""
    notes: str = ""


@dataclass
class TopicResources:
    topic: Topic
    items: list[ResourceItem] = field(default_factory=list)

    @property
    def done_count(self) -> int:
        return sum(1 for item in self.items if item.is_done)

    @property
    def percent(self) -> int:
        return round(self.done_count / len(self.items) * 100) if self.items else 0


@dataclass
class CourseOverview:
    course: Course
    # The heatmap and the resources show one page of topics, as the course's mastery page
    # does; the graph shows every topic, since a prerequisite may sit on another page.
    page: Page
    cells: list[HeatCell]
    graph_nodes: list[tuple[str, str, int]]
    graph_edges: list[tuple[str, str]]
    assessments: list[Assessment]
    resources: list[TopicResources]

    @property
    def weights_total(self) -> float:
        return round(sum(a.weight_percent for a in self.assessments), 2)


def resource_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def topic_depths(prerequisites: dict[str, list[str]]) -> dict[str, int]:
    """Longest chain of prerequisites above each topic (0 for a topic with none), from each
    topic id's prerequisite ids."""
    depths: dict[str, int] = {}

    def depth(topic_id: str, visiting: frozenset[str]) -> int:
        if topic_id in depths:
            return depths[topic_id]
        # The courses services keep the graph acyclic; a cycle in old data still terminates.
        parents = [p for p in prerequisites.get(topic_id, []) if p in prerequisites]
        parents = [p for p in parents if p not in visiting]
        value = 1 + max((depth(p, visiting | {p}) for p in parents), default=-1)
        depths[topic_id] = value
        return value

    for topic_id in prerequisites:
        depth(topic_id, frozenset({topic_id}))
    return depths


def resources_for(*, user, topics: list[Topic]) -> list[TopicResources]:
    done = set(
        ResourceCompletion.objects.for_user(user)
        .filter(topic__in=topics)
        .values_list("topic_id", "resource_key")
    )
    rows = []
    for topic in topics:
        row = TopicResources(topic=topic)
        for link in topic.resource_links or []:
            url = str(link.get("url", ""))
            key = resource_key(url)
            row.items.append(
                ResourceItem(
                    kind=str(link.get("type", "")),
                    url=url,
                    key=key,
                    is_done=(topic.pk, key) in done,
                    title=str(link.get("title") or ""),
                    notes=str(link.get("notes") or ""),
                )
            )
        rows.append(row)
    return rows


def course_overview_for(*, user, course: Course, page_number=None) -> CourseOverview:
    # The graph needs only each topic's name and prerequisites: narrow rows for all of them,
    # the full rows with mastery and evidence for the page shown.
    graph_rows = list(
        Topic.objects.filter(course=course)
        .order_by("order_index", "name")
        .values_list("pk", "name", "prerequisite_topic_ids")
    )
    prerequisites = {str(pk): [str(p) for p in ids or []] for pk, _, ids in graph_rows}
    depths = topic_depths(prerequisites)
    edges = [
        (prerequisite, topic_id)
        for topic_id, topic_prerequisites in prerequisites.items()
        for prerequisite in topic_prerequisites
        if prerequisite in prerequisites
    ]
    # Paged over the ids already read, so the page costs no count query.
    page = Paginator([pk for pk, _, _ in graph_rows], HEATMAP_TOPICS_PER_PAGE).get_page(page_number)
    topics = list(
        evidence_selectors.with_evidence(
            quiz_selectors.topics_with_mastery(user=user, course=course).filter(
                pk__in=page.object_list
            ),
            user=user,
        )
    )
    assessments = list(
        Assessment.objects.for_user(user)
        .filter(course=course)
        .prefetch_related("topics")
        .order_by("due_date", "name")
    )
    return CourseOverview(
        course=course,
        page=page,
        cells=heat_cells(topics, user=user),
        graph_nodes=[(str(pk), name, depths[str(pk)]) for pk, name, _ in graph_rows],
        graph_edges=edges,
        assessments=assessments,
        resources=resources_for(user=user, topics=topics),
    )


def resource_completion_set(*, user, topic: Topic, key: str, is_done: bool) -> TopicResources:
    """Tick or untick one of the topic's resources; returns the topic's checklist."""
    if topic.course.user_id != user.pk:
        raise ApplicationError("Topic not found.")
    keys = {resource_key(str(link.get("url", ""))) for link in topic.resource_links or []}
    if key not in keys:
        raise ApplicationError(
            "That resource is not one of the topic's.", field_errors={"resource": ["Unknown."]}
        )
    rows = ResourceCompletion.objects.for_user(user).filter(topic=topic, resource_key=key)
    if is_done:
        # A double click can race to the same tick; either way the row exists, as wanted.
        with contextlib.suppress(IntegrityError), transaction.atomic():
            ResourceCompletion.objects.get_or_create(user=user, topic=topic, resource_key=key)
    else:
        rows.delete()
    return resources_for(user=user, topics=[topic])[0]
