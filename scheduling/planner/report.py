"""The result: placed blocks, unscheduled work with its reason, cushions."""

from __future__ import annotations

import math

from scheduling.planner.grid import (
    _floor_min,
    _format_local,
    _intersect,
    _to_datetime,
)
from scheduling.planner.state import (
    _PlannerState,
    _Task,
)
from scheduling.planner.types import (
    AssessmentCushion,
    CushionSuggestion,
    DayLoad,
    PlannedBlock,
    PlanResult,
    SuggestionAction,
    UnscheduledReason,
    UnscheduledWork,
)


class _Reporting(_PlannerState):
    # -- result ------------------------------------------------------------------------------

    def result(self) -> PlanResult:
        blocks: list[PlannedBlock] = []
        for task in self.tasks:
            for chunk_index, block in enumerate(task.blocks):
                blocks.append(
                    PlannedBlock(
                        task_id=task.spec.id,
                        start=_to_datetime(block.start),
                        end=_to_datetime(block.end),
                        course_id=task.spec.course_id,
                        chunk_index=chunk_index,
                        topic_key=task.spec.topic_key,
                        is_kept=block.is_kept,
                    )
                )
        blocks.sort(key=lambda b: (b.start, b.task_id))
        placed = sum(t.placed for t in self.tasks)
        weighted = math.fsum(t.placed * t.spec.priority for t in self.tasks)
        loads = tuple(
            DayLoad(
                date=day.date,
                planned_min=sum(b.end - b.start for b in day.blocks),
                locked_min=day.locked_min,
            )
            for day in self.days
        )
        return PlanResult(
            blocks=tuple(blocks),
            unscheduled=tuple(self._unscheduled()),
            cushions=tuple(self._cushions()),
            day_loads=loads,
            placed_min=placed,
            weighted_min=weighted,
            kept_block_count=sum(1 for b in blocks if b.is_kept),
        )

    def _capacity(self, lo: int, hi: int, *, after_plan: bool, course: str = "") -> tuple[int, int]:
        """(minutes usable for study in [lo, hi), longest usable stretch), per-day caps applied."""
        total = longest = 0
        for day_index in self._day_range(lo, hi):
            day = self.days[day_index]
            spans = self._free(day, course) if after_plan else day.base
            cap = day.cap_left if after_plan else day.initial_cap_left
            inside = _intersect(spans, [(lo, hi)])
            total += min(cap, sum(e - s for s, e in inside))
            longest = max([longest] + [min(cap, e - s) for s, e in inside])
        return total, longest

    def _unscheduled(self) -> list[UnscheduledWork]:
        items: list[UnscheduledWork] = []
        for task in self.tasks:
            missing = task.remaining
            if not task.spec.is_splittable and task.placed == 0:
                missing = task.spec.duration_min
            if missing <= 0:
                continue
            code, reason = self._reason(task, missing)
            items.append(
                UnscheduledWork(
                    task_id=task.spec.id,
                    course_id=task.spec.course_id,
                    unscheduled_min=missing,
                    placed_min=task.placed,
                    reason_code=code,
                    reason=reason,
                )
            )
        return items

    def _reason(self, task: _Task, missing: int) -> tuple[UnscheduledReason, str]:
        spec = task.spec
        deadline = _floor_min(spec.deadline)
        due = _format_local(deadline, self.tz)
        if deadline <= self.now:
            return UnscheduledReason.DEADLINE_PASSED, f"deadline already passed ({due})"
        if task.in_cycle:
            others = (
                ", ".join(self.tasks[a].spec.id for a in task.ancestors if a != task.index)
                or spec.id
            )
            return UnscheduledReason.PREREQUISITE_CYCLE, f"prerequisites form a cycle ({others})"
        if task.lo >= self.h_end:
            return (
                UnscheduledReason.OUTSIDE_HORIZON,
                f"released after the planning horizon ({_format_local(task.lo, self.tz)})",
            )
        if task.hi <= task.lo:
            return (
                UnscheduledReason.OUTSIDE_HORIZON,
                f"no time between release and deadline inside the horizon (due {due})",
            )
        limit = "the end of the horizon" if deadline > self.h_end else f"deadline {due}"
        if not spec.is_splittable and spec.duration_min > self.max_len:
            return (
                UnscheduledReason.NO_LONG_ENOUGH_SLOT,
                f"needs one block of {spec.duration_min} min; the longest block allowed is "
                f"{self.max_len} min",
            )
        lo, hi = self._window(task)
        course = spec.course_id
        free_left, longest_left = self._capacity(task.lo, task.hi, after_plan=True, course=course)
        if lo > task.lo:
            after_left, _ = self._capacity(lo, hi, after_plan=True, course=course)
            blocker = self._blocking_prerequisite(task, lo)
            if after_left < task.min_len and free_left >= task.min_len and blocker is not None:
                return (
                    UnscheduledReason.WAITING_ON_PREREQUISITE,
                    f"waiting on prerequisite {blocker} (its last block ends "
                    f"{_format_local(lo, self.tz)}; needs {missing} min before {limit})",
                )
        total, _ = self._capacity(task.lo, task.hi, after_plan=False)
        if total < spec.duration_min:
            return (
                UnscheduledReason.NOT_ENOUGH_FREE_TIME,
                f"not enough free time before {limit} (needs {missing} min, {free_left} min free)",
            )
        if free_left < missing:
            return (
                UnscheduledReason.TAKEN_BY_OTHER_WORK,
                f"free time before {limit} is taken by other planned work "
                f"(needs {missing} min, {free_left} min free)",
            )
        shortest = spec.duration_min if not spec.is_splittable else task.min_len
        if longest_left >= shortest:
            # A stretch long enough exists, so length is not the reason: what is left of it
            # after breaks, course-switch gaps and the day's limits is.
            return (
                UnscheduledReason.NO_LONG_ENOUGH_SLOT,
                f"the free time left before {limit} is cut short by breaks, gaps between "
                f"courses or the daily limits (needs {missing} min more)",
            )
        return (
            UnscheduledReason.NO_LONG_ENOUGH_SLOT,
            f"no free stretch of {shortest} min before {limit} "
            f"(needs {missing} min; longest free stretch {longest_left} min)",
        )

    def _blocking_prerequisite(self, task: _Task, lo: int) -> str | None:
        for index in task.ancestors:
            ancestor = self.tasks[index]
            ends = [ancestor.locked_end] + [b.end for b in ancestor.blocks[-1:]]
            if max(ends) >= lo:
                return ancestor.spec.id
        return None

    def _cushions(self) -> list[AssessmentCushion]:
        by_assessment: dict[str, list[_Task]] = {}
        for task in self.tasks:
            if task.spec.assessment_id is not None:
                by_assessment.setdefault(task.spec.assessment_id, []).append(task)
        cushions: list[AssessmentCushion] = []
        for assessment_id in sorted(by_assessment):
            members = by_assessment[assessment_id]
            deadline = max(_floor_min(t.spec.deadline) for t in members)
            course_id = min(t.spec.course_id for t in members)
            start = max(self.now, self.h_start)
            available, _ = self._capacity(start, min(deadline, self.h_end), after_plan=False)
            required = sum(t.spec.duration_min for t in members)
            unscheduled = sum(
                t.spec.duration_min if (not t.spec.is_splittable and t.placed == 0) else t.remaining
                for t in members
            )
            cushion = available - required
            is_at_risk = cushion < 0 or unscheduled > 0
            suggestions = self._suggestions(course_id, deadline, unscheduled) if unscheduled else ()
            due = _format_local(deadline, self.tz)
            if not is_at_risk:
                summary = f"{cushion} min to spare before {due}"
            elif suggestions:
                freed = sum(s.minutes for s in suggestions)
                summary = (
                    f"{unscheduled} min short before {due}; moving or dropping "
                    f"{', '.join(s.task_id for s in suggestions)} would free {freed} min"
                )
            else:
                summary = f"{max(unscheduled, -cushion)} min short before {due}"
            cushions.append(
                AssessmentCushion(
                    assessment_id=assessment_id,
                    course_id=course_id,
                    deadline=_to_datetime(deadline),
                    available_min=available,
                    required_min=required,
                    cushion_min=cushion,
                    unscheduled_min=unscheduled,
                    is_at_risk=is_at_risk,
                    suggestions=suggestions,
                    summary=summary,
                )
            )
        return cushions

    def _suggestions(
        self, course_id: str, deadline: int, shortfall: int
    ) -> tuple[CushionSuggestion, ...]:
        candidates: list[tuple[float, str, _Task, int]] = []
        for task in self.tasks:
            if task.spec.course_id == course_id:
                continue
            minutes = sum(min(b.end, deadline) - b.start for b in task.blocks if b.start < deadline)
            if minutes > 0:
                candidates.append((task.spec.priority, task.spec.id, task, minutes))
        candidates.sort(key=lambda item: (item[0], item[1]))
        chosen: list[CushionSuggestion] = []
        covered = 0
        for priority, _, task, minutes in candidates:
            if covered >= shortfall:
                break
            action = (
                SuggestionAction.MOVE
                if _floor_min(task.spec.deadline) > deadline
                else SuggestionAction.DROP
            )
            chosen.append(
                CushionSuggestion(task.spec.id, task.spec.course_id, minutes, priority, action)
            )
            covered += minutes
        return tuple(chosen)
