"""The pure study planner: places study tasks into a student's free time.

No Django here (an import-linter contract enforces it). Services build a `PlanRequest` from
rows, call `plan()`, save the `PlanResult`, and may call `validate()` as a safety net.

Time model
----------
* Every datetime going in must be timezone-aware; every datetime coming out is aware UTC.
* Internally time is whole minutes since the Unix epoch (UTC). Instants that limit what we may
  use are rounded inwards: a release, `now` or a horizon start is rounded up to the minute, a
  deadline or horizon end down, a busy event outwards.
* Weekly availability is local wall-clock time in the student's IANA zone. A local time is
  turned into an instant the way RFC 5545 (iCalendar, which Google Calendar follows) does it:
  a wall time that occurs twice (autumn fall-back) means its FIRST occurrence, and a wall time
  that does not exist (spring-forward gap) is read with the offset in force before the gap, so
  02:30 on a US spring-forward day is 03:30 EDT. Both are `fold=0` in `zoneinfo`. A window
  whose end maps to an instant at or before its start (possible only inside a gap) is dropped.
  A window whose end is at or before its start ("22:00"-"01:00", or "00:00"-"00:00") runs past
  midnight into the next day; "24:00" is accepted as an end.
* Free time is cut at every local midnight, so no block spans two local days: the daily cap
  and the break rule are per local calendar day and each block belongs to exactly one.

Hard rules (checked by `validate`)
----------------------------------
No overlap with busy time (each event grown by `buffer_min` before it), with locked blocks or
with other blocks; only inside availability (clipped to earliest_start/latest_end); at most
`max_hours_per_day` per local day, locked blocks included; two blocks on the same local day
(locked included) at least `break_min` apart; each block inside its task's [release, deadline]
and the horizon and not before `now`; prerequisite order; block length at least the task's
minimum chunk (the task's whole duration if that is smaller); a non-splittable task is placed
as one block of its full duration or not at all; a task never gets more minutes than it has.

Prerequisites: a new block of a task starts at or after the end of every placed or locked
block of each of its predecessors. If a predecessor cannot be placed in full, its dependant is
still planned (studying it is still worth something) but never before any block of it. Locked
blocks of the dependant itself put no limit on the predecessor (the user already decided). Ids
of predecessors that are not in the request are treated as done. Tasks on a prerequisite cycle
are not planned and are reported. While planning, the rule is applied to the transitive
closure, so a chain A -> B -> C always keeps room for B between A and C.

Algorithm
---------
1. Low churn: still-valid `previous_blocks` are kept first, in prerequisite order. Later passes
   never move or evict a kept block.
2. Greedy: tasks in order of priority (inheriting the highest priority of their dependants, so a
   prerequisite is never starved), then prerequisite depth, deadline, id. Each task is cut into
   chunks of about `preferred_block_min`; each chunk goes to the best-scoring free place in the
   task's window (soft preferences: spacing of a topic across days, not next to the same
   course, hard work in peak hours, balanced days, earlier rather than later, no wasted gaps
   or stranded tails). If everything fits, that is the plan (the usual case).
3. Over-full: three candidate plans, and the one with the most priority-weighted minutes wins
   (ties go to the greedy plan, which follows the preferences best):
   a. the greedy plan, repaired: ejection chains (evict one or two blocks, place a chunk of a
      short task there, re-place the evicted work, which may itself evict once; kept only when
      weighted minutes go up), whole days re-packed with fewer, longer blocks, and blocks of
      short tasks stretched into adjacent free time;
   b. and c. EDF plans: tasks by deadline, each as early as possible, evicting lower-priority
      work to fit (a prerequisite goes just before its dependant, early enough to leave it
      room), with preferred-length and with long chunks; then repaired and stretched, and
      finally polished (blocks moved, same length, to places the preferences like better).
   Every search pass has a fixed attempt budget, so a semester stays well under a second.
The plan does not depend on input order or dict order: everything is sorted, ties break on ids.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# -- Defaults and limits --------------------------------------------------------------------

# Ten minutes to wrap up and get to (or log into) a calendar event.
DEFAULT_BUFFER_MIN = 10
# Blocks start on 5-minute marks: a block at 18:05 reads well, one at 18:07 looks like a bug.
DEFAULT_GRANULARITY_MIN = 5
# The defaults of UserPreferences, so a request built without preferences behaves the same.
DEFAULT_MAX_HOURS_PER_DAY = 4.0
DEFAULT_PREFERRED_BLOCK_MIN = 50
DEFAULT_BREAK_MIN = 10
# Shorter sessions spend most of their time getting started.
DEFAULT_MIN_BLOCK_MIN = 25

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# English month names, not strftime's %b, so reasons do not depend on the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MINUTES_PER_DAY = 24 * 60

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

_NEVER = -(2**62)
_FOREVER = 2**62


class PlanInputError(ValueError):
    """The request cannot be planned as given (naive datetime, unknown zone, bad window...)."""


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
    EXAM_LEVEL = "exam_level"


_HARD_DIFFICULTIES = frozenset({Difficulty.HARD, Difficulty.EXAM_LEVEL})


class UnscheduledReason(StrEnum):
    DEADLINE_PASSED = "deadline_passed"
    OUTSIDE_HORIZON = "outside_horizon"
    PREREQUISITE_CYCLE = "prerequisite_cycle"
    WAITING_ON_PREREQUISITE = "waiting_on_prerequisite"
    NOT_ENOUGH_FREE_TIME = "not_enough_free_time"
    TAKEN_BY_OTHER_WORK = "taken_by_other_work"
    NO_LONG_ENOUGH_SLOT = "no_long_enough_slot"


class SuggestionAction(StrEnum):
    # The task's own deadline is after the assessment: its minutes can move past it.
    MOVE = "move"
    # The task is due before the assessment too: making room means dropping it.
    DROP = "drop"


# -- Inputs ---------------------------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise PlanInputError(f"{name} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span of time [start, end) between two aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "Interval.start")
        _require_aware(self.end, "Interval.end")
        if self.end < self.start:
            raise PlanInputError(f"interval ends before it starts: {self.start} > {self.end}")

    @property
    def minutes(self) -> int:
        return int((self.end - self.start) // timedelta(minutes=1))


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """One weekly availability range in local wall time; weekday 0 is Monday."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise PlanInputError(f"weekday must be 0..6, got {self.weekday}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise PlanInputError("weekly windows are local wall times; drop the tzinfo")


