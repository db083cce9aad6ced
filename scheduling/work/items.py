"""The work a student needs: per assessment topic, prerequisites, practice and reviews."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from courses.models import Assessment, Topic
from mastery import engine
from scheduling import rules
from scheduling.models import AdjustmentAction
from scheduling.work.context import (
    CARD_REVIEW_WINDOW_DAYS,
    REVIEW_WEIGHT,
    REVIEW_WINDOW_DAYS,
    UNKNOWN_CI,
    UNKNOWN_MASTERY,
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
        if not links:
            item = _preparation_item(ctx, assessment, in_horizon=in_horizon)
            if item is not None:
                items[item.key] = item
            continue
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
    _add_card_reviews(ctx, items)
    _add_exam_reviews(ctx, items)
    for item in items.values():
        if item.key in ctx.skipped_keys:
            item.priority *= rules.SKIPPED_PRIORITY_FACTOR
            item.reason = (
                f"{item.reason} · skipped or missed before: priority "
                f"x{rules.SKIPPED_PRIORITY_FACTOR:g}"
            )
    _apply_adjustments(ctx, items)
    return [items[key] for key in sorted(items)]


def _apply_adjustments(ctx: PlanningContext, items: dict[str, WorkItem]) -> None:
    """The at-risk suggestions the student applied: dropped work goes, moved work waits for
    the deadline it made room before (unless that is no longer before its own deadline)."""
    dropped = set()
    for key, adjustment in ctx.adjustments.items():
        item = items.get(key)
        if item is None:
            continue
        if adjustment.action == AdjustmentAction.DROP:
            dropped.add(key)
            del items[key]
        elif adjustment.not_before is not None and adjustment.not_before < item.deadline:
            item.release = max(item.release, adjustment.not_before)
            target = adjustment.for_assessment
            item.reason = f"{item.reason} · moved after {target.course.code} {target.name}"
    if dropped:
        for item in items.values():
            item.predecessors = [p for p in item.predecessors if p not in dropped]


def _preparation_item(
    ctx: PlanningContext, assessment: Assessment, *, in_horizon: float
) -> WorkItem | None:
    """Study for an assessment with no topics, sized from its type, weight and duration, so a
    deadline imported from a calendar feed is never left without study time."""
    course_id = str(assessment.course_id)
    minutes = rules.preparation_minutes(
        assessment_type=assessment.type,
        weight_percent=assessment.weight_percent,
        estimated_duration_min=assessment.estimated_duration_min,
        curve=ctx.curve,
    )
    minutes = rules.round_up(minutes * in_horizon)
    if minutes <= 0:
        return None
    # Homework and projects are prepared by doing them; for a test, practice problems.
    if assessment.type in rules.HANDED_IN_TYPES:
        task_type = rules.PROJECT
    else:
        task_type = rules.choose_task_type(
            mastery=rules.LOW_MASTERY_BELOW, study_modes=ctx.study_modes(course_id)
        )
    minutes = ctx.scaled_minutes(minutes, course_id, task_type)
    days_until_due = _days_until(ctx, assessment.due_date)
    weight = max(assessment.weight_percent, rules.PREPARATION_MIN_WEIGHT_PERCENT)
    estimated = " (estimated)" if assessment.weight_is_estimated else ""
    return WorkItem(
        key=f"{WorkKind.PREPARATION}:{assessment.pk}",
        kind=WorkKind.PREPARATION,
        course_id=course_id,
        title=f"Prepare for {assessment.name} ({assessment.course.code})"[:255],
        task_type=task_type,
        # No topic, so no mastery: the difficulty the engine gives a new topic at this distance.
        difficulty=ctx.difficulty(f"{WorkKind.PREPARATION}:{assessment.pk}", days_until_due),
        minutes=minutes,
        release=ctx.now,
        deadline=assessment.due_date,
        priority=rules.priority(
            rules.PriorityInputs(
                weight=weight / 100,
                mastery=UNKNOWN_MASTERY,
                days_until_due=days_until_due,
                confidence_interval=UNKNOWN_CI,
                days_since_practice=None,
            )
        ),
        reason=" · ".join(
            [
                f"{assessment.get_type_display().lower()} worth "
                f"{assessment.weight_percent:g}%{estimated}, due "
                f"{rules.short_date(ctx.local_date(assessment.due_date))}",
                "no topics yet: time sized from its type, weight and length",
                rules.days_left_text(_days_left(ctx, assessment.due_date)),
            ]
        ),
        topic_ids=[],
        assessment_id=str(assessment.pk),
        mastery=UNKNOWN_MASTERY,
        target=rules.target_mastery(assessment.type),
    )


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


def _practice_topics(ctx: PlanningContext, items: dict[str, WorkItem]) -> list[str]:
    """Topics with a recent poor result, and declining topics below 60 that no current work
    covers."""
    covered = {tid for item in items.values() for tid in item.topic_ids}
    topics = {t for t in ctx.poor_results if t in ctx.topics}
    for topic_id, record in ctx.records.items():
        if topic_id in covered or topic_id not in ctx.topics:
            continue
        if record.trend == engine.Trend.DECLINING and record.mastery_score < (
            rules.PRACTICE_BELOW_MASTERY
        ):
            topics.add(topic_id)
    return sorted(topics)


def _add_practice(ctx: PlanningContext, items: dict[str, WorkItem]) -> None:
    """Module 3: a poor result gives three 30-minute medium sessions at x1.5 priority, a day
    apart, within a week of the result."""
    for topic_id in _practice_topics(ctx, items):
        topic = ctx.topics[topic_id]
        record = ctx.records.get(topic_id)
        mastery, ci, has_record = ctx.mastery_of(topic_id)
        poor_at = ctx.poor_results.get(topic_id)
        # Anchored on the evidence, not on now, so keys and windows are stable across replans.
        anchor = poor_at or (record.last_practiced_at if record else None) or ctx.now
        deadline = max(
            anchor + timedelta(days=rules.PRACTICE_WINDOW_DAYS),
            ctx.now + timedelta(days=rules.PRACTICE_SESSIONS + 1),
        )
        task_type = rules.choose_task_type(
            mastery=mastery, study_modes=ctx.study_modes(str(topic.course_id))
        )
        base_priority = rules.priority(
            rules.PriorityInputs(
                weight=rules.PRACTICE_WEIGHT,
                mastery=mastery,
                days_until_due=_days_until(ctx, deadline),
                confidence_interval=ci,
                days_since_practice=ctx.days_since_practice(topic_id),
            )
        )
        cause = (
            f"score under {rules.POOR_RESULT_PERCENT:.0f}% on "
            f"{rules.short_date(ctx.local_date(poor_at))}"
            if poor_at
            else "recent result was poor"
        )
        previous_key = None
        for session in range(1, rules.PRACTICE_SESSIONS + 1):
            key = f"{WorkKind.PRACTICE}:{topic_id}:{session}"
            item = WorkItem(
                key=key,
                kind=WorkKind.PRACTICE,
                course_id=str(topic.course_id),
                title=_title(
                    topic, task_type, f" (practice {session} of {rules.PRACTICE_SESSIONS})"
                ),
                task_type=task_type,
                difficulty=rules.PRACTICE_DIFFICULTY,
                minutes=rules.PRACTICE_MINUTES,
                release=max(ctx.now, anchor + timedelta(days=session - 1)),
                deadline=deadline,
                priority=base_priority * rules.PRACTICE_PRIORITY_FACTOR,
                reason=" · ".join(
                    [
                        cause,
                        rules.mastery_text(mastery, ci, has_record=has_record),
                        f"practice {session} of {rules.PRACTICE_SESSIONS}, "
                        f"priority x{rules.PRACTICE_PRIORITY_FACTOR:g}",
                    ]
                ),
                topic_ids=[topic_id],
                mastery=mastery,
                target=rules.PRACTICE_BELOW_MASTERY,
                is_splittable=False,
                predecessors=[previous_key] if previous_key else [],
            )
            items[item.key] = item
            previous_key = key


def _topic_weight(ctx: PlanningContext, topic_id: str) -> float:
    weights = [
        a.weight_percent / 100
        for a in ctx.assessments
        if any(str(link.topic_id) == topic_id for link in a.assessment_topics.all())
    ]
    return max(weights, default=rules.clamp(REVIEW_WEIGHT, 0, 1))


def _earliest_review_day(ctx: PlanningContext, topic_id: str) -> date:
    """The student's `min_review_interval_days` after the topic was last practised."""
    record = ctx.records.get(topic_id)
    if record is None or record.last_practiced_at is None:
        return ctx.local_date(ctx.now)
    gap = timedelta(days=ctx.preferences.min_review_interval_days)
    return ctx.local_date(record.last_practiced_at) + gap


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
        day = max(due, today, _earliest_review_day(ctx, topic_id))
        if day > last_day:
            continue
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


