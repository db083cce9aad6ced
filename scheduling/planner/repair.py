"""The over-full plan: EDF construction, ejection chains, repacking, stretching."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

from scheduling.planner.grid import (
    _align_up,
    _overlap,
)
from scheduling.planner.placement import (
    _Placement,
)
from scheduling.planner.state import (
    _FOREVER,
    _Block,
    _Day,
    _Task,
)
from scheduling.planner.types import (
    PlanRequest,
)

# -- Repair budget --------------------------------------------------------------------------
# The repair pass is a bounded local search. Per task and per candidate plan; on the bench's
# two-week instances the total never binds, on a 300-task semester it caps the search so the
# whole plan stays well under a second (more attempts bought < 1% more weighted minutes).
MAX_REPAIR_ATTEMPTS_PER_TASK = 15
MAX_REPAIR_ATTEMPTS_TOTAL = 500
# Evicted work may in turn evict (a chain of two moves), trying only its cheapest options.
MAX_EJECTION_DEPTH = 2
MAX_NESTED_ATTEMPTS = 4
# Evicting more than two neighbouring blocks rarely pays and multiplies the work.
MAX_EVICTED_BLOCKS = 2
# Float sums of priority x minutes: smaller differences are noise, not gains.
GAIN_EPSILON = 1e-6
# A prerequisite's block is shortened in steps of this much when trading it for dependant
# time: finer steps buy almost nothing and multiply the attempts.
TRADE_SHRINK_STEP_MIN = 15


class _Repair(_Placement):
    def __init__(self, request: PlanRequest, *, is_dense: bool = False) -> None:
        super().__init__(request, is_dense=is_dense)
        # Shared by every search pass of this candidate plan.
        self.budget = MAX_REPAIR_ATTEMPTS_TOTAL

    def edf(self) -> None:
        """Earliest deadline first, as early as possible, lower-priority work evicted to fit.

        For divisible work due by deadlines this is the classic way to keep the most valuable
        minutes; used as an alternative construction when the plan is over-full.
        """
        self.is_asap = True
        self.is_built_by_edf = True
        done: set[int] = set()
        for task in sorted(self.order, key=lambda t: (t.hi, -t.spec.priority, t.spec.id)):
            # A prerequisite goes just before its dependant, if it can start before the
            # dependant is due; one that cannot would only block the dependant.
            for index in sorted(task.ancestors, key=lambda a: (self.tasks[a].depth, a)):
                ancestor = self.tasks[index]
                if index not in done and not ancestor.in_cycle and ancestor.lo < task.hi:
                    done.add(index)
                    # Finish the prerequisite early enough to leave the dependant its time.
                    ancestor.hi_cap = self._latest_start(task)
                    self._edf_place(ancestor)
                    ancestor.hi_cap = _FOREVER
                    self._fill(ancestor)
            if task.index not in done:
                done.add(task.index)
                self._edf_place(task)
        self.is_asap = False
        self.log.clear()

    def _latest_start(self, task: _Task) -> int:
        """Roughly the latest time `task` could start and still get all its minutes, counting
        blocks of lower-priority work (which EDF would evict) as free."""
        needed = task.remaining
        lo, hi = self._window(task)
        for day_index in reversed(self._day_range(lo, hi)):
            day = self.days[day_index]
            evictable = sum(
                min(b.end, hi) - b.start
                for b in day.blocks
                if b.start < hi
                and not b.is_kept
                and self.tasks[b.task].spec.priority < task.spec.priority
            )
            free = _overlap(self._free(day, task.spec.course_id), lo, hi)
            usable = min(day.cap_left + evictable, free + evictable)
            if usable >= needed:
                # Somewhere in this day; its first usable minute is a safe (early) answer.
                return max(lo, day.base[0][0] if day.base else day.start)
            needed -= usable
        return lo

    def _edf_place(self, task: _Task) -> None:
        if task.spec.duration_min <= 0:
            return
        self._fill(task)
        if not self._wants_more(task):
            return
        mark = len(self.log)
        before = self.weighted
        evicted: set[int] = set()
        # Evicting a prerequisite or a dependant only moves this task's window.
        related = set(task.ancestors) | set(task.descendants)
        while self._wants_more(task):
            lo, hi = self._window(task)
            victims = [
                b
                for d in self._day_range(lo, hi)
                for b in self.days[d].blocks
                if self.tasks[b.task].spec.priority < task.spec.priority
                and not b.is_kept
                and b.task not in related
                and b.end > lo
                and b.start < hi
            ]
            if not victims:
                break
            victim = min(
                victims, key=lambda b: (self.tasks[b.task].spec.priority, -b.start, b.task)
            )
            self._remove(victim)
            evicted.add(victim.task)
            self._fill(task)
        for index in sorted(evicted):
            self._fill(self.tasks[index])
        if self.weighted < before - GAIN_EPSILON:
            self._rollback(mark)

    def repair(self) -> None:
        """Ejection chains: make room for short tasks by moving or evicting other blocks."""
        for task in self.order:
            if self._wants_more(task):
                self._insert(task, depth=MAX_EJECTION_DEPTH)
        self.log.clear()

    def _insert(self, task: _Task, depth: int) -> None:
        self._fill(task)
        attempts = 0
        limit = MAX_REPAIR_ATTEMPTS_PER_TASK if depth == MAX_EJECTION_DEPTH else MAX_NESTED_ATTEMPTS
        while depth > 0 and self._wants_more(task) and self.budget > 0 and attempts < limit:
            improved = False
            for group in self._eviction_groups(task, limit - attempts):
                if self.budget <= 0:
                    break
                attempts += 1
                self.budget -= 1
                if self._try_evict(task, group, depth):
                    improved = True
                    break
            if not improved:
                break

    def _wants_more(self, task: _Task) -> bool:
        if not task.spec.is_splittable:
            return task.placed == 0
        return task.remaining >= task.min_len

    def _eviction_groups(self, task: _Task, limit: int) -> list[list[_Block]]:
        """Up to `limit` runs of 1-2 neighbouring blocks whose removal leaves room for a chunk
        of `task`, cheapest (priority x minutes) first."""
        lo, hi = self._window(task)
        need = task.min_len if task.spec.is_splittable else task.remaining
        if hi - lo < need:
            return []
        step, own = self.step, task.index
        course = task.spec.course_id
        tasks = self.tasks
        found: list[tuple[float, int, int, int, int]] = []
        for day_index in self._day_range(lo, hi):
            day = self.days[day_index]
            blocks = day.blocks
            count = len(blocks)
            if not count:
                continue
            segments = day.base
            seg_index = 0
            for first in range(count):
                head = blocks[first]
                while segments[seg_index][1] <= head.start:
                    seg_index += 1
                seg_start, seg_end = segments[seg_index]
                left = seg_start
                if first:
                    before = blocks[first - 1]
                    gap = self._gap(course, tasks[before.task].spec.course_id)
                    left = max(left, before.end + gap)
                left = _align_up(max(left, lo), step)
                freed = 0
                cost = 0.0
                for last in range(first, min(first + MAX_EVICTED_BLOCKS, count)):
                    block = blocks[last]
                    if block.task == own or block.is_kept or block.start >= seg_end:
                        break
                    length = block.end - block.start
                    freed += length
                    cost += tasks[block.task].spec.priority * length
                    right = seg_end
                    if last + 1 < count:
                        after = blocks[last + 1]
                        gap = self._gap(course, tasks[after.task].spec.course_id)
                        right = min(right, after.start - gap)
                    if self._slots_left(day) + last - first + 1 <= 0:
                        continue
                    if min(right, hi) - left >= need and day.cap_left + freed >= need:
                        found.append((cost, head.start, day_index, first, last))
        chosen = heapq.nsmallest(limit, found)
        return [self.days[d].blocks[first : last + 1] for _, _, d, first, last in chosen]

    def _try_evict(self, task: _Task, group: list[_Block], depth: int) -> bool:
        mark = len(self.log)
        before = self.weighted
        # The most valuable evicted work goes back first: refilled in index order, a cheap
        # prerequisite could take back the room its dependant needed.
        victims = sorted({b.task for b in group}, key=lambda i: (-self.tasks[i].spec.priority, i))
        for block in group:
            self._remove(block)
        if self._fill(task, days=[group[0].day], max_chunks=1) == 0:
            self._rollback(mark)
            return False
        for victim in victims:
            self._insert(self.tasks[victim], depth - 1)
        if self.weighted > before + GAIN_EPSILON:
            return True
        self._rollback(mark)
        return False

    def repack(self) -> None:
        """Re-pack whole days with fewer, longer blocks when that places more weighted minutes.

        Preferred-length chunks cost a break each; when work is left over, a day packed with
        long blocks can hold more. Tried only on days some short task could use.
        """
        # Short of minutes, even by less than a block: laid out again, the day may hold them.
        short = [t for t in self.order if t.remaining > 0]
        if not short:
            return
        day_indexes = sorted({d for t in short for d in self._day_range(*self._window(t))})
        # (order of the candidates, whether a block leaves a placeable remainder of its task
        # rather than a tail too short to place)
        orderings = (
            (lambda t: (-t.spec.priority, t.hi, t.spec.id), True),
            (lambda t: (t.hi, -t.spec.priority, t.spec.id), True),
            # The most weighted work first: one long block can beat two with a break between.
            (lambda t: (-t.spec.priority * t.remaining, t.hi, t.spec.id), True),
            # Whole blocks first, the divisible work in what is left: a block that will not
            # split fits only where a long enough stretch is still free, and the work around
            # it takes every minute left rather than save a remainder for a day that is full.
            (lambda t: (t.spec.is_splittable, -t.spec.priority, t.hi, t.spec.id), False),
        )
        for day_index in day_indexes:
            if any(b.is_kept for b in self.days[day_index].blocks):
                continue  # a kept block stays where it was (low churn); so does its day
            # Every variant is tried and the best kept: the first that gains is often not it.
            day = self.days[day_index]
            best_gain, best_variant = GAIN_EPSILON, None
            for (key, keeps_remainder), leaves_room in itertools.product(orderings, (False, True)):
                if self.budget <= 0:
                    break
                self.budget -= 1
                mark, before = len(self.log), self.weighted
                variant = {
                    "key": key,
                    "leaves_room": leaves_room,
                    "keeps_remainder": keeps_remainder,
                }
                if self._try_repack(day, **variant):
                    gain = self.weighted - before
                    self._rollback(mark)
                    if gain > best_gain:
                        best_gain, best_variant = gain, variant
            if best_variant is not None:
                self._try_repack(day, **best_variant)
        self.log.clear()

    def _try_repack(
        self,
        day: _Day,
        key: Callable[[_Task], tuple],
        *,
        leaves_room: bool = False,
        keeps_remainder: bool = True,
    ) -> bool:
        """Fill the day's free stretches from their start; with `leaves_room`, a block is cut
        short rather than leave a rest of its stretch too short for another block."""
        mark = len(self.log)
        before = self.weighted
        removed = sorted({b.task for b in day.blocks})
        for block in list(day.blocks):
            self._remove(block)
        candidates = sorted(
            (t for t in self.order if t.lo < day.end and t.hi > day.start and self._wants_more(t)),
            key=key,
        )
        for seg_start, seg_end in day.base:
            previous: _Block | None = None
            while day.cap_left > 0 and self._slots_left(day) > 0:
                placed = None
                for task in candidates:
                    if not self._wants_more(task):
                        continue
                    lo, hi = self._window(task)
                    cursor = seg_start
                    if previous is not None:
                        other = self.tasks[previous.task].spec.course_id
                        cursor = previous.end + self._gap(task.spec.course_id, other)
                    start = _align_up(max(cursor, lo), self.step)
                    usable = min(min(seg_end, hi) - start, day.cap_left, self.max_len)
                    if usable < task.min_len:
                        continue
                    length = min(task.remaining, usable)
                    if not task.spec.is_splittable and length != task.remaining:
                        continue
                    shortfall = task.min_len - (task.remaining - length)
                    if (
                        keeps_remainder
                        and 0 < shortfall < task.min_len
                        and length - shortfall >= task.min_len
                    ):
                        length -= shortfall  # leave a placeable remainder, not a stranded tail
                    rest = min(seg_end - (start + length) - self.gap, day.cap_left - length)
                    if leaves_room and 0 < rest < self.limits.min_block_min:
                        cut = self.limits.min_block_min - rest
                        cut = -(-cut // self.step) * self.step
                        if length - cut >= task.min_len:
                            length -= cut
                    if not self._is_free(task, start, start + length):
                        continue
                    placed = self._add(task, start, start + length)
                    break
                if placed is None:
                    break
                previous = placed
        for index in removed:
            self._fill(self.tasks[index])
        if self.weighted > before + GAIN_EPSILON:
            return True
        self._rollback(mark)
        return False

    def stretch(self) -> None:
        """Give tasks still short of minutes the free time right next to their blocks."""
        for task in self.order:
            if not task.spec.is_splittable:
                continue
            for block in list(task.blocks):
                if task.remaining <= 0:
                    break
                # Kept blocks stay as they were; an earlier stretch may have slid this one.
                if not block.is_kept and block in task.blocks:
                    self._stretch_block(task, block)
            if 0 < task.remaining < task.min_len:
                self._merge_tail(task)
        self.log.clear()

    def _merge_tail(self, task: _Task) -> None:
        """Re-place one of the task's blocks together with its stranded tail, if that fits."""
        for block in sorted(task.blocks, key=lambda b: (b.end - b.start, b.start)):
            if block.is_kept:
                continue
            mark = len(self.log)
            before = self.weighted
            self._remove(block)
            self._fill(task)
            if self.weighted > before + GAIN_EPSILON:
                return
            self._rollback(mark)

    def _stretch_block(self, task: _Task, block: _Block) -> None:
        day = self.days[block.day]
        segment = next((s for s in day.base if s[0] <= block.start < s[1]), None)
        if segment is None or block.end - block.start >= self.max_len:
            return
        mark = len(self.log)
        self._remove(block)
        # Without the block itself, its free stretch keeps every neighbour's gap.
        around = next(
            (s for s in self._free(day, task.spec.course_id) if s[0] <= block.start < s[1]),
            None,
        )
        lo, hi = self._window(task)
        if around is None:
            self._rollback(mark)
            return
        length = min(task.remaining, day.cap_left, self.max_len)
        new_end = max(block.end, min(around[1], hi, block.start + length))
        extra = length - (new_end - block.start)
        new_start = block.start
        if extra > 0:
            candidate = _align_up(max(around[0], lo, block.start - extra), self.step)
            new_start = min(candidate, block.start)
        if (new_start, new_end) == (block.start, block.end):
            self._rollback(mark)
        else:
            block = self._add(task, new_start, new_end)
        room = min(task.remaining, day.cap_left, self.max_len - (block.end - block.start))
        if room > 0:
            self._relayout(day, segment, block, room)

    def _relayout(self, day: _Day, segment: tuple[int, int], grown: _Block, extra: int) -> None:
        """Grow `grown` by `extra` by sliding the segment's blocks together (same order)."""
        members = [b for b in day.blocks if segment[0] <= b.start < segment[1]]
        courses = [self.tasks[b.task].spec.course_id for b in members]
        gaps = [self._gap(a, b) for a, b in itertools.pairwise(courses)]
        used = sum(b.end - b.start for b in members) + sum(gaps)
        extra = min(extra, segment[1] - segment[0] - used)
        if extra <= 0 or any(b.is_kept for b in members):
            return
        mark = len(self.log)
        layout = [
            (self.tasks[b.task], b.end - b.start + (extra if b is grown else 0), b) for b in members
        ]
        for member in members:
            self._remove(member)
        cursor = segment[0]
        for position, (task, length, old) in enumerate(layout):
            lo, hi = self._window(task)
            start = _align_up(max(cursor, lo), self.step)
            if start + length > min(segment[1], hi) or (
                not task.spec.is_splittable and length != task.spec.duration_min
            ):
                self._rollback(mark)
                return
            is_kept = old.is_kept and (start, start + length) == (old.start, old.end)
            self._add(task, start, start + length, is_kept=is_kept)
            cursor = start + length + (gaps[position] if position < len(gaps) else 0)
        if not self._gaps_hold(day):
            self._rollback(mark)

    def polish(self) -> None:
        """Move blocks (same length) to places the soft preferences like better.

        Never changes how many minutes a task gets, so weighted minutes stay the same; used on
        EDF plans, which are built as early as possible with no regard for preferences.
        """
        blocks = sorted(
            (b for day in self.days for b in day.blocks if not b.is_kept),
            key=lambda b: (b.start, b.task),
        )
        for block in blocks:
            task = self.tasks[block.task]
            if block not in task.blocks:
                continue
            mark = len(self.log)
            self._remove(block)
            day = self.days[block.day]
            lo, _ = self._window(task)
            lo_day = self._day_of(lo)
            course = task.spec.course_id
            seg_end = next(
                (e for s, e in self._free(day, course) if s <= block.start < e), block.end
            )
            current = self._score(task, day, block.start, block.end, seg_end, lo_day)
            place = self._best_exact(task, block.end - block.start)
            if place is None or place == (block.start, block.end):
                self._rollback(mark)
                continue
            new_day = self.days[self._day_of(place[0])]
            new_end = next(
                (e for s, e in self._free(new_day, course) if s <= place[0] < e), place[1]
            )
            better = self._score(task, new_day, place[0], place[1], new_end, lo_day)
            if better < current - GAIN_EPSILON:
                self._add(task, *place)
            else:
                self._rollback(mark)
        self.log.clear()

    def _best_exact(self, task: _Task, length: int) -> tuple[int, int] | None:
        lo, hi = self._window(task)
        if hi - lo < length:
            return None
        lo_day = self._day_of(lo)
        best: tuple[float, int] | None = None
        for day_index in self._day_range(lo, hi):
            day = self.days[day_index]
            if day.cap_left < length or self._slots_left(day) <= 0:
                continue
            for seg_start, seg_end in self._free(day, task.spec.course_id):
                if seg_end <= lo:
                    continue
                if seg_start >= hi:
                    break
                start = _align_up(max(seg_start, lo), self.step)
                if start + length > min(seg_end, hi):
                    continue
                score = self._score(task, day, start, start + length, seg_end, lo_day)
                if best is None or (score, start) < best:
                    best = (score, start)
        return None if best is None else (best[1], best[1] + length)

    def _gaps_hold(self, day: _Day) -> bool:
        """Every block near `day` keeps its gap to the next one (locked blocks included)."""
        items = sorted(
            [
                (b.start, b.end, self.tasks[b.task].spec.course_id, True)
                for b in self._neighbours(day)
            ]
            + [(s, e, c, False) for s, e, c in day.near_locked],
            key=lambda item: (item[0], item[1]),
        )
        widest = self.limits.widest_gap
        for index, (_, end, course, is_planned) in enumerate(items):
            for start, _, other, other_planned in items[index + 1 :]:
                if start - end >= widest:
                    break
                if (is_planned or other_planned) and start - end < self._gap(course, other):
                    return False
        return True

    # -- prerequisites that serve their dependant ---------------------------------------------

    def trade_prerequisites(self) -> None:
        """Give a dependant short of time the minutes of its cheaper prerequisites.

        The latest blocks of a lower-priority prerequisite are evicted (one, then two, ...),
        the dependant is filled, then the prerequisite refills what room is left before it;
        the count that places the most weighted minutes is kept.
        """
        for task in self.order:
            if task.remaining <= 0 or not task.spec.is_splittable:
                continue
            ancestors = sorted(
                (
                    self.tasks[a]
                    for a in task.ancestors
                    if not self.tasks[a].in_cycle
                    and self.tasks[a].spec.priority < task.spec.priority
                ),
                key=lambda t: (t.spec.priority, t.spec.id),
            )
            for ancestor in ancestors:
                if task.remaining <= 0 or self.budget <= 0:
                    break
                self.budget -= 1
                self._trade(task, ancestor)
        self.log.clear()

    def _trade(self, task: _Task, ancestor: _Task) -> None:
        movable = [b for b in ancestor.blocks if not b.is_kept]
        before = self.weighted
        # (blocks dropped from the end, new length of the last one kept or None): the
        # prerequisite gives up its latest time, whole blocks or the tail of one.
        options: list[tuple[int, int | None]] = []
        shrink_step = max(self.step, TRADE_SHRINK_STEP_MIN)
        for dropped in range(len(movable) + 1):
            if dropped:
                options.append((dropped, None))
            if dropped < len(movable):
                last = movable[-dropped - 1]
                for length in range(ancestor.min_len, last.end - last.start, shrink_step):
                    options.append((dropped, length))
        best_gain, best_option = GAIN_EPSILON, None
        for option in options:
            mark = len(self.log)
            self._apply_trade(task, ancestor, movable, option)
            gain = self.weighted - before
            self._rollback(mark)
            if gain > best_gain:
                best_gain, best_option = gain, option
        if best_option is not None:
            self._apply_trade(task, ancestor, movable, best_option)

    def _apply_trade(
        self,
        task: _Task,
        ancestor: _Task,
        movable: list[_Block],
        option: tuple[int, int | None],
    ) -> None:
        dropped, length = option
        # The dependant is laid out again too, so it can grow into the time given up.
        for block in [b for b in task.blocks if not b.is_kept]:
            self._remove(block)
        for block in movable[len(movable) - dropped :]:
            self._remove(block)
        if length is not None:
            last = movable[len(movable) - dropped - 1]
            self._remove(last)
            self._add(ancestor, last.start, last.start + length)
        self._fill(task)
        self._fill(ancestor)