WeeklyAvailability = Sequence[WeeklyWindow] | Mapping[str, Sequence[Mapping[str, str]]]


def _parse_hhmm(value: object) -> tuple[time, bool]:
    """('18:30' -> 18:30, False); '24:00' is midnight at the end of the day (True)."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise PlanInputError(f"{value!r} is not a time such as 18:00")
    try:
        hours, minutes = int(value[:2]), int(value[3:])
    except ValueError:
        raise PlanInputError(f"{value!r} is not a time such as 18:00") from None
    if (hours, minutes) == (24, 0):
        return time(0, 0), True
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise PlanInputError(f"{value!r} is not a time such as 18:00")
    return time(hours, minutes), False


def parse_weekly_availability(
    data: Mapping[str, Sequence[Mapping[str, str]]],
) -> tuple[WeeklyWindow, ...]:
    """The seed's JSON (`{"monday": [{"start": "18:00", "end": "22:00"}], ...}`) as windows."""
    windows: list[WeeklyWindow] = []
    for day_name, ranges in data.items():
        key = str(day_name).strip().lower()
        if key not in WEEKDAYS:
            raise PlanInputError(f"unknown weekday {day_name!r}")
        for item in ranges:
            start, _ = _parse_hhmm(item.get("start"))
            end, _ = _parse_hhmm(item.get("end"))
            windows.append(WeeklyWindow(WEEKDAYS.index(key), start, end))
    return tuple(sorted(windows, key=lambda w: (w.weekday, w.start, w.end)))


def _normalize_availability(availability: WeeklyAvailability) -> tuple[WeeklyWindow, ...]:
    if isinstance(availability, Mapping):
        return parse_weekly_availability(availability)
    windows = tuple(availability)
    for window in windows:
        if not isinstance(window, WeeklyWindow):
            raise PlanInputError(f"expected WeeklyWindow, got {window!r}")
    return tuple(sorted(windows, key=lambda w: (w.weekday, w.start, w.end)))


def _as_interval(value: Interval | tuple[datetime, datetime]) -> Interval:
    return value if isinstance(value, Interval) else Interval(value[0], value[1])