def _add_card_reviews(ctx: PlanningContext, items: dict[str, WorkItem]) -> None:
    """One flashcard block per topic and day with cards due, sized by the due count times the
    student's measured seconds per card; overdue cards join today's block."""
    today = ctx.local_date(ctx.now)
    last_day = ctx.local_date(ctx.horizon_end)
    for topic_id in sorted(ctx.card_due):
        topic = ctx.topics.get(topic_id)
        if topic is None:
            continue
        per_day: dict[date, int] = defaultdict(int)
        for day, count in ctx.card_due[topic_id].items():
            per_day[max(day, today)] += count
        for day in sorted(per_day):
            if day > last_day:
                continue
            count = per_day[day]
            minutes = rules.card_review_minutes(count, ctx.seconds_per_card)
            release = max(ctx.now, local_midnight(day, ctx.tz))
            deadline = local_midnight(day + timedelta(days=CARD_REVIEW_WINDOW_DAYS), ctx.tz)
            mastery, ci, has_record = ctx.mastery_of(topic_id)
            item = WorkItem(
                key=f"{WorkKind.CARDS}:{topic_id}:{day.isoformat()}",
                kind=WorkKind.CARDS,
                course_id=str(topic.course_id),
                title=_title(topic, rules.FLASHCARDS, f" ({count} cards due)"),
                task_type=rules.FLASHCARDS,
                difficulty=ctx.difficulty(topic_id, None),
                minutes=minutes,
                release=release,
                deadline=deadline,
                priority=rules.priority(
                    rules.PriorityInputs(
                        weight=_topic_weight(ctx, topic_id),
                        mastery=mastery,
                        days_until_due=_days_until(ctx, deadline),
                        confidence_interval=ci,
                        days_since_practice=ctx.days_since_practice(topic_id),
                    )
                ),
                reason=" · ".join(
                    [
                        f"{count} flashcards due {rules.short_date(day)}",
                        f"{ctx.seconds_per_card:.0f} s a card (your pace)",
                        rules.mastery_text(mastery, ci, has_record=has_record),
                    ]
                ),
                topic_ids=[topic_id],
                mastery=mastery,
                target=mastery,
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
        gap = timedelta(days=ctx.preferences.min_review_interval_days)
        last_review_day: dict[str, date] = {}
        for topic_id, moment in review_plan.reviews:
            topic = ctx.topics[topic_id]
            day = ctx.local_date(moment)
            # The student's minimum interval holds after the last practice and between these
            # reviews (the plan's reviews come in time order per topic).
            previous = last_review_day.get(topic_id)
            if day < _earliest_review_day(ctx, topic_id) or (
                previous is not None and day < previous + gap
            ):
                continue
            last_review_day[topic_id] = day
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
