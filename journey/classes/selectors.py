"""What a teacher sees of a class, and the same row a student is shown before sharing it.

Only memberships that are joined and consenting are ever read (`visible_to_teacher`), so a
student who refused, withdrew or left cannot reach the page by any path. Aggregates (the
mastery distribution of a topic, how many are at risk, the class's adherence) are shown only
for groups of at least `MIN_GROUP_SIZE` students, so no aggregate narrows down to one person.
Every read is a fixed number of queries whatever the class size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count

from courses.template_models import ClassMembership, Classroom, TemplateAssessment
from mastery.models import MasteryRecord
from scheduling.models import PlanSnapshot, StudyTask, TaskStatus
from scheduling.stats import DUE_STATUSES, Adherence

# Below five, an aggregate can single out a student (two students, one weak: the teacher
# knows who); the floor is five.
MIN_GROUP_SIZE = 5
# Adherence over the last four weeks: long enough to be more than one bad week, short enough
# to describe how the student studies now.
ADHERENCE_DAYS = 28
# Bands of the mastery distribution, as (label, lowest score, first score above the band).
MASTERY_BANDS = (("Below 40", 0.0, 40.0), ("40 to 69", 40.0, 70.0), ("70 and above", 70.0, 101.0))


class RiskText:
    AT_RISK = "At risk"
    ON_TRACK = "On track"
    NOT_PLANNED = "Not planned yet"
    NO_ASSESSMENT = "No upcoming assessment"


@dataclass
class TopicCell:
    topic_name: str
    mastery: float | None  # None: no evidence yet, so no number is shown
    evidence_count: int = 0


@dataclass
class StudentRow:
    name: str
    email: str
    topics: list[TopicCell]
    next_assessment_status: str
    adherence: Adherence


@dataclass
class TopicDistribution:
    topic_name: str
    student_count: int  # students with evidence on the topic
    bands: list[tuple[str, int]] | None  # None while fewer than MIN_GROUP_SIZE have evidence


@dataclass
class ClassProgress:
    classroom: Classroom
    topic_names: list[str]
    next_assessment: TemplateAssessment | None
    rows: list[StudentRow]
    distributions: list[TopicDistribution] = field(default_factory=list)
    at_risk_count: int | None = None
    adherence: Adherence | None = None
    min_group_size: int = MIN_GROUP_SIZE

    @property
    def student_count(self) -> int:
        return len(self.rows)

    @property
    def shows_aggregates(self) -> bool:
        return self.student_count >= MIN_GROUP_SIZE


def next_template_assessment(classroom: Classroom, now: datetime) -> TemplateAssessment | None:
    return classroom.template.assessments.filter(due_date__gte=now).order_by("due_date").first()


def _risk_status(snapshot: PlanSnapshot | None, assessment_id: str | None) -> str:
    if assessment_id is None:
        return RiskText.NO_ASSESSMENT
    cushion = next(
        (
            row
            for row in (snapshot.cushions if snapshot else [])
            if row["assessment_id"] == assessment_id
        ),
        None,
    )
    if cushion is None:
        return RiskText.NOT_PLANNED
    return RiskText.AT_RISK if cushion.get("is_at_risk") else RiskText.ON_TRACK


def student_rows(
    memberships: list[ClassMembership],
    *,
    template_topics: list | None = None,
    next_assessment: TemplateAssessment | None = None,
    now: datetime,
) -> list[StudentRow]:
    """One row per membership, in three queries whatever their number: mastery, snapshots
    (the planner's own at-risk analysis) and due blocks for adherence.

    Memberships of one class pass its topics and next assessment; memberships of several
    classes (a student's own page) leave them out, and each class's prefetched topics and
    assessments are used instead."""

    def topics_of(membership):
        if template_topics is not None:
            return template_topics
        return list(membership.classroom.template.topics.all())

    def next_of(membership):
        if template_topics is not None:
            return next_assessment
        upcoming = [a for a in membership.classroom.template.assessments.all() if a.due_date >= now]
        return min(upcoming, key=lambda a: a.due_date, default=None)

    topic_ids = [m.topic_map.get(str(t.pk)) for m in memberships for t in topics_of(m)]
    mastery = {
        (str(user_id), str(topic_id)): (score, count)
        for user_id, topic_id, score, count in MasteryRecord.objects.filter(
            topic_id__in=[t for t in topic_ids if t], observation_count__gt=0
        ).values_list("user_id", "topic_id", "mastery_score", "observation_count")
    }
    snapshots = {
        s.user_id: s
        for s in PlanSnapshot.objects.filter(
            user_id__in=[m.student_id for m in memberships]
        ).for_pages()
    }
    adherence: dict = defaultdict(Adherence)
    since = now - timedelta(days=ADHERENCE_DAYS)
    due = (
        StudyTask.objects.filter(
            course_id__in=[m.course_id for m in memberships if m.course_id],
            status__in=DUE_STATUSES,
            scheduled_end__lte=now,
            scheduled_end__gte=since,
        )
        .values("course_id", "status")
        .annotate(count=Count("id"))
    )
    for row in due:
        bucket = adherence[row["course_id"]]
        if row["status"] == TaskStatus.COMPLETED:
            bucket.completed += row["count"]
        elif row["status"] == TaskStatus.SKIPPED:
            bucket.skipped += row["count"]
        else:
            # Scheduled and past its end is missed, as on the student's own stats page.
            bucket.missed += row["count"]
    rows = []
    for membership in memberships:
        student = membership.student
        cells = []
        for template_topic in topics_of(membership):
            own_topic = membership.topic_map.get(str(template_topic.pk))
            score, count = mastery.get((str(student.pk), str(own_topic)), (None, 0))
            cells.append(
                TopicCell(
                    topic_name=template_topic.name,
                    mastery=round(score) if score is not None else None,
                    evidence_count=count,
                )
            )
        upcoming = next_of(membership)
        own_assessment = membership.assessment_map.get(str(upcoming.pk)) if upcoming else None
        rows.append(
            StudentRow(
                name=student.get_full_name(),
                email=student.email,
                topics=cells,
                next_assessment_status=_risk_status(snapshots.get(student.pk), own_assessment),
                adherence=adherence[membership.course_id] if membership.course_id else Adherence(),
            )
        )
    return rows


def _distribution(topic_name: str, scores: list[float]) -> TopicDistribution:
    if len(scores) < MIN_GROUP_SIZE:
        return TopicDistribution(topic_name=topic_name, student_count=len(scores), bands=None)
    bands = [
        (label, sum(1 for score in scores if low <= score < high))
        for label, low, high in MASTERY_BANDS
    ]
    return TopicDistribution(topic_name=topic_name, student_count=len(scores), bands=bands)


def class_progress(classroom: Classroom, *, now: datetime) -> ClassProgress:
    """The teacher's page: consenting, joined students only."""
    template_topics = list(classroom.template.topics.all())
    next_assessment = next_template_assessment(classroom, now)
    memberships = list(
        ClassMembership.objects.filter(classroom=classroom)
        .visible_to_teacher()
        .select_related("student")
        .order_by("student__full_name", "student__email")
    )
    rows = student_rows(
        memberships, template_topics=template_topics, next_assessment=next_assessment, now=now
    )
    progress = ClassProgress(
        classroom=classroom,
        topic_names=[t.name for t in template_topics],
        next_assessment=next_assessment,
        rows=rows,
    )
    progress.distributions = [
        _distribution(
            name,
            [row.topics[index].mastery for row in rows if row.topics[index].mastery is not None],
        )
        for index, name in enumerate(progress.topic_names)
    ]
    if progress.shows_aggregates:
        progress.at_risk_count = sum(
            1 for row in rows if row.next_assessment_status == RiskText.AT_RISK
        )
        total = Adherence()
        for row in rows:
            total.completed += row.adherence.completed
            total.skipped += row.adherence.skipped
            total.missed += row.adherence.missed
        progress.adherence = total
    return progress


def consent_preview(*, student, classroom: Classroom, now: datetime) -> StudentRow:
    """The row the teacher would see about this student right after joining: their name and
    email, no mastery yet on the class's topics, no plan yet, no blocks due yet. The join page
    renders it with the same template as the teacher's page."""
    template_topics = list(classroom.template.topics.all())
    return StudentRow(
        name=student.get_full_name(),
        email=student.email,
        topics=[TopicCell(topic_name=t.name, mastery=None) for t in template_topics],
        next_assessment_status=(
            RiskText.NOT_PLANNED
            if next_template_assessment(classroom, now)
            else RiskText.NO_ASSESSMENT
        ),
        adherence=Adherence(),
    )


def shared_rows(memberships: list[ClassMembership], *, now: datetime) -> dict:
    """What the teacher sees now about this student in each class they share with, for the
    student's own page; memberships that share nothing are absent. The memberships come with
    `classroom__template__topics` and `classroom__template__assessments` prefetched."""
    sharing = [m for m in memberships if m.has_consented and m.status == "joined"]
    rows = student_rows(sharing, now=now)
    return {membership.pk: row for membership, row in zip(sharing, rows, strict=True)}


def memberships_for_export(*, user) -> list[dict]:
    """The student's class memberships as their data export tells them: the class, the
    teacher, when they joined (and left), whether they share now, and every change of that
    consent, from the membership's history. Two queries whatever the number of classes."""
    memberships = list(
        ClassMembership.objects.for_user(user)
        .select_related("classroom__template__owner")
        .order_by("joined_at")
    )
    history = ClassMembership.history.model.objects.filter(
        id__in=[m.pk for m in memberships]
    ).order_by("history_date", "history_id")
    consent_changes: dict = {}
    for record in history:
        changes = consent_changes.setdefault(record.id, [])
        if not changes or changes[-1]["share_progress"] != record.has_consented:
            changes.append(
                {
                    "share_progress": record.has_consented,
                    "changed_at": record.consent_changed_at or record.history_date,
                }
            )
    rows = []
    for membership in memberships:
        template = membership.classroom.template
        rows.append(
            {
                "membership_id": str(membership.pk),
                "class_name": membership.classroom.name,
                "course_code": template.code,
                "teacher": template.owner.full_name or template.instructor_name,
                "status": membership.status,
                "joined_at": membership.joined_at,
                "left_at": membership.left_at,
                "share_progress": membership.has_consented,
                "consent_history": consent_changes.get(membership.pk, []),
                "course_id": str(membership.course_id) if membership.course_id else None,
            }
        )
    return rows