@dataclass(frozen=True, slots=True)
class PlanTask:
    """Work still to place. `duration_min` is what remains, locked blocks already excluded."""

    id: str
    duration_min: int
    release: datetime
    deadline: datetime
    priority: float
    course_id: str
    difficulty: Difficulty = Difficulty.MEDIUM
    is_splittable: bool = True
    # None means the student's `PlanLimits.min_block_min`; the larger of the two applies.
    min_chunk_min: int | None = None
    predecessors: tuple[str, ...] = ()
    # Blocks of the same topic are spread across days; None spreads this task's own chunks.
    topic_key: str | None = None
    assessment_id: str | None = None
    # Where the previous plan put this task; still-valid blocks are kept (low churn).
    previous_blocks: tuple[Interval, ...] = ()

    def __post_init__(self) -> None:
        _require_aware(self.release, f"task {self.id} release")
        _require_aware(self.deadline, f"task {self.id} deadline")
        if self.duration_min < 0:
            raise PlanInputError(f"task {self.id}: duration_min must be >= 0")
        if not (self.priority >= 0 and math.isfinite(self.priority)):
            raise PlanInputError(f"task {self.id}: priority must be a finite number >= 0")
        if self.min_chunk_min is not None and self.min_chunk_min < 1:
            raise PlanInputError(f"task {self.id}: min_chunk_min must be >= 1")
        try:
            object.__setattr__(self, "difficulty", Difficulty(self.difficulty))
        except ValueError:
            raise PlanInputError(
                f"task {self.id}: unknown difficulty {self.difficulty!r}"
            ) from None
        object.__setattr__(self, "predecessors", tuple(self.predecessors))
        object.__setattr__(
            self, "previous_blocks", tuple(_as_interval(b) for b in self.previous_blocks)
        )


@dataclass(frozen=True, slots=True)
class LockedBlock:
    """A completed, in-progress or pinned block: never moved, but counted in caps and breaks."""

    start: datetime
    end: datetime
    task_id: str | None = None
    course_id: str | None = None
    topic_key: str | None = None

    def __post_init__(self) -> None:
        Interval(self.start, self.end)


@dataclass(frozen=True, slots=True)
class PlanLimits:
    max_hours_per_day: float = DEFAULT_MAX_HOURS_PER_DAY
    preferred_block_min: int = DEFAULT_PREFERRED_BLOCK_MIN
    min_block_min: int = DEFAULT_MIN_BLOCK_MIN
    break_min: int = DEFAULT_BREAK_MIN
    buffer_min: int = DEFAULT_BUFFER_MIN
    # Local wall-time band every day's availability is clipped to; None means no limit.
    earliest_start: time | None = None
    latest_end: time | None = None
    # Local hours (0-23) the student works best in; empty means "earlier in the day's free time".
    peak_hours: tuple[int, ...] = ()
    granularity_min: int = DEFAULT_GRANULARITY_MIN

    def __post_init__(self) -> None:
        if self.max_hours_per_day < 0:
            raise PlanInputError("max_hours_per_day must be >= 0")
        for name in ("preferred_block_min", "min_block_min", "granularity_min"):
            if getattr(self, name) < 1:
                raise PlanInputError(f"{name} must be >= 1")
        if self.break_min < 0 or self.buffer_min < 0:
            raise PlanInputError("break_min and buffer_min must be >= 0")
        hours = tuple(sorted(set(self.peak_hours)))
        if any(not 0 <= hour <= 23 for hour in hours):
            raise PlanInputError("peak_hours must be local hours 0..23")
        object.__setattr__(self, "peak_hours", hours)

    @property
    def cap_min(self) -> int:
        return round(self.max_hours_per_day * 60)


@dataclass(frozen=True, slots=True)
class PlanRequest:
    tasks: tuple[PlanTask, ...]
    # WeeklyWindow tuples, or the seed's JSON mapping (parsed on construction).
    availability: tuple[WeeklyWindow, ...]
    timezone: str
    now: datetime
    horizon_start: datetime
    horizon_end: datetime
    busy: tuple[Interval, ...] = ()
    locked: tuple[LockedBlock, ...] = ()
    limits: PlanLimits = field(default_factory=PlanLimits)

    def __post_init__(self) -> None:
        _require_aware(self.now, "now")
        _require_aware(self.horizon_start, "horizon_start")
        _require_aware(self.horizon_end, "horizon_end")
        if self.horizon_end < self.horizon_start:
            raise PlanInputError("horizon_end is before horizon_start")
        _zone(self.timezone)
        object.__setattr__(self, "tasks", tuple(self.tasks))
        object.__setattr__(self, "availability", _normalize_availability(self.availability))
        object.__setattr__(self, "busy", tuple(_as_interval(b) for b in self.busy))
        object.__setattr__(self, "locked", tuple(self.locked))
        seen: set[str] = set()
        for task in self.tasks:
            if task.id in seen:
                raise PlanInputError(f"duplicate task id {task.id!r}")
            seen.add(task.id)


