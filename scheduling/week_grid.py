"""The week plan as a time grid: seven local days across, the hours of the day down.

Layout is decided here, on the server, and handed to the template as CSS class names: the
Content-Security-Policy forbids inline style attributes, so an element's offset and height are
classes (`at-h3 at-m15 len-h1 len-m30`) that set custom properties in
static/scheduling/week_grid_positions.css, which turns them into `top` and `height`.

The vertical axis is wall-clock time in the student's zone, the same for every column, so a
09:00 block sits at 09:00 on a 23-hour or a 25-hour day as on any other (placing by time
elapsed since midnight would put it at 08:00 or 10:00 there). The hour that a spring-forward
day skips is shaded as skipped; the hour a fall-back day repeats is named in the day's heading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from scheduling import selectors
from scheduling.models import StudyTask, TaskType
from scheduling.work import local_midnight, user_zone

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
DAYS_SHOWN = 7
# With no availability and no block to go by, the grid shows a usual study day.
DEFAULT_FIRST_HOUR = 8
DEFAULT_LAST_HOUR = 22
# A review of at most this length is "short": several of them in a row are shown as one
# review session, so a day of spaced repetition is not a wall of 10-minute cards.
SHORT_REVIEW_MAX_MIN = 20
# Reviews further apart than this stay separate sessions: one element spanning the whole day
# would hide the free time between them.
REVIEW_SESSION_MAX_GAP_MIN = 60


def minute_of_day(moment: datetime, day: date, tz) -> int:
    """Wall-clock minutes since local midnight of `day`, clipped to that day."""
    local = moment.astimezone(tz)
    if local.date() < day:
        return 0
    if local.date() > day:
        return MINUTES_PER_DAY
    return local.hour * MINUTES_PER_HOUR + local.minute


def position_classes(start_min: int, end_min: int, first_min: int) -> str:
    """Offset from the top of the grid and height, as the classes the stylesheet knows."""
    top = max(0, start_min - first_min)
    length = max(1, end_min - start_min)
    return (
        f"at-h{top // MINUTES_PER_HOUR} at-m{top % MINUTES_PER_HOUR} "
        f"len-h{length // MINUTES_PER_HOUR} len-m{length % MINUTES_PER_HOUR}"
    )


@dataclass
class GridItem:
    """One placed element: a block, a review session, busy time, availability or a gap."""

    kind: str
    start: datetime
    end: datetime
    classes: str = ""
    label: str = ""
    task: StudyTask | None = None
    tasks: list[StudyTask] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def study_minutes(self) -> int:
        """The blocks' own minutes, without the breaks between them."""
        return sum(task.estimated_duration_min for task in self.tasks)


@dataclass
class GridDay:
    date: date
    is_today: bool
    hours_long: int
    planned_minutes: int
    availability: list[GridItem] = field(default_factory=list)
    busy: list[GridItem] = field(default_factory=list)
    items: list[GridItem] = field(default_factory=list)
    skipped: list[GridItem] = field(default_factory=list)
    repeated_hour: str = ""
    now_classes: str = ""

    @property
    def tasks(self) -> list[StudyTask]:
        return [t for item in self.items for t in ([item.task] if item.task else item.tasks)]


@dataclass
class WeekGrid:
    start: date
    days: list[GridDay]
    tz_name: str
    first_hour: int
    last_hour: int

    @property
    def hours(self) -> list[str]:
        return [f"{hour:02d}:00" for hour in range(self.first_hour, self.last_hour)]

    @property
    def hour_count(self) -> int:
        return self.last_hour - self.first_hour

    @property
    def end(self) -> date:
        return self.start + timedelta(days=DAYS_SHOWN - 1)

    @property
    def previous(self) -> date:
        return self.start - timedelta(days=DAYS_SHOWN)

    @property
    def next(self) -> date:
        return self.start + timedelta(days=DAYS_SHOWN)


def _is_short_review(task: StudyTask) -> bool:
    return task.task_type == TaskType.REVIEW and task.estimated_duration_min <= (
        SHORT_REVIEW_MAX_MIN
    )


def _grouped(tasks: list[StudyTask]) -> list[list[StudyTask]]:
    """Tasks in time order; short reviews one after another (no other block between them,
    close in time) share a group. A group of one is a block on its own."""
    groups: list[list[StudyTask]] = []
    for task in tasks:
        last = groups[-1] if groups else None
        if (
            last
            and _is_short_review(task)
            and all(_is_short_review(t) for t in last)
            and task.scheduled_start - last[-1].scheduled_end
            <= timedelta(minutes=REVIEW_SESSION_MAX_GAP_MIN)
        ):
            last.append(task)
        else:
            groups.append([task])
    return groups


