"""Placement: where one chunk of a task goes, and the greedy pass."""

from __future__ import annotations

import math
from collections.abc import Iterable

from scheduling.planner.grid import (
    _MINUTES_PER_DAY,
    _align_up,
    _ceil_min,
    _floor_min,
)
from scheduling.planner.state import (
    _FOREVER,
    _NEVER,
    _Day,
    _PlannerState,
    _Task,
)
from scheduling.planner.types import (
    Difficulty,
)

# -- Soft-preference weights (penalty points; the lowest-scoring free place wins) --------------
# How many weighted minutes fit is decided by the task order and the repair and EDF passes;
# these weights only choose WHERE a chunk goes among places that are all feasible.

# Finishing sooner leaves slack for surprises; one point per day of delay is the unit.
EARLINESS_PENALTY_PER_DAY = 1.0
# Spaced practice beats massed practice: a second session of the same topic on one day is
# worth moving up to this many days later.
SAME_TOPIC_SAME_DAY_PENALTY = 12.0
# Interleaving courses: a block right before or after a block of the same course.
SAME_COURSE_NEIGHBOUR_PENALTY = 3.0
# Hard and exam-level work outside the student's better hours.
HARD_OFF_PEAK_PENALTY = 2.5
# Without peak hours we assume earlier in the day's free time is better for hard work:
# this many points per hour after the day's first free minute.
HARD_LATE_PENALTY_PER_HOUR = 0.4
# Easy work taking a peak hour that hard work could use.
EASY_IN_PEAK_PENALTY = 0.5
# Balance: a day already at its cap costs this much more than an empty one.
FULL_DAY_PENALTY = 4.0
# A leftover gap too short for any block (after the break) is wasted time.
WASTED_GAP_PENALTY = 1.5
# A chunk that leaves less than a minimum chunk of its task can only be placed by stretching a
# block later; worth going a couple of weeks later to avoid.
STRANDED_TAIL_PENALTY = 15.0
# The same for EDF construction, whose score is the start minute: a place up to a day later
# that leaves no stranded tail is preferred.
ASAP_TAIL_DELAY_MIN = _MINUTES_PER_DAY
# A prerequisite is placed at its dependant's priority only for this share of the dependant's
# minutes (groundwork worth about half the study it unlocks); the rest of it competes at its
# own priority. Inheriting the whole priority let a cheap prerequisite take the day its
# dependant needed (0.016 of the optimum on a two-task case).
PREREQUISITE_SHARE_OF_DEPENDANT = 0.5


