"""Composed reads: a course page's data, and the version history of courses, topics and
assessments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet

from courses.models import Assessment, AssessmentTopic, Course, Topic

# Bookkeeping columns that change on every save and would drown the real changes.
HISTORY_IGNORED_FIELDS = frozenset({"updated_at", "created_at"})
HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
# The course page lists this many topics a page: a term's course on one page, and a long
# course's page costs no more than a term's.
TOPICS_PER_PAGE = 24
# The course list's page: a term's courses and a few archived ones on one page; years of
# archived courses go onto later pages, so the list costs the same whatever the history.
COURSES_PER_PAGE = 10


def course_list(*, user, include_archived: bool = True) -> QuerySet[Course]:
    courses = Course.objects.for_user(user).with_weights_total()
    return courses if include_archived else courses.active()


def assessments_with_topics(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return queryset.prefetch_related(
        Prefetch(
            "assessment_topics",
            queryset=AssessmentTopic.objects.select_related("topic").order_by(
                "topic__order_index", "topic__name"
            ),
        )
    )


@dataclass
class TopicView:
    topic: Topic
    prerequisites: list[str]


@dataclass
class CourseDetail:
    course: Course
    page: Page
    topics: list[TopicView]
    assessments: list[Assessment]


def course_detail(*, course: Course, page_number=None) -> CourseDetail:
    """A course with one page of its topics (and their prerequisites by name) and its
    assessments."""
    # A prerequisite may sit on another page: every topic's name comes in one narrow read,
    # and only the page's topics are read whole.
    names = {
        str(pk): name for pk, name in Topic.objects.filter(course=course).values_list("pk", "name")
    }
    page = Paginator(list(names), TOPICS_PER_PAGE).get_page(page_number)
    topic_views = [
        TopicView(
            topic=topic,
            prerequisites=[
                names[prereq] for prereq in topic.prerequisite_topic_ids or [] if prereq in names
            ],
        )
        for topic in Topic.objects.filter(pk__in=page.object_list)
    ]
    assessments = list(assessments_with_topics(Assessment.objects.filter(course=course)))
    return CourseDetail(course=course, page=page, topics=topic_views, assessments=assessments)


# --- history --------------------------------------------------------------------------------


def history_queryset(instance) -> QuerySet:
    return instance.history.select_related("history_user").order_by("-history_date", "-history_id")


def _tracked_fields(record) -> list[str]:
    return [
        field.attname
        for field in record.instance_type._meta.concrete_fields
        if field.attname not in HISTORY_IGNORED_FIELDS
    ]


def _snapshot(record, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}


@dataclass
class HistoryEntry:
    history_id: int
    history_date: datetime
    history_type: str
    history_user_email: str | None
    changes: list[dict[str, Any]]
    snapshot: dict[str, Any]


def history_entries(records: list) -> list[HistoryEntry]:
    """Entries for one page of history records, newest first, each with its changed fields.

    Records on a page are consecutive, so each one's predecessor is the next record on the page;
    only the oldest needs one more query, which keeps the cost constant per page.
    """
    if not records:
        return []
    fields = _tracked_fields(records[0])
    oldest = records[-1]
    before_oldest = (
        type(oldest)
        ._default_manager.filter(id=oldest.id)
        .filter(
            Q(history_date__lt=oldest.history_date)
            | Q(history_date=oldest.history_date, history_id__lt=oldest.history_id)
        )
        .order_by("-history_date", "-history_id")
        .first()
    )
    entries: list[HistoryEntry] = []
    for position, record in enumerate(records):
        previous = records[position + 1] if position + 1 < len(records) else before_oldest
        snapshot = _snapshot(record, fields)
        changes: list[dict[str, Any]] = []
        if previous is not None and record.history_type == "~":
            old = _snapshot(previous, fields)
            changes = [
                {"field": name, "old": old[name], "new": snapshot[name]}
                for name in fields
                if old[name] != snapshot[name]
            ]
        entries.append(
            HistoryEntry(
                history_id=record.history_id,
                history_date=record.history_date,
                history_type=HISTORY_TYPES.get(record.history_type, record.history_type),
                history_user_email=record.history_user.email if record.history_user else None,
                changes=changes,
                snapshot=snapshot,
            )
        )
    return entries