def _hour_bounds(columns, tz) -> tuple[int, int]:
    """From the earliest start to the latest end of availability and blocks, whole hours."""
    starts, ends = [], []
    for column in columns:
        for slot in column.availability:
            starts.append(minute_of_day(slot.start, column.date, tz))
            ends.append(minute_of_day(slot.end, column.date, tz))
        for task in column.tasks:
            starts.append(minute_of_day(task.scheduled_start, column.date, tz))
            ends.append(minute_of_day(task.scheduled_end, column.date, tz))
    if not starts:
        return DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR
    first = min(starts) // MINUTES_PER_HOUR
    last = -(-max(ends) // MINUTES_PER_HOUR)
    return first, max(last, first + 1)


def _dst_marks(day: date, tz) -> tuple[list[tuple[int, int]], str]:
    """The wall-clock minutes a spring-forward day skips, and the hour a fall-back day repeats."""
    skipped, repeated = [], ""
    for hour in range(24):
        wall = datetime.combine(day, time(hour), tzinfo=tz)
        if wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
            skipped.append((hour * MINUTES_PER_HOUR, (hour + 1) * MINUTES_PER_HOUR))
        elif wall.utcoffset() != wall.replace(fold=1).utcoffset():
            repeated = f"{hour:02d}:00–{hour + 1:02d}:00"
    return skipped, repeated


def week_grid(user, *, first: date, preferences, now: datetime) -> WeekGrid:
    """Seven local days from `first`, each element placed by its wall-clock start and end."""
    tz = user_zone(user)
    columns = selectors.day_view(
        user, first=first, days=DAYS_SHOWN, preferences=preferences, now=now
    )
    first_hour, last_hour = _hour_bounds(columns, tz)
    first_min, last_min = first_hour * MINUTES_PER_HOUR, last_hour * MINUTES_PER_HOUR

    def placed(kind, start, end, day, **extra) -> GridItem | None:
        start_min = max(minute_of_day(start, day, tz), first_min)
        end_min = min(minute_of_day(end, day, tz), last_min)
        if end_min <= start_min:
            return None  # wholly outside the hours shown (busy time at night)
        classes = position_classes(start_min, end_min, first_min)
        return GridItem(kind=kind, start=start, end=end, classes=classes, **extra)

    days = []
    for column in columns:
        day = column.date
        # In UTC: two datetimes in the same zone subtract as wall clocks (always 24 hours).
        length = local_midnight(day + timedelta(days=1), tz).astimezone(UTC) - local_midnight(
            day, tz
        ).astimezone(UTC)
        grid_day = GridDay(
            date=day,
            is_today=column.is_today,
            hours_long=round(length.total_seconds() / 3600),
            planned_minutes=column.planned_minutes,
        )
        for slot in column.availability:
            item = placed("available", slot.start, slot.end, day, label=slot.label)
            if item:
                grid_day.availability.append(item)
        for slot in column.busy:
            item = placed("busy", slot.start, slot.end, day, label=slot.label)
            if item:
                grid_day.busy.append(item)
        for group in _grouped(column.tasks):
            first_task, last_task = group[0], group[-1]
            kind, extra = ("task", {"task": first_task}) if len(group) == 1 else ("reviews", {})
            item = placed(kind, first_task.scheduled_start, last_task.scheduled_end, day, **extra)
            if item is None:  # a block outside the hours shown cannot be: the hours include it
                continue
            item.tasks = group
            grid_day.items.append(item)
        skipped, grid_day.repeated_hour = _dst_marks(day, tz)
        for start_min, end_min in skipped:
            top, bottom = max(start_min, first_min), min(end_min, last_min)
            if bottom > top:
                # Naive wall times: the skipped hour has no instant of its own.
                grid_day.skipped.append(
                    GridItem(
                        kind="skipped",
                        start=datetime.combine(day, time(start_min // MINUTES_PER_HOUR)),
                        end=datetime.combine(day, time(start_min // MINUTES_PER_HOUR))
                        + timedelta(minutes=end_min - start_min),
                        classes=position_classes(top, bottom, first_min),
                    )
                )
        if column.is_today:
            now_min = minute_of_day(now, day, tz)
            if first_min <= now_min < last_min:
                grid_day.now_classes = position_classes(now_min, now_min + 1, first_min)
        days.append(grid_day)
    return WeekGrid(
        start=first, days=days, tz_name=tz.key, first_hour=first_hour, last_hour=last_hour
    )