# -- Outputs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedBlock:
    task_id: str
    start: datetime
    end: datetime
    course_id: str
    # 0-based position of this block among its task's planned blocks, in time order.
    chunk_index: int
    topic_key: str | None = None
    # True when the block is one of the task's previous_blocks, kept as it was.
    is_kept: bool = False

    @property
    def minutes(self) -> int:
        return int((self.end - self.start) // timedelta(minutes=1))


@dataclass(frozen=True, slots=True)
class UnscheduledWork:
    task_id: str
    course_id: str
    unscheduled_min: int
    placed_min: int
    reason_code: UnscheduledReason
    reason: str


@dataclass(frozen=True, slots=True)
class CushionSuggestion:
    task_id: str
    course_id: str
    # Minutes of this task planned before the assessment's deadline.
    minutes: int
    priority: float
    action: SuggestionAction


@dataclass(frozen=True, slots=True)
class AssessmentCushion:
    assessment_id: str
    course_id: str
    # The latest deadline among the assessment's tasks (the assessment itself).
    deadline: datetime
    # Study capacity from now to the deadline within the horizon: free time after busy and
    # locked blocks, capped per day; other tasks' blocks are NOT subtracted.
    available_min: int
    # Minutes the assessment's tasks still need.
    required_min: int
    cushion_min: int
    unscheduled_min: int
    is_at_risk: bool
    # Lowest-priority work of other courses planned before the deadline whose minutes would
    # cover the shortfall; empty when nothing is short.
    suggestions: tuple[CushionSuggestion, ...] = ()
    summary: str = ""


@dataclass(frozen=True, slots=True)
class DayLoad:
    date: date
    planned_min: int
    locked_min: int


@dataclass(frozen=True, slots=True)
class PlanResult:
    blocks: tuple[PlannedBlock, ...]
    unscheduled: tuple[UnscheduledWork, ...]
    cushions: tuple[AssessmentCushion, ...]
    day_loads: tuple[DayLoad, ...]
    placed_min: int
    weighted_min: float
    kept_block_count: int


# -- Minute arithmetic ----------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MINUTE = timedelta(minutes=1)


def _floor_min(value: datetime) -> int:
    return (value - _EPOCH) // _ONE_MINUTE


def _ceil_min(value: datetime) -> int:
    return -((_EPOCH - value) // _ONE_MINUTE)


def _to_datetime(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)


def _zone(name: str | ZoneInfo) -> ZoneInfo:
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError) as exc:
        raise PlanInputError(f"unknown time zone {name!r}") from exc


def _local_minute(day: date, wall: time, tz: ZoneInfo) -> int:
    # fold=0: first occurrence of an ambiguous time, pre-gap offset for a missing one (RFC 5545).
    return _floor_min(datetime.combine(day, wall, tzinfo=tz))


def _align_up(minute: int, step: int) -> int:
    return -(-minute // step) * step


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(
    spans: list[tuple[int, int]], cuts: Iterable[tuple[int, int]]
) -> list[tuple[int, int]]:
    """`spans` (sorted, disjoint) minus the union of `cuts`."""
    cut_list = _merge(cuts)
    if not cut_list:
        return list(spans)
    result: list[tuple[int, int]] = []
    index = 0
    for start, end in spans:
        while index < len(cut_list) and cut_list[index][1] <= start:
            index += 1
        cursor = start
        probe = index
        while probe < len(cut_list) and cut_list[probe][0] < end:
            cut_start, cut_end = cut_list[probe]
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
            probe += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            result.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result


def _overlap(spans: list[tuple[int, int]], lo: int, hi: int) -> int:
    return sum(max(0, min(end, hi) - max(start, lo)) for start, end in spans)


def _format_local(minute: int, tz: ZoneInfo) -> str:
    local = _to_datetime(minute).astimezone(tz)
    return f"{_MONTHS[local.month - 1]} {local.day} {local.hour:02d}:{local.minute:02d}"


# -- Free time ------------------------------------------------------------------------------


def _local_midnights(first: date, last: date, tz: ZoneInfo) -> list[tuple[date, int]]:
    """(date, instant of its local midnight) for first..last+1, so each day has an end."""
    days = (last - first).days + 2
    return [
        (first + timedelta(days=offset), _local_minute(first + timedelta(days=offset), time(0), tz))
        for offset in range(days)
    ]


def _daily_spans(
    ranges: Iterable[tuple[int, time, time]], first: date, last: date, tz: ZoneInfo
) -> list[tuple[int, int]]:
    """Weekly (weekday, start, end) wall-time ranges as merged instants over first..last."""
    by_weekday: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in ranges:
        by_weekday.setdefault(weekday, []).append((start, end))
    spans: list[tuple[int, int]] = []
    # Start a day early: a window that runs past midnight reaches into `first`.
    day = first - timedelta(days=1)
    while day <= last:
        for start, end in by_weekday.get(day.weekday(), ()):
            end_day = day + timedelta(days=1) if end <= start else day
            start_minute = _local_minute(day, start, tz)
            end_minute = _local_minute(end_day, end, tz)
            if end_minute > start_minute:
                spans.append((start_minute, end_minute))
        day += timedelta(days=1)
    return _merge(spans)


def _free_spans(
    windows: Sequence[WeeklyWindow],
    tz: ZoneInfo,
    start_minute: int,
    end_minute: int,
    busy: Iterable[tuple[int, int]],
    buffer_min: int,
    earliest_start: time | None,
    latest_end: time | None,
) -> list[tuple[int, int]]:
    if end_minute <= start_minute:
        return []
    first = _to_datetime(start_minute).astimezone(tz).date()
    last = _to_datetime(end_minute).astimezone(tz).date()
    available = _daily_spans(((w.weekday, w.start, w.end) for w in windows), first, last, tz)
    if earliest_start is not None or latest_end is not None:
        # An end at or before the start runs to the next day, so a missing latest_end (midnight)
        # means "until the end of the day" and 22:00-02:00 suits a night owl.
        band_start = earliest_start or time(0)
        band_end = latest_end or time(0)
        band = _daily_spans(((wd, band_start, band_end) for wd in range(7)), first, last, tz)
        available = _intersect(available, band)
    available = _intersect(available, [(start_minute, end_minute)])
    available = _subtract(available, ((s - buffer_min, e) for s, e in busy))
    midnights = [minute for _, minute in _local_midnights(first, last, tz)]
    return _split_at(available, midnights)


def _split_at(spans: list[tuple[int, int]], cuts: list[int]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for start, end in spans:
        index = bisect.bisect_right(cuts, start)
        cursor = start
        while index < len(cuts) and cuts[index] < end:
            result.append((cursor, cuts[index]))
            cursor = cuts[index]
            index += 1
        result.append((cursor, end))
    return result


def free_intervals(
    availability: WeeklyAvailability,
    *,
    timezone: str | ZoneInfo,
    start: datetime,
    end: datetime,
    busy: Iterable[Interval | tuple[datetime, datetime]] = (),
    buffer_min: int = DEFAULT_BUFFER_MIN,
    earliest_start: time | None = None,
    latest_end: time | None = None,
) -> list[Interval]:
    """Weekly availability in `timezone` over [start, end), minus busy time, as UTC intervals.

    Each busy interval also blocks the `buffer_min` minutes before it. Intervals are sorted,
    disjoint and cut at every local midnight (so each lies within one local day).
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    tz = _zone(timezone)
    busy_spans = []
    for item in busy:
        interval = _as_interval(item)
        busy_spans.append((_floor_min(interval.start), _ceil_min(interval.end)))
    spans = _free_spans(
        _normalize_availability(availability),
        tz,
        _ceil_min(start),
        _floor_min(end),
        busy_spans,
        buffer_min,
        earliest_start,
        latest_end,
    )
    return [Interval(_to_datetime(s), _to_datetime(e)) for s, e in spans]


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
    free_cache: list[tuple[int, int]] | None = None
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

    @property
    def remaining(self) -> int:
        return self.spec.duration_min - self.placed


def _effective_min_chunk(task: PlanTask, limits: PlanLimits) -> int:
    """Shortest block allowed for `task` (the task's whole duration if that is shorter)."""
    floor = max(task.min_chunk_min or 0, limits.min_block_min)
    return min(floor, task.duration_min) if task.is_splittable else task.duration_min


class _Planner:
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
        self.gap = self.limits.break_min
        self.now = _ceil_min(request.now)
        self.h_start = _ceil_min(request.horizon_start)
        self.h_end = _floor_min(request.horizon_end)
        self.log: list[tuple[str, _Block]] = []
        self.weighted = 0.0
        self.budget = MAX_REPAIR_ATTEMPTS_TOTAL
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
        # Locked blocks are occupied, and (break rule) so is `break_min` on either side.
        free = _subtract(free, ((s - self.gap, e + self.gap) for s, e, _ in locked))
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
                    preferred=max(limits.preferred_block_min, min_len)
                    if not self.is_dense
                    else _FOREVER,
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
        day.free_cache = None
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
        day.free_cache = None
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
            day.free_cache = None

    # -- queries -----------------------------------------------------------------------------

    def _free(self, day: _Day) -> list[tuple[int, int]]:
        if day.free_cache is None:
            gap = self.gap
            day.free_cache = _subtract(day.base, ((b.start - gap, b.end + gap) for b in day.blocks))
        return day.free_cache

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

    def _chunk_length(self, task: _Task, usable: int) -> tuple[int, bool] | None:
        """(length of the next chunk, whether it leaves a tail too short to place on its own)."""
        remaining = task.remaining
        if not task.spec.is_splittable:
            return (remaining, False) if task.placed == 0 and usable >= remaining else None
        if remaining < task.min_len:
            return None
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
        best: tuple[float, int, int] | None = None
        for day_index in self._day_range(lo, hi) if days is None else days:
            day = self.days[day_index]
            if day.cap_left < need or day.end <= lo or day.start >= hi:
                continue
            for seg_start, seg_end in self._free(day):
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
            if task.remaining <= 0 or (not task.spec.is_splittable and task.placed > 0):
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
        if end > day.end or day.cap_left < end - start:
            return False
        return any(s <= start and end <= e for s, e in self._free(day))

    def greedy(self) -> None:
        for task in self.order:
            self._fill(task)
        self.log.clear()

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
            free = _overlap(self._free(day), lo, hi)
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
        gap, step, own = self.gap, self.step, task.index
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
                if first and blocks[first - 1].end + gap > left:
                    left = blocks[first - 1].end + gap
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
                    if last + 1 < count and blocks[last + 1].start - gap < right:
                        right = blocks[last + 1].start - gap
                    if min(right, hi) - left >= need and day.cap_left + freed >= need:
                        found.append((cost, head.start, day_index, first, last))
        chosen = heapq.nsmallest(limit, found)
        return [self.days[d].blocks[first : last + 1] for _, _, d, first, last in chosen]

    def _try_evict(self, task: _Task, group: list[_Block], depth: int) -> bool:
        mark = len(self.log)
        before = self.weighted
        victims = sorted({b.task for b in group})
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
        short = [t for t in self.order if self._wants_more(t)]
        if not short:
            return
        day_indexes = sorted({d for t in short for d in self._day_range(*self._window(t))})
        orderings = (
            lambda t: (-t.spec.priority, t.hi, t.spec.id),
            lambda t: (t.hi, -t.spec.priority, t.spec.id),
        )
        for day_index in day_indexes:
            if any(b.is_kept for b in self.days[day_index].blocks):
                continue  # a kept block stays where it was (low churn); so does its day
            for key in orderings:
                if self.budget <= 0:
                    self.log.clear()
                    return
                self.budget -= 1
                if self._try_repack(self.days[day_index], key):
                    break
        self.log.clear()

    def _try_repack(self, day: _Day, key: Callable[[_Task], tuple]) -> bool:
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
            cursor = seg_start
            while cursor < seg_end and day.cap_left > 0:
                placed = None
                for task in candidates:
                    if not self._wants_more(task):
                        continue
                    lo, hi = self._window(task)
                    start = _align_up(max(cursor, lo), self.step)
                    usable = min(min(seg_end, hi) - start, day.cap_left)
                    if usable < task.min_len:
                        continue
                    length = min(task.remaining, usable)
                    if not task.spec.is_splittable and length != task.remaining:
                        continue
                    shortfall = task.min_len - (task.remaining - length)
                    if 0 < shortfall < task.min_len and length - shortfall >= task.min_len:
                        length -= shortfall  # leave a placeable remainder, not a stranded tail
                    placed = self._add(task, start, start + length)
                    break
                if placed is None:
                    break
                cursor = placed.end + self.gap
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
        if segment is None:
            return
        lo, hi = self._window(task)
        earlier_end = max(
            (b.end + self.gap for b in day.blocks if b.end <= block.start), default=_NEVER
        )
        later_start = min(
            (b.start - self.gap for b in day.blocks if b.start >= block.end), default=_FOREVER
        )
        extra = min(task.remaining, day.cap_left)
        new_end = min(segment[1], later_start, hi, block.end + extra)
        new_end = max(new_end, block.end)
        extra -= new_end - block.end
        new_start = block.start
        if extra > 0:
            candidate = _align_up(max(segment[0], earlier_end, lo, block.start - extra), self.step)
            new_start = min(candidate, block.start)
        if (new_start, new_end) != (block.start, block.end):
            self._remove(block)
            block = self._add(task, new_start, new_end)
        if task.remaining > 0 and day.cap_left > 0:
            self._relayout(day, segment, block, min(task.remaining, day.cap_left))

    def _relayout(self, day: _Day, segment: tuple[int, int], grown: _Block, extra: int) -> None:
        """Grow `grown` by `extra` by sliding the segment's blocks together (same order)."""
        members = [b for b in day.blocks if segment[0] <= b.start < segment[1]]
        used = sum(b.end - b.start for b in members) + self.gap * (len(members) - 1)
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
        for task, length, old in layout:
            lo, hi = self._window(task)
            start = _align_up(max(cursor, lo), self.step)
            if start + length > min(segment[1], hi) or (
                not task.spec.is_splittable and length != task.spec.duration_min
            ):
                self._rollback(mark)
                return
            is_kept = old.is_kept and (start, start + length) == (old.start, old.end)
            self._add(task, start, start + length, is_kept=is_kept)
            cursor = start + length + self.gap

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
            seg_end = next((e for s, e in self._free(day) if s <= block.start < e), block.end)
            current = self._score(task, day, block.start, block.end, seg_end, lo_day)
            place = self._best_exact(task, block.end - block.start)
            if place is None or place == (block.start, block.end):
                self._rollback(mark)
                continue
            new_day = self.days[self._day_of(place[0])]
            new_end = next((e for s, e in self._free(new_day) if s <= place[0] < e), place[1])
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
            if day.cap_left < length:
                continue
            for seg_start, seg_end in self._free(day):
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

    def _capacity(self, lo: int, hi: int, *, after_plan: bool) -> tuple[int, int]:
        """(minutes usable for study in [lo, hi), longest usable stretch), per-day caps applied."""
        total = longest = 0
        for day_index in self._day_range(lo, hi):
            day = self.days[day_index]
            spans = self._free(day) if after_plan else day.base
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
        lo, hi = self._window(task)
        free_left, longest_left = self._capacity(task.lo, task.hi, after_plan=True)
        if lo > task.lo:
            after_left, _ = self._capacity(lo, hi, after_plan=True)
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


# -- Entry points ---------------------------------------------------------------------------


def plan(request: PlanRequest) -> PlanResult:
    """Place the request's tasks into free time; see the module docstring for the rules."""
    planner = _Planner(request)
    planner.keep_previous()
    planner.greedy()
    if not any(t.remaining > 0 for t in planner.order):
        return planner.result()
    # Over-full: repair the preference-driven plan, and also build two EDF plans (preferred and
    # long chunks); keep the one with the most weighted minutes, preferences breaking ties.
    planner.repair()
    planner.repack()
    planner.stretch()
    for is_dense in (False, True):
        other = _Planner(request, is_dense=is_dense)
        other.keep_previous()
        other.edf()
        other.repair()
        other.stretch()
        if other.weighted > planner.weighted + GAIN_EPSILON:
            planner = other
    if planner.is_built_by_edf:
        planner.polish()
    return planner.result()


def validate(request: PlanRequest, result: PlanResult) -> list[str]:
    """Every hard rule `result` breaks for `request`, as readable messages (empty when valid)."""
    limits = request.limits
    tz = _zone(request.timezone)
    violations: list[str] = []
    tasks = {t.id: t for t in request.tasks}
    now = _ceil_min(request.now)
    h_start, h_end = _ceil_min(request.horizon_start), _floor_min(request.horizon_end)
    busy = [(_floor_min(b.start), _ceil_min(b.end)) for b in request.busy]
    free = _free_spans(
        request.availability,
        tz,
        h_start,
        h_end,
        busy,
        limits.buffer_min,
        limits.earliest_start,
        limits.latest_end,
    )
    free_starts = [s for s, _ in free]
    locked = [(_floor_min(b.start), _ceil_min(b.end), b) for b in request.locked]

    def local_day(minute: int) -> date:
        return _to_datetime(minute).astimezone(tz).date()

    def label(task_id: str, start: int, end: int) -> str:
        return f"block {task_id} {_format_local(start, tz)}-{_format_local(end, tz)}"

    spans: list[tuple[int, int, str]] = []
    by_task: dict[str, list[tuple[int, int]]] = {}
    for block in result.blocks:
        start, end = _floor_min(block.start), _floor_min(block.end)
        name = label(block.task_id, start, end)
        task = tasks.get(block.task_id)
        if task is None:
            violations.append(f"{name}: unknown task")
            continue
        by_task.setdefault(block.task_id, []).append((start, end))
        spans.append((start, end, block.task_id))
        if _ceil_min(block.start) != start or _ceil_min(block.end) != end:
            violations.append(f"{name}: not on whole minutes")
        if end <= start:
            violations.append(f"{name}: ends before it starts")
            continue
        if block.course_id != task.course_id:
            violations.append(f"{name}: course {block.course_id} is not the task's")
        if start < now:
            violations.append(f"{name}: starts before now")
        if start < h_start or end > h_end:
            violations.append(f"{name}: outside the horizon")
        if start < _ceil_min(task.release):
            violations.append(f"{name}: starts before the task's release")
        if end > _floor_min(task.deadline):
            violations.append(f"{name}: ends after the task's deadline")
        index = bisect.bisect_right(free_starts, start) - 1
        if index < 0 or free[index][1] < end:
            violations.append(f"{name}: outside free time (availability, busy + buffer)")
        for lock_start, lock_end, _ in locked:
            if lock_start < end and start < lock_end:
                violations.append(f"{name}: overlaps a locked block")
        if end - start < _effective_min_chunk(task, limits):
            violations.append(f"{name}: shorter than the minimum chunk")

    spans.sort()
    for (s1, e1, t1), (s2, e2, t2) in itertools.pairwise(spans):
        if s2 < e1:
            violations.append(f"{label(t1, s1, e1)} overlaps {label(t2, s2, e2)}")

    # Break rule and daily cap per local day; locked blocks count.
    per_day: dict[date, list[tuple[int, int, bool]]] = {}
    for start, end, _ in spans:
        per_day.setdefault(local_day(start), []).append((start, end, True))
    for start, end, _ in locked:
        day = local_day(start)
        if day in per_day:
            per_day[day].append((start, end, False))
    cap = limits.cap_min
    for day in sorted(per_day):
        items = sorted(per_day[day])
        total = sum(e - s for s, e, _ in items)
        if total > cap:
            violations.append(f"{day}: {total} min planned incl. locked, cap is {cap} min")
        for index, (start, end, is_planned) in enumerate(items):
            for other_start, _, other_planned in items[index + 1 :]:
                if other_start - end >= limits.break_min:
                    break
                if (is_planned or other_planned) and other_start >= end:
                    violations.append(
                        f"{day}: blocks at {_format_local(start, tz)} and "
                        f"{_format_local(other_start, tz)} are less than {limits.break_min} "
                        "min apart"
                    )

    for task_id in sorted(by_task):
        task = tasks[task_id]
        blocks = sorted(by_task[task_id])
        total = sum(e - s for s, e in blocks)
        if total > task.duration_min:
            violations.append(f"task {task_id}: {total} min planned, only {task.duration_min} due")
        if not task.is_splittable and (len(blocks) != 1 or total != task.duration_min):
            violations.append(f"task {task_id}: not splittable but not one full block")
        first_start = blocks[0][0]
        for pred_id in task.predecessors:
            ends = [e for _, e in by_task.get(pred_id, [])]
            ends += [e for _, e, lb in locked if lb.task_id == pred_id]
            if pred_id in tasks and ends and max(ends) > first_start:
                violations.append(
                    f"task {task_id}: starts {_format_local(first_start, tz)} before "
                    f"prerequisite {pred_id} ends {_format_local(max(ends), tz)}"
                )
    return violations
