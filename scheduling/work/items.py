"""The work a student needs: per assessment topic, prerequisites, practice and reviews."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from courses.models import Assessment, Topic
from mastery import engine
from scheduling import rules
from scheduling.work.context import (
    REVIEW_WEIGHT,
    REVIEW_WINDOW_DAYS,
    PlanningContext,
    WorkItem,
    WorkKind,
    local_midnight,
)


def _title(topic: Topic, task_type: str, suffix: str = "") -> str:
    label = task_type.replace("_", " ")
    return f"{topic.name}{suffix} — {label}"[:255]


def _days_until(ctx: PlanningContext, moment: datetime) -> float:
    return (moment - ctx.now).total_seconds() / 86400


def _days_left(ctx: PlanningContext, moment: datetime) -> int:
    return (ctx.local_date(moment) - ctx.local_date(ctx.now)).days


def build_work_items(ctx: PlanningContext) -> list[WorkItem]:
    """All work the student should do in the horizon, sorted by key (deterministic)."""
    items: dict[str, WorkItem] = {}
    dependants: dict[str, list[WorkItem]] = defaultdict(list)
    horizon_days = max(1.0, _days_until(ctx, ctx.horizon_end))
    for assessment in ctx.assessments:
        links = [a for a in assessment.assessment_topics.all() if str(a.topic_id) in ctx.topics]
        shares = rules.topic_shares([a.weight_in_assessment for a in links])
        target = rules.target_mastery(assessment.type)
        days_until_due = _days_until(ctx, assessment.due_date)
        # Work for an assessment beyond the horizon is pro-rated to the horizon's share of it.
        in_horizon = min(1.0, horizon_days / max(horizon_days, days_until_due))
        for link, share in zip(links, shares, strict=True):
            topic_id = str(link.topic_id)
            topic = ctx.topics[topic_id]
            mastery, ci, has_record = ctx.mastery_of(topic_id)
            factor = rules.weight_factor(assessment.weight_percent, share, len(links))
            minutes = rules.required_minutes(
                mastery=mastery, target=target, factor=factor, curve=ctx.curve
            )
            minutes = rules.round_up(minutes * in_horizon) if minutes else 0
            if minutes <= 0:
                continue
            task_type = rules.choose_task_type(
                mastery=mastery, study_modes=ctx.study_modes(str(topic.course_id))
            )
            minutes = ctx.scaled_minutes(minutes, str(topic.course_id), task_type)
            item = WorkItem(
                key=f"{WorkKind.STUDY}:{assessment.pk}:{topic_id}",
                kind=WorkKind.STUDY,
                course_id=str(topic.course_id),
                title=_title(topic, task_type, f" for {assessment.name}"),
                task_type=task_type,
                difficulty=ctx.difficulty(topic_id, days_until_due),
                minutes=minutes,
                release=ctx.now,
                deadline=assessment.due_date,
                priority=rules.priority(
                    rules.PriorityInputs(
                        weight=assessment.weight_percent / 100 * share,
                        mastery=mastery,
                        days_until_due=days_until_due,
                        confidence_interval=ci,
                        days_since_practice=ctx.days_since_practice(topic_id),
                    )
                ),
                reason=rules.study_reason(
                    weight_percent=assessment.weight_percent,
                    assessment_name=assessment.name,
                    due_local=ctx.local_date(assessment.due_date),
                    mastery=mastery,
                    ci=ci,
                    has_record=has_record,
                    days_left=_days_left(ctx, assessment.due_date),
                ),
                topic_ids=[topic_id],
                assessment_id=str(assessment.pk),
                mastery=mastery,
                target=target,
            )
            items[item.key] = item
            dependants[topic_id].append(item)
    _add_prerequisites(ctx, items, dependants)
    _add_practice(ctx, items)
    _add_reviews(ctx, items)
    _add_exam_reviews(ctx, items)
    return [items[key] for key in sorted(items)]


def _prerequisites_of(ctx: PlanningContext, topic_id: str) -> list[str]:
    topic = ctx.topics.get(topic_id)
    if topic is None or not isinstance(topic.prerequisite_topic_ids, list):
        return []
    return sorted(
        {
            str(p)
            for p in topic.prerequisite_topic_ids
            if str(p) in ctx.topics and str(p) != topic_id
        }
    )


def _add_prerequisites(
    ctx: PlanningContext, items: dict[str, WorkItem], dependants: dict[str, list[WorkItem]]
) -> None:
    """Weak prerequisites (below 60) get their own work, before every dependant's, at a raised
    priority. Walks the prerequisite graph breadth-first; a cycle is cut at the first revisit."""
    queue = sorted(dependants)
    seen: set[str] = set()
    prerequisite_dependants: dict[str, list[WorkItem]] = defaultdict(list)
    while queue:
        topic_id = queue.pop(0)
        if topic_id in seen:
            continue
        seen.add(topic_id)
        for prereq_id in _prerequisites_of(ctx, topic_id):
            mastery, _, _ = ctx.mastery_of(prereq_id)
            if mastery >= rules.PREREQUISITE_MASTERY:
                continue
            for dependant in dependants.get(topic_id, []):
                prerequisite_dependants[prereq_id].append(dependant)
            queue.append(prereq_id)
    created: dict[str, WorkItem] = {}
    for prereq_id in sorted(prerequisite_dependants):
        deps = prerequisite_dependants[prereq_id]
        topic = ctx.topics[prereq_id]
        mastery, ci, has_record = ctx.mastery_of(prereq_id)
        minutes = rules.required_minutes(
            mastery=mastery, target=rules.PREREQUISITE_MASTERY, factor=1.0, curve=ctx.curve
        )
        task_type = rules.choose_task_type(
            mastery=mastery, study_modes=ctx.study_modes(str(topic.course_id))
        )
        minutes = ctx.scaled_minutes(minutes, str(topic.course_id), task_type)
        minutes = rules.prerequisite_minutes(minutes, [d.minutes for d in deps])
        deadline = min(d.deadline for d in deps)
        names = sorted({ctx.topics[d.topic_ids[0]].name for d in deps if d.topic_ids})
        item = WorkItem(
            key=f"{WorkKind.PREREQUISITE}:{prereq_id}",
            kind=WorkKind.PREREQUISITE,
            course_id=str(topic.course_id),
            title=_title(topic, task_type, " (prerequisite)"),
            task_type=task_type,
            difficulty=ctx.difficulty(prereq_id, None),
            minutes=minutes,
            release=ctx.now,
            deadline=deadline,
            priority=max(d.priority for d in deps) * rules.PREREQUISITE_PRIORITY_BOOST,
            reason=" · ".join(
                [
                    f"prerequisite of {', '.join(names)}",
                    rules.mastery_text(mastery, ci, has_record=has_record)
                    + f" (below {rules.PREREQUISITE_MASTERY:.0f})",
                    rules.days_left_text(_days_left(ctx, deadline)),
                ]
            ),
            topic_ids=[prereq_id],
            mastery=mastery,
            target=rules.PREREQUISITE_MASTERY,
        )
        created[prereq_id] = item
        items[item.key] = item
    for prereq_id, deps in prerequisite_dependants.items():
        key = created[prereq_id].key
        for dependant in deps:
            if key not in dependant.predecessors:
                dependant.predecessors.append(key)
        # The prerequisite's own study for an assessment follows the catch-up work too.
        for item in items.values():
            is_own_study = item.kind == WorkKind.STUDY and item.topic_ids == [prereq_id]
            if is_own_study and key not in item.predecessors:
                item.predecessors.append(key)
    # Chains: a prerequisite's own weak prerequisites come first as well.
    for prereq_id, item in created.items():
        for parent in _prerequisites_of(ctx, prereq_id):
            if parent in created and created[parent].key not in item.predecessors:
                item.predecessors.append(created[parent].key)
    for item in items.values():
        item.predecessors.sort()


def _add_practice(ctx: PlanningContext, items: dict[str, WorkItem]) -> None:
    """A poor result (declining, below 60) on a topic no current work covers adds practice."""
    covered = {tid for item in items.values() for tid in item.topic_ids}
    for topic_id in sorted(ctx.records):
        record = ctx.records[topic_id]
        if topic_id in covered or topic_id not in ctx.topics:
            continue
        if record.trend != engine.Trend.DECLINING or record.mastery_score >= (
            rules.PRACTICE_BELOW_MASTERY
        ):
            continue
        topic = ctx.topics[topic_id]
        anchor = record.last_practiced_at or ctx.now
        # Anchored on the last evidence, not on now, so the deadline is stable across replans.
        deadline = max(
            anchor + timedelta(days=rules.PRACTICE_WINDOW_DAYS), ctx.now + timedelta(days=2)
        )
        task_type = rules.choose_task_type(
            mastery=record.mastery_score, study_modes=ctx.study_modes(str(topic.course_id))
        )
        item = WorkItem(
            key=f"{WorkKind.PRACTICE}:{topic_id}",
            kind=WorkKind.PRACTICE,
            course_id=str(topic.course_id),
            title=_title(topic, task_type, " (practice)"),
            task_type=task_type,
            difficulty=ctx.difficulty(topic_id, None),
            minutes=ctx.scaled_minutes(rules.PRACTICE_MINUTES, str(topic.course_id), task_type),
            release=ctx.now,
            deadline=deadline,
            priority=rules.priority(
                rules.PriorityInputs(
                    weight=rules.PRACTICE_WEIGHT,
                    mastery=record.mastery_score,
                    days_until_due=_days_until(ctx, deadline),
                    confidence_interval=record.confidence_interval,
                    days_since_practice=ctx.days_since_practice(topic_id),
                )
            ),
            reason=" · ".join(
                [
                    "recent result was poor",
                    rules.mastery_text(
                        record.mastery_score, record.confidence_interval, has_record=True
                    )
                    + " and declining",
                    "practice within a week",
                ]
            ),
            topic_ids=[topic_id],
            mastery=record.mastery_score,
            target=rules.PRACTICE_BELOW_MASTERY,
        )
        items[item.key] = item


def _topic_weight(ctx: PlanningContext, topic_id: str) -> float:
    weights = [
        a.weight_percent / 100
        for a in ctx.assessments
        if any(str(link.topic_id) == topic_id for link in a.assessment_topics.all())
    ]
    return max(weights, default=rules.clamp(REVIEW_WEIGHT, 0, 1))


def _add_reviews(ctx: PlanningContext, items: dict[str, WorkItem]) -> None:
    if not ctx.preferences.enable_spaced_repetition:
        return
    today = ctx.local_date(ctx.now)
    last_day = ctx.local_date(ctx.horizon_end)
    for topic_id in sorted(ctx.records):
        record = ctx.records[topic_id]
        due = record.next_review_date
        if due is None or due > last_day or topic_id not in ctx.topics:
            continue
        topic = ctx.topics[topic_id]
        day = max(due, today)
        release = max(ctx.now, local_midnight(day, ctx.tz))
        deadline = local_midnight(day + timedelta(days=REVIEW_WINDOW_DAYS), ctx.tz)
        minutes = (
            rules.REVIEW_MINUTES_WELL_KNOWN
            if record.mastery_score >= rules.REVIEW_WELL_KNOWN_MASTERY
            else rules.REVIEW_MINUTES
        )
        overdue = (today - due).days
        when = f"review was due {rules.short_date(due)}" if overdue > 0 else "review due"
        item = WorkItem(
            key=f"{WorkKind.REVIEW}:{topic_id}:{due.isoformat()}",
            kind=WorkKind.REVIEW,
            course_id=str(topic.course_id),
            title=_title(topic, rules.REVIEW, " (spaced review)"),
            task_type=rules.REVIEW,
            difficulty=ctx.difficulty(topic_id, None),
            minutes=minutes,
            release=release,
            deadline=deadline,
            priority=rules.priority(
                rules.PriorityInputs(
                    weight=_topic_weight(ctx, topic_id),
                    mastery=record.mastery_score,
                    days_until_due=_days_until(ctx, deadline),
                    confidence_interval=record.confidence_interval,
                    days_since_practice=ctx.days_since_practice(topic_id),
                )
            ),
            reason=" · ".join(
                [
                    f"{when} {rules.short_date(day) if overdue <= 0 else ''}".strip(),
                    rules.mastery_text(
                        record.mastery_score, record.confidence_interval, has_record=True
                    ),
                    f"every {record.review_interval_days} days",
                ]
            ),
            topic_ids=[topic_id],
            mastery=record.mastery_score,
            target=record.mastery_score,
            is_splittable=False,
        )
        items[item.key] = item


def exam_topics(ctx: PlanningContext, assessment: Assessment) -> list[rules.ExamTopic]:
    links = [a for a in assessment.assessment_topics.all() if str(a.topic_id) in ctx.topics]
    shares = rules.topic_shares([a.weight_in_assessment for a in links])
    return [
        rules.ExamTopic(
            topic_id=str(link.topic_id), weight=share, state=ctx.engine_state(str(link.topic_id))
        )
        for link, share in zip(links, shares, strict=True)
    ]


def _add_exam_reviews(ctx: PlanningContext, items: dict[str, WorkItem]) -> None:
    """Reviews timed so the engine's predicted recall on the exam day is as high as the
    review budget allows (rules.plan_exam_reviews)."""
    for assessment in ctx.assessments:
        if assessment.type not in rules.EXAM_TYPES or assessment.due_date > ctx.horizon_end:
            continue
        topics = exam_topics(ctx, assessment)
        review_plan = rules.plan_exam_reviews(topics, exam_at=assessment.due_date, now=ctx.now)
        for topic_id, moment in review_plan.reviews:
            topic = ctx.topics[topic_id]
            day = ctx.local_date(moment)
            release = max(ctx.now, local_midnight(day, ctx.tz))
            deadline = min(assessment.due_date, local_midnight(day + timedelta(days=1), ctx.tz))
            if deadline <= release:
                continue
            mastery, ci, _ = ctx.mastery_of(topic_id)
            item = WorkItem(
                key=f"{WorkKind.EXAM_REVIEW}:{assessment.pk}:{topic_id}:{day.isoformat()}",
                kind=WorkKind.EXAM_REVIEW,
                course_id=str(topic.course_id),
                title=_title(topic, rules.REVIEW, f" before {assessment.name}"),
                task_type=rules.REVIEW,
                difficulty=ctx.difficulty(topic_id, _days_until(ctx, assessment.due_date)),
                minutes=rules.EXAM_REVIEW_MINUTES,
                release=release,
                deadline=deadline,
                priority=rules.priority(
                    rules.PriorityInputs(
                        weight=assessment.weight_percent / 100,
                        mastery=mastery,
                        days_until_due=_days_until(ctx, deadline),
                        confidence_interval=ci,
                        days_since_practice=ctx.days_since_practice(topic_id),
                    )
                ),
                reason=" · ".join(
                    [
                        f"review before {assessment.name} on "
                        f"{rules.short_date(ctx.local_date(assessment.due_date))}",
                        f"P(ready) {review_plan.ready_before:.0%} → "
                        f"{review_plan.ready_after:.0%} with the planned reviews",
                        rules.days_left_text(_days_left(ctx, assessment.due_date)),
                    ]
                ),
                topic_ids=[topic_id],
                assessment_id=str(assessment.pk),
                mastery=mastery,
                target=mastery,
                is_splittable=False,
            )
            items[item.key] = item
