"""At-risk in plain words, in the student's time, with suggestions that can be applied.

The planner reports, per assessment, the free time before its deadline, the minutes its work
needs and the minutes it could not place. Here that becomes what the student reads:

* the course code and the assessment's name, and the due date and time in their zone;
* "needs 12 h, 7 h free before it", and a status that follows from those numbers alone: at
  risk exactly when some of its work is not planned;
* suggestions computed once for the whole plan: work of an at-risk assessment (and the
  prerequisites it waits on) is never suggested for moving or dropping, and each piece of
  work is suggested at most once, so two suggestions can never undo each other. The lowest
  priority work placed before the deadline goes first: moved when it is due later, dropped
  when it is due first;
* applying a suggestion stores a `PlanAdjustment` (read by task generation on every replan,
  so the freed time stays free) and replans.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.errors import ApplicationError
from courses.models import Assessment
from scheduling import planner
from scheduling.models import AdjustmentAction, PlanAdjustment, PlanSnapshot
from scheduling.work import PlanningContext, WorkItem

MINUTES_PER_HOUR = 60


class RiskStatus:
    ON_TRACK = "on_track"
    # Less free time before the deadline than its work needs, whatever else is planned.
    SHORT_OF_TIME = "short_of_time"
    # Enough free time in total, but other work fills part of it.
    CROWDED_OUT = "crowded_out"


def duration_text(minutes: float) -> str:
    """Minutes as a student reads them: "45 min", "12 h", "1 h 30 min"."""
    minutes = max(0, round(minutes))
    hours, rest = divmod(minutes, MINUTES_PER_HOUR)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


def due_text(moment: datetime, ctx: PlanningContext) -> str:
    local = moment.astimezone(ctx.tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def _minutes_before(blocks, deadline: datetime) -> int:
    return sum(
        round((min(block.end, deadline) - block.start).total_seconds() / 60)
        for block in blocks
        if block.start < deadline
    )


def _protected_keys(items: list[WorkItem], at_risk_ids: set[str]) -> set[str]:
    """Work of the at-risk assessments and, transitively, the prerequisites it waits on."""
    by_key = {item.key: item for item in items}
    stack = [item.key for item in items if item.assessment_id in at_risk_ids]
    protected: set[str] = set()
    while stack:
        key = stack.pop()
        if key in protected or key not in by_key:
            continue
        protected.add(key)
        stack.extend(by_key[key].predecessors)
    return protected


def plan_suggestions(result: planner.PlanResult, items: list[WorkItem]) -> dict[str, list[dict]]:
    """Suggestions per at-risk assessment, for the whole plan at once (see the module text)."""
    at_risk = sorted(
        (c for c in result.cushions if c.unscheduled_min > 0),
        key=lambda c: (c.deadline, c.assessment_id),
    )
    if not at_risk:
        return {}
    protected = _protected_keys(items, {c.assessment_id for c in at_risk})
    blocks_by_key: dict[str, list] = {}
    for block in result.blocks:
        blocks_by_key.setdefault(block.task_id, []).append(block)
    candidates = sorted(
        (item for item in items if item.key not in protected and item.key in blocks_by_key),
        key=lambda item: (item.priority, item.key),
    )
    used: set[str] = set()
    suggestions: dict[str, list[dict]] = {}
    for cushion in at_risk:
        chosen: list[dict] = []
        freed = 0
        for item in candidates:
            if freed >= cushion.unscheduled_min:
                break
            if item.key in used:
                continue
            minutes = _minutes_before(blocks_by_key[item.key], cushion.deadline)
            if minutes <= 0:
                continue
            action = (
                AdjustmentAction.MOVE
                if item.deadline > cushion.deadline
                else (AdjustmentAction.DROP)
            )
            chosen.append(
                {
                    "work": item.title,
                    "work_key": item.key,
                    "minutes": minutes,
                    "action": str(action),
                }
            )
            used.add(item.key)
            freed += minutes
        suggestions[cushion.assessment_id] = chosen
    return suggestions


def cushion_rows(
    ctx: PlanningContext, result: planner.PlanResult, items: list[WorkItem]
) -> list[dict]:
    """The at-risk rows the plan snapshot keeps (page, dashboard and API read them)."""
    assessments = {str(a.pk): a for a in ctx.assessments}
    suggestions = plan_suggestions(result, items)
    rows = []
    for cushion in sorted(result.cushions, key=lambda c: (c.deadline, c.assessment_id)):
        assessment = assessments.get(cushion.assessment_id)
        needs = duration_text(cushion.required_min)
        free = duration_text(cushion.available_min)
        short = duration_text(cushion.unscheduled_min)
        chosen = suggestions.get(cushion.assessment_id, [])
        if cushion.unscheduled_min <= 0:
            status = RiskStatus.ON_TRACK
            summary = f"Needs {needs}, {free} free before it: all of it is planned."
        elif cushion.available_min < cushion.required_min:
            status = RiskStatus.SHORT_OF_TIME
            summary = f"Needs {needs}, only {free} free before it: {short} is not planned."
        else:
            status = RiskStatus.CROWDED_OUT
            summary = (
                f"Needs {needs}, {free} free before it, but other work fills part of that "
                f"time: {short} is not planned."
            )
        if chosen:
            freed = duration_text(sum(s["minutes"] for s in chosen))
            summary += f" The suggestions below free {freed}."
        elif status != RiskStatus.ON_TRACK:
            summary += " Add free time before it, or lower other work."
        rows.append(
            {
                "assessment_id": cushion.assessment_id,
                "assessment_name": assessment.name if assessment else "",
                "course_id": cushion.course_id,
                "course_code": assessment.course.code if assessment else "",
                "deadline": cushion.deadline.isoformat(),
                "due_local": due_text(cushion.deadline, ctx),
                "available_min": cushion.available_min,
                "required_min": cushion.required_min,
                "cushion_min": cushion.cushion_min,
                "unscheduled_min": cushion.unscheduled_min,
                "status": status,
                "needs_text": f"needs {needs}, {free} free before it",
                "is_at_risk": status != RiskStatus.ON_TRACK,
                "summary": summary,
                "suggestions": chosen,
            }
        )
    return rows


def plan_suggestion_apply(*, user, assessment: Assessment, work_key: str):
    """Apply one suggestion of the current plan, then replan.

    Only a suggestion the student was shown (in the stored plan) can be applied, so a stale
    page cannot drop work the plan no longer suggests. Raises PlanLocked when a replan is
    running; the adjustment is then not stored either, so the click can simply be retried.
    """
    # plan.py builds its snapshot with cushion_rows above, so it is imported here, not on top.
    from scheduling.services.plan import plan_lock, plan_regenerate

    snapshot = PlanSnapshot.objects.for_user(user).for_pages().first()
    rows = snapshot.cushions if snapshot else []
    row = next((r for r in rows if r["assessment_id"] == str(assessment.pk)), None)
    suggestion = next(
        (s for s in (row or {}).get("suggestions", []) if s.get("work_key") == work_key), None
    )
    if suggestion is None:
        message = "That is not a suggestion of your current plan; reload the page."
        raise ApplicationError(message, field_errors={"work_key": [message]})
    action = suggestion["action"]
    with plan_lock(user.pk), transaction.atomic():
        PlanAdjustment.objects.update_or_create(
            user=user,
            work_key=work_key,
            defaults={
                "action": action,
                "not_before": assessment.due_date if action == AdjustmentAction.MOVE else None,
                "for_assessment": assessment,
            },
        )
        return plan_regenerate(
            user=user, reason=f"applied a suggestion for {assessment.course.code} {assessment.name}"
        )
