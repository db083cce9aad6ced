"""The planner's working state: days, tasks and blocks, with a log for rollback."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

from scheduling.planner.grid import (
    _ceil_min,
    _floor_min,
    _free_spans,
    _local_midnights,
    _subtract,
    _to_datetime,
)
from scheduling.planner.types import (
    _HARD_DIFFICULTIES,
    PlanRequest,
    PlanTask,
    _effective_min_chunk,
    _zone,
)

_NEVER = -(2**62)
_FOREVER = 2**62


# -- Planner state --------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    task: int
    start: int
    end: int
    day: int
    is_kept: bool = False


@dataclass(slots=True)
class _Mark:
    """A locked block as seen by the soft preferences of its day."""

    start: int
    end: int
    course: str | None
    topic: str | None


@dataclass(slots=True)
class _Day:
    index: int
    date: date
    start: int
    end: int
    base: list[tuple[int, int]]
    cap_left: int
    locked_min: int
    marks: list[_Mark]
    first_free: int
    blocks: list[_Block] = field(default_factory=list)
    # Free time left for a block of each course (gaps depend on the neighbours' courses).
    free_cache: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # Locked blocks on this day or close enough to its edges to need a gap from its blocks.
    near_locked: list[tuple[int, int, str | None]] = field(default_factory=list)
    # Capacity before any task was placed: free time after busy/locked, and the cap left.
    initial_cap_left: int = 0


@dataclass(slots=True)
class _Task:
    spec: PlanTask
    index: int
    lo: int
    hi: int
    min_len: int
    preferred: int
    spacing_key: str
    is_hard: bool
    in_cycle: bool = False
    ancestors: tuple[int, ...] = ()
    descendants: tuple[int, ...] = ()
    locked_end: int = _NEVER
    effective_priority: float = 0.0
    depth: int = 0
    blocks: list[_Block] = field(default_factory=list)
    placed: int = 0
    # Temporary extra limit on the window's end (EDF keeps room for a dependant).
    hi_cap: int = _FOREVER
    # Temporary limit on the minutes placed so far (a prerequisite's inherited share).
    quota: int = _FOREVER

    @property
    def remaining(self) -> int:
        return self.spec.duration_min - self.placed

    @property
    def wanted(self) -> int:
        """What the current pass may still place: the remaining minutes within the quota."""
        return min(self.remaining, self.quota - self.placed)


def _reach(start: int, edges: list[list[int]]) -> set[int]:
    """Every node reachable from `start` by one or more edges (includes `start` on a cycle)."""
    seen: set[int] = set()
    stack = list(edges[start])
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges[node])
    return seen


class _PlannerState:
    def __init__(self, request: PlanRequest, *, is_dense: bool = False) -> None:
        self.request = request
        # ASAP: the earliest place wins, soft preferences ignored (EDF construction).
        self.is_asap = False
        self.is_built_by_edf = False
        # Dense: chunks as long as the free stretch allows (fewer breaks, more minutes).
        self.is_dense = is_dense
        self.limits = request.limits
        self.tz = _zone(request.timezone)
        self.step = self.limits.granularity_min
        # The smallest gap between two blocks (same course); see `_gap` for the rule.
        self.gap = self.limits.break_min
        self.max_len = self.limits.max_block_min
        self.now = _ceil_min(request.now)
        self.h_start = _ceil_min(request.horizon_start)
        self.h_end = _floor_min(request.horizon_end)
        self.log: list[tuple[str, _Block]] = []
        self.weighted = 0.0
        self._build_days()
        self._build_tasks()

    # -- setup -----------------------------------------------------------------------------

    def _build_days(self) -> None:
        limits = self.limits
        first = _to_datetime(self.h_start).astimezone(self.tz).date()
        last = _to_datetime(max(self.h_start, self.h_end - 1)).astimezone(self.tz).date()
        midnights = _local_midnights(first, last, self.tz)
        busy = [(_floor_min(b.start), _ceil_min(b.end)) for b in self.request.busy]
        locked = sorted(
            (
                (_floor_min(lb.start), _ceil_min(lb.end), lb)
                for lb in self.request.locked
                if lb.end > lb.start
            ),
            key=lambda item: (item[0], item[1], item[2].task_id or ""),
        )
        free = _free_spans(
            self.request.availability,
            self.tz,
            max(self.h_start, self.now),
            self.h_end,
            busy,
            limits.buffer_min,
            limits.earliest_start,
            limits.latest_end,
        )
        # Locked blocks are occupied, and (break rule) so is `break_min` on either side; the
        # longer gap when switching course is applied per course in `_free`.
        free = _subtract(free, ((s - self.gap, e + self.gap) for s, e, _ in locked))
        reach = limits.widest_gap
        self.days: list[_Day] = []
        self.day_starts: list[int] = []
        cap = limits.cap_min
        for index in range(len(midnights) - 1):
            day_date, start = midnights[index]
            end = midnights[index + 1][1]
            day_locked = [item for item in locked if start <= item[0] < end]
            locked_min = sum(e - s for s, e, _ in day_locked)
            base = [(s, e) for s, e in free if start <= s < end]
            cap_left = max(0, cap - locked_min)
            day = _Day(
                index=index,
                date=day_date,
                start=start,
                end=end,
                base=base,
                cap_left=cap_left,
                locked_min=locked_min,
                marks=[_Mark(s, e, lb.course_id, lb.topic_key) for s, e, lb in day_locked],
                first_free=base[0][0] if base else start,
                initial_cap_left=cap_left,
                near_locked=[
                    (s, e, lb.course_id)
                    for s, e, lb in locked
                    if s < end + reach and e > start - reach
                ],
            )
            self.days.append(day)
            self.day_starts.append(start)
        self.locked = locked

    def _build_tasks(self) -> None:
        limits = self.limits
        specs = sorted(self.request.tasks, key=lambda t: t.id)
        self.index_of = {spec.id: i for i, spec in enumerate(specs)}
        self.tasks: list[_Task] = []
        for index, spec in enumerate(specs):
            min_len = _effective_min_chunk(spec, limits)
            self.tasks.append(
                _Task(
                    spec=spec,
                    index=index,
                    lo=max(_ceil_min(spec.release), self.now, self.h_start),
                    hi=min(_floor_min(spec.deadline), self.h_end),
                    min_len=min_len,
                    preferred=min(max(limits.preferred_block_min, min_len), self.max_len)
                    if not self.is_dense
                    else self.max_len,
                    spacing_key=(
                        f"topic:{spec.topic_key}" if spec.topic_key else f"task:{spec.id}"
                    ),
                    is_hard=spec.difficulty in _HARD_DIFFICULTIES,
                )
            )
        for _, end, locked in self.locked:
            if locked.task_id in self.index_of:
                task = self.tasks[self.index_of[locked.task_id]]
                task.locked_end = max(task.locked_end, end)
        preds = [
            sorted({self.index_of[p] for p in t.spec.predecessors if p in self.index_of})
            for t in self.tasks
        ]
        succs: list[list[int]] = [[] for _ in self.tasks]
        for index, pred_list in enumerate(preds):
            for pred in pred_list:
                succs[pred].append(index)
        self.preds = preds
        for task in self.tasks:
            task.ancestors = tuple(sorted(_reach(task.index, preds)))
            task.descendants = tuple(sorted(_reach(task.index, succs)))
            task.in_cycle = task.index in task.ancestors
        for task in self.tasks:
            task.depth = sum(1 for a in task.ancestors if not self.tasks[a].in_cycle)
            task.effective_priority = max(
                [task.spec.priority]
                + [self.tasks[d].spec.priority for d in task.descendants if not task.in_cycle]
            )
        self.order = sorted(
            (t for t in self.tasks if not t.in_cycle and t.spec.duration_min > 0),
            key=lambda t: (-t.effective_priority, t.depth, t.hi, t.spec.id),
        )

    # -- state changes (logged so the repair pass can roll back) ---------------------------

    def _day_of(self, minute: int) -> int:
        return bisect.bisect_right(self.day_starts, minute) - 1

    def _add(self, task: _Task, start: int, end: int, *, is_kept: bool = False) -> _Block:
        day = self.days[self._day_of(start)]
        block = _Block(task.index, start, end, day.index, is_kept)
        bisect.insort(day.blocks, block, key=lambda b: b.start)
        bisect.insort(task.blocks, block, key=lambda b: b.start)
        day.cap_left -= end - start
        self._touch(day)
        task.placed += end - start
        self.weighted += task.spec.priority * (end - start)
        self.log.append(("add", block))
        return block

    def _remove(self, block: _Block) -> None:
        day = self.days[block.day]
        task = self.tasks[block.task]
        day.blocks.remove(block)
        task.blocks.remove(block)
        day.cap_left += block.end - block.start
        self._touch(day)
        task.placed -= block.end - block.start
        self.weighted -= task.spec.priority * (block.end - block.start)
        self.log.append(("remove", block))

    def _rollback(self, mark: int) -> None:
        while len(self.log) > mark:
            action, block = self.log.pop()
            day = self.days[block.day]
            task = self.tasks[block.task]
            length = block.end - block.start
            if action == "add":
                day.blocks.remove(block)
                task.blocks.remove(block)
                day.cap_left += length
                task.placed -= length
                self.weighted -= task.spec.priority * length
            else:
                bisect.insort(day.blocks, block, key=lambda b: b.start)
                bisect.insort(task.blocks, block, key=lambda b: b.start)
                day.cap_left -= length
                task.placed += length
                self.weighted += task.spec.priority * length
            self._touch(day)

    # -- queries -----------------------------------------------------------------------------

    def _touch(self, day: _Day) -> None:
        # Breaks hold across local midnight, so the neighbouring days' free time changes too.
        for index in (day.index - 1, day.index, day.index + 1):
            if 0 <= index < len(self.days):
                self.days[index].free_cache.clear()

    def _gap(self, course: str | None, other: str | None) -> int:
        return self.limits.gap_between(course, other)

    def _neighbours(self, day: _Day) -> list[_Block]:
        """The day's blocks and the nearest block on each side of its midnights."""
        blocks = list(day.blocks)
        if day.index > 0 and self.days[day.index - 1].blocks:
            blocks.append(self.days[day.index - 1].blocks[-1])
        if day.index + 1 < len(self.days) and self.days[day.index + 1].blocks:
            blocks.append(self.days[day.index + 1].blocks[0])
        return blocks

    def _free(self, day: _Day, course: str) -> list[tuple[int, int]]:
        """Where a block of `course` may go on `day`, keeping every gap to every neighbour."""
        spans = day.free_cache.get(course)
        if spans is None:
            cuts = []
            for block in self._neighbours(day):
                gap = self._gap(course, self.tasks[block.task].spec.course_id)
                cuts.append((block.start - gap, block.end + gap))
            for start, end, locked_course in day.near_locked:
                gap = self._gap(course, locked_course)
                if gap > self.gap:
                    cuts.append((start - gap, end + gap))
            spans = _subtract(day.base, cuts)
            day.free_cache[course] = spans
        return spans

    def _slots_left(self, day: _Day) -> int:
        return self.limits.max_blocks_per_day - len(day.marks) - len(day.blocks)

    def _window(self, task: _Task) -> tuple[int, int]:
        lo, hi = task.lo, min(task.hi, task.hi_cap)
        for index in task.ancestors:
            ancestor = self.tasks[index]
            lo = max(lo, ancestor.locked_end)
            if ancestor.blocks:
                lo = max(lo, ancestor.blocks[-1].end)
        for index in task.descendants:
            descendant = self.tasks[index]
            if descendant.blocks:
                hi = min(hi, descendant.blocks[0].start)
        return lo, hi

    def _day_range(self, lo: int, hi: int) -> range:
        if hi <= lo or not self.days:
            return range(0)
        return range(max(0, self._day_of(lo)), min(len(self.days), self._day_of(hi - 1) + 1))
