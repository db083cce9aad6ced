"""What goes into the planner and what comes out: plain, validated dataclasses."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# -- Defaults and limits --------------------------------------------------------------------

# Module 3: 15 minutes to wrap up and get to (or log into) a calendar event.
DEFAULT_BUFFER_MIN = 15
# Blocks start on 5-minute marks: a block at 18:05 reads well, one at 18:07 looks like a bug.
DEFAULT_GRANULARITY_MIN = 5
# The defaults of UserPreferences, so a request built without preferences behaves the same.
DEFAULT_MAX_HOURS_PER_DAY = 4.0
DEFAULT_PREFERRED_BLOCK_MIN = 50
DEFAULT_BREAK_MIN = 10
# Shorter sessions spend most of their time getting started.
DEFAULT_MIN_BLOCK_MIN = 25
# Module 3: blocks last 25-120 minutes; attention falls off past two hours whatever the
# preferred length, so even an over-full plan never stretches a block beyond this.
DEFAULT_MAX_BLOCK_MIN = 120
# Module 3 (`min_break_between_courses_min`): switching course needs a longer pause than
# changing topic within one, to put one subject away and pick up the other.
DEFAULT_COURSE_SWITCH_BREAK_MIN = 15
# Module 3: at most 6 blocks a day; more fragments a day past what a student keeps up.
DEFAULT_MAX_BLOCKS_PER_DAY = 6

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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
    max_block_min: int = DEFAULT_MAX_BLOCK_MIN
    # Least time between two blocks of different courses (the larger of this and break_min).
    course_switch_break_min: int = DEFAULT_COURSE_SWITCH_BREAK_MIN
    # Per local day, locked blocks included.
    max_blocks_per_day: int = DEFAULT_MAX_BLOCKS_PER_DAY
    # Local wall-time band every day's availability is clipped to; None means no limit.
    earliest_start: time | None = None
    latest_end: time | None = None
    # Local hours (0-23) the student works best in; empty means "earlier in the day's free time".
    peak_hours: tuple[int, ...] = ()
    granularity_min: int = DEFAULT_GRANULARITY_MIN

    def __post_init__(self) -> None:
        if self.max_hours_per_day < 0:
            raise PlanInputError("max_hours_per_day must be >= 0")
        for name in (
            "preferred_block_min",
            "min_block_min",
            "granularity_min",
            "max_block_min",
            "max_blocks_per_day",
        ):
            if getattr(self, name) < 1:
                raise PlanInputError(f"{name} must be >= 1")
        if self.break_min < 0 or self.buffer_min < 0 or self.course_switch_break_min < 0:
            raise PlanInputError("break_min, buffer_min and course_switch_break_min must be >= 0")
        hours = tuple(sorted(set(self.peak_hours)))
        if any(not 0 <= hour <= 23 for hour in hours):
            raise PlanInputError("peak_hours must be local hours 0..23")
        object.__setattr__(self, "peak_hours", hours)

    @property
    def cap_min(self) -> int:
        return round(self.max_hours_per_day * 60)

    def gap_between(self, course: str | None, other: str | None) -> int:
        """Least minutes between two blocks; an unknown course counts as a switch."""
        if course is not None and course == other:
            return self.break_min
        return max(self.break_min, self.course_switch_break_min)

    @property
    def widest_gap(self) -> int:
        return max(self.break_min, self.course_switch_break_min)


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


def _zone(name: str | ZoneInfo) -> ZoneInfo:
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError) as exc:
        raise PlanInputError(f"unknown time zone {name!r}") from exc


def _effective_min_chunk(task: PlanTask, limits: PlanLimits) -> int:
    """Shortest block allowed for `task` (the task's whole duration if that is shorter)."""
    floor = min(max(task.min_chunk_min or 0, limits.min_block_min), limits.max_block_min)
    return min(floor, task.duration_min) if task.is_splittable else task.duration_min