class _Placement(_PlannerState):
    def _chunk_length(self, task: _Task, usable: int) -> tuple[int, bool] | None:
        """(length of the next chunk, whether it leaves a tail too short to place on its own)."""
        remaining = task.wanted
        if not task.spec.is_splittable:
            remaining = task.remaining
            fits = task.placed == 0 and usable >= remaining and remaining <= self.max_len
            return (remaining, False) if fits else None
        if remaining < task.min_len:
            return None
        usable = min(usable, self.max_len)
        length = min(remaining, usable, task.preferred)
        if 0 < usable - length < self.limits.min_block_min + self.gap:
            # The rest of this stretch would be too short for any block: use it.
            length = min(remaining, usable)
        tail = remaining - length
        if 0 < tail < task.min_len:
            if remaining <= usable and remaining <= task.preferred + task.min_len:
                length = remaining
            elif length - (task.min_len - tail) >= task.min_len:
                length -= task.min_len - tail
        if length < task.min_len:
            return None
        return length, 0 < remaining - length < task.min_len

    def _score(
        self, task: _Task, day: _Day, start: int, end: int, seg_end: int, lo_day: int
    ) -> float:
        spec = task.spec
        if self.is_asap:
            return float(start)
        score = EARLINESS_PENALTY_PER_DAY * (day.index - lo_day)
        capacity = max(1, self.limits.cap_min)
        score += FULL_DAY_PENALTY * (capacity - day.cap_left) / capacity
        prev_course = next_course = None
        prev_end, next_start = _NEVER, _FOREVER
        same_topic = False
        for block in day.blocks:
            other = self.tasks[block.task]
            if other.spacing_key == task.spacing_key:
                same_topic = True
            if block.end <= start and block.end > prev_end:
                prev_end, prev_course = block.end, other.spec.course_id
            if block.start >= end and block.start < next_start:
                next_start, next_course = block.start, other.spec.course_id
        for mark in day.marks:
            if mark.topic is not None and f"topic:{mark.topic}" == task.spacing_key:
                same_topic = True
            if mark.end <= start and mark.end > prev_end:
                prev_end, prev_course = mark.end, mark.course
            if mark.start >= end and mark.start < next_start:
                next_start, next_course = mark.start, mark.course
        if same_topic:
            score += SAME_TOPIC_SAME_DAY_PENALTY
        if spec.course_id in (prev_course, next_course):
            score += SAME_COURSE_NEIGHBOUR_PENALTY
        peak_hours = self.limits.peak_hours
        if peak_hours:
            # Minutes since local midnight; on a DST day this is off by the shift, which is
            # fine for a soft preference.
            is_peak = ((start - day.start) // 60) in peak_hours
            if task.is_hard and not is_peak:
                score += HARD_OFF_PEAK_PENALTY
            elif spec.difficulty == Difficulty.EASY and is_peak:
                score += EASY_IN_PEAK_PENALTY
        elif task.is_hard:
            score += HARD_LATE_PENALTY_PER_HOUR * (start - day.first_free) / 60
        rest = seg_end - end
        if 0 < rest < self.limits.min_block_min + self.gap:
            score += WASTED_GAP_PENALTY
        return score

    def _positions(
        self, task: _Task, day: _Day, start: int, end_limit: int, length: int
    ) -> list[int]:
        positions = [start]
        if task.is_hard and self.limits.peak_hours:
            for hour in self.limits.peak_hours:
                candidate = _align_up(max(start, day.start + hour * 60), self.step)
                if candidate > start and candidate + length <= end_limit:
                    positions.append(candidate)
                    break
        return positions

    def _best_place(self, task: _Task, days: Iterable[int] | None = None) -> tuple[int, int] | None:
        lo, hi = self._window(task)
        if hi - lo < task.min_len:
            return None
        need = task.remaining if not task.spec.is_splittable else task.min_len
        lo_day = self._day_of(lo)
        course = task.spec.course_id
        best: tuple[float, int, int] | None = None
        for day_index in self._day_range(lo, hi) if days is None else days:
            day = self.days[day_index]
            if day.cap_left < need or day.end <= lo or day.start >= hi:
                continue
            if self._slots_left(day) <= 0:
                continue
            for seg_start, seg_end in self._free(day, course):
                if seg_end <= lo:
                    continue
                if seg_start >= hi:
                    break
                start = _align_up(max(seg_start, lo), self.step)
                end_limit = min(seg_end, hi)
                usable = min(end_limit - start, day.cap_left)
                if usable < need:
                    continue
                chunk = self._chunk_length(task, usable)
                if chunk is None:
                    continue
                length, leaves_tail = chunk
                for position in self._positions(task, day, start, end_limit, length):
                    score = self._score(task, day, position, position + length, seg_end, lo_day)
                    if leaves_tail:
                        score += ASAP_TAIL_DELAY_MIN if self.is_asap else STRANDED_TAIL_PENALTY
                    if best is None or (score, position) < (best[0], best[1]):
                        best = (score, position, length)
        return None if best is None else (best[1], best[1] + best[2])

    def _fill(self, task: _Task, days: Iterable[int] | None = None, max_chunks: int = 10**6) -> int:
        placed = 0
        for _ in range(max_chunks):
            if task.wanted <= 0 or (not task.spec.is_splittable and task.placed > 0):
                break
            place = self._best_place(task, days)
            if place is None:
                break
            self._add(task, *place)
            placed += place[1] - place[0]
        return placed

    # -- phases ------------------------------------------------------------------------------

    def keep_previous(self) -> None:
        by_depth = sorted(
            (t for t in self.tasks if not t.in_cycle and t.spec.previous_blocks),
            key=lambda t: (t.depth, -t.effective_priority, t.spec.id),
        )
        for task in by_depth:
            previous = sorted(
                (_ceil_min(b.start), _floor_min(b.end)) for b in task.spec.previous_blocks
            )
            if not task.spec.is_splittable and (
                len(previous) != 1 or previous[0][1] - previous[0][0] != task.spec.duration_min
            ):
                continue
            for start, previous_end in previous:
                if task.remaining < task.min_len or previous_end - start < task.min_len:
                    continue
                # Less work left than the block holds (some was done): keep its start.
                end = min(previous_end, start + task.remaining)
                if self._is_free(task, start, end):
                    self._add(task, start, end, is_kept=end == previous_end)
        self.log.clear()

    def _is_free(self, task: _Task, start: int, end: int) -> bool:
        lo, hi = self._window(task)
        if start < lo or end > hi or end <= start:
            return False
        day_index = self._day_of(start)
        if day_index < 0 or day_index >= len(self.days):
            return False
        day = self.days[day_index]
        if end > day.end or day.cap_left < end - start or end - start > self.max_len:
            return False
        if self._slots_left(day) <= 0:
            return False
        return any(s <= start and end <= e for s, e in self._free(day, task.spec.course_id))

    def greedy(self) -> None:
        # A prerequisite goes at its dependant's priority only for its quota; the rest of it
        # waits for its own turn (it may then find no room before the dependant: fine).
        entries: list[tuple[tuple, _Task, int]] = []
        for task in self.order:
            own = (-task.spec.priority, task.depth, task.hi, task.spec.id)
            quota = self.prerequisite_quota(task)
            if quota > 0:
                inherited = (-task.effective_priority, task.depth, task.hi, task.spec.id)
                entries.append((inherited, task, quota))
            entries.append((own, task, _FOREVER))
        for _, task, quota in sorted(entries, key=lambda entry: entry[0]):
            task.quota = quota
            self._fill(task)
            task.quota = _FOREVER
        self.log.clear()

    def prerequisite_quota(self, task: _Task) -> int:
        """Minutes of `task` placed at its dependants' priority (see the constant)."""
        needed = [
            self.tasks[d].spec.duration_min
            for d in task.descendants
            if self.tasks[d].spec.priority > task.spec.priority
        ]
        if not needed:
            return 0
        if not task.spec.is_splittable:
            return task.spec.duration_min  # one block or nothing: no share of it
        return max(task.min_len, math.ceil(PREREQUISITE_SHARE_OF_DEPENDANT * max(needed)))
