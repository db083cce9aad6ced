"""The pure study planner: places study tasks into a student's free time.

No Django here (an import-linter contract enforces it). Services build a `PlanRequest` from
rows, call `plan()`, run `validate()` on the `PlanResult` and save it only when no hard rule is
broken (a planner bug must never reach a student's calendar).

Modules
-------
* `types`: the request and result dataclasses, the enums and `PlanInputError`;
* `grid`: minute arithmetic and free time (availability, busy time, local days across DST);
* `state`: the working state of one candidate plan, with a log so a search can roll back;
* `placement`: the soft preferences and where one chunk goes; the greedy pass;
* `repair`: the over-full passes (EDF, ejection chains, repacking, stretching, polishing);
* `report`: the result, with the reasons for unscheduled work and the assessment cushions;
* `core`: `plan()`, which builds the candidate plans and keeps the best;
* `validation`: `validate()`, the independent checker of the hard rules.

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
  and the block count are per local calendar day and each block belongs to exactly one. Breaks
  are NOT reset at midnight: they hold on the time line, so a 23:00-01:00 window never gives a
  run of work without its break.

Hard rules (checked by `validate`)
----------------------------------
No overlap with busy time (each event grown by `buffer_min`, 15 by default, before it), with
locked blocks or with other blocks; only inside availability (clipped to
earliest_start/latest_end); at most `max_hours_per_day` and at most `max_blocks_per_day` (6)
blocks per local day, locked blocks included; no block longer than `max_block_min` (120); any
two blocks (locked included, across local midnight too) at least `break_min` apart, and at least
`course_switch_break_min` (15) apart when their courses differ or one is unknown, so a
continuous run of study is one block followed by its break; each block inside its task's
[release, deadline]
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
2. Greedy: tasks in order of priority, then prerequisite depth, deadline, id. A prerequisite
   goes first at its dependant's priority only for `PREREQUISITE_SHARE_OF_DEPENDANT` (half) of
   the dependant's minutes; the rest of it waits for its own priority's turn. Each task is cut into
   chunks of about `preferred_block_min`; each chunk goes to the best-scoring free place in the
   task's window (soft preferences: spacing of a topic across days, not next to the same
   course, hard work in peak hours, balanced days, earlier rather than later, no wasted gaps
   or stranded tails). If everything fits, that is the plan (the usual case).
3. Over-full: three candidate plans, and the one with the most priority-weighted minutes wins
   (ties go to the greedy plan, which follows the preferences best):
   a. the greedy plan, repaired: ejection chains (evict one or two blocks, place a chunk of a
      short task there, re-place the evicted work, which may itself evict once; kept only when
      weighted minutes go up), trades (a dependant short of time takes the latest blocks, or
      the tail of one, of a cheaper prerequisite), whole days re-packed with fewer, longer
      blocks (eight variants, the best kept; among them whole blocks first with the divisible
      work in what is left, and every day where some task is short, even by less than a
      block), and blocks of short tasks stretched into adjacent free time, never past
      `max_block_min`;
   b. and c. EDF plans: tasks by deadline, each as early as possible, evicting lower-priority
      work to fit (a prerequisite goes just before its dependant, early enough to leave it
      room), with preferred-length and with long chunks; then repaired and stretched, and
      finally polished (blocks moved, same length, to places the preferences like better).
   Every search pass has a fixed attempt budget, so a semester stays well under a second.
The plan does not depend on input order or dict order: everything is sorted, ties break on ids.
"""

from scheduling.planner.core import (
    plan,
)
from scheduling.planner.grid import (
    free_intervals,
)
from scheduling.planner.placement import (
    ASAP_TAIL_DELAY_MIN,
    EARLINESS_PENALTY_PER_DAY,
    EASY_IN_PEAK_PENALTY,
    FULL_DAY_PENALTY,
    HARD_LATE_PENALTY_PER_HOUR,
    HARD_OFF_PEAK_PENALTY,
    PREREQUISITE_SHARE_OF_DEPENDANT,
    SAME_COURSE_NEIGHBOUR_PENALTY,
    SAME_TOPIC_SAME_DAY_PENALTY,
    STRANDED_TAIL_PENALTY,
    WASTED_GAP_PENALTY,
)
from scheduling.planner.repair import (
    GAIN_EPSILON,
    MAX_EJECTION_DEPTH,
    MAX_EVICTED_BLOCKS,
    MAX_NESTED_ATTEMPTS,
    MAX_REPAIR_ATTEMPTS_PER_TASK,
    MAX_REPAIR_ATTEMPTS_TOTAL,
)
from scheduling.planner.types import (
    DEFAULT_BREAK_MIN,
    DEFAULT_BUFFER_MIN,
    DEFAULT_COURSE_SWITCH_BREAK_MIN,
    DEFAULT_GRANULARITY_MIN,
    DEFAULT_MAX_BLOCK_MIN,
    DEFAULT_MAX_BLOCKS_PER_DAY,
    DEFAULT_MAX_HOURS_PER_DAY,
    DEFAULT_MIN_BLOCK_MIN,
    DEFAULT_PREFERRED_BLOCK_MIN,
    WEEKDAYS,
    AssessmentCushion,
    CushionSuggestion,
    DayLoad,
    Difficulty,
    Interval,
    LockedBlock,
    PlanInputError,
    PlanLimits,
    PlannedBlock,
    PlanRequest,
    PlanResult,
    PlanTask,
    SuggestionAction,
    UnscheduledReason,
    UnscheduledWork,
    WeeklyAvailability,
    WeeklyWindow,
    parse_weekly_availability,
)
from scheduling.planner.validation import (
    validate,
)

__all__ = [
    "ASAP_TAIL_DELAY_MIN",
    "DEFAULT_BREAK_MIN",
    "DEFAULT_BUFFER_MIN",
    "DEFAULT_COURSE_SWITCH_BREAK_MIN",
    "DEFAULT_GRANULARITY_MIN",
    "DEFAULT_MAX_BLOCKS_PER_DAY",
    "DEFAULT_MAX_BLOCK_MIN",
    "DEFAULT_MAX_HOURS_PER_DAY",
    "DEFAULT_MIN_BLOCK_MIN",
    "DEFAULT_PREFERRED_BLOCK_MIN",
    "EARLINESS_PENALTY_PER_DAY",
    "EASY_IN_PEAK_PENALTY",
    "FULL_DAY_PENALTY",
    "GAIN_EPSILON",
    "HARD_LATE_PENALTY_PER_HOUR",
    "HARD_OFF_PEAK_PENALTY",
    "MAX_EJECTION_DEPTH",
    "MAX_EVICTED_BLOCKS",
    "MAX_NESTED_ATTEMPTS",
    "MAX_REPAIR_ATTEMPTS_PER_TASK",
    "MAX_REPAIR_ATTEMPTS_TOTAL",
    "PREREQUISITE_SHARE_OF_DEPENDANT",
    "SAME_COURSE_NEIGHBOUR_PENALTY",
    "SAME_TOPIC_SAME_DAY_PENALTY",
    "STRANDED_TAIL_PENALTY",
    "WASTED_GAP_PENALTY",
    "WEEKDAYS",
    "AssessmentCushion",
    "CushionSuggestion",
    "DayLoad",
    "Difficulty",
    "Interval",
    "LockedBlock",
    "PlanInputError",
    "PlanLimits",
    "PlanRequest",
    "PlanResult",
    "PlanTask",
    "PlannedBlock",
    "SuggestionAction",
    "UnscheduledReason",
    "UnscheduledWork",
    "WeeklyAvailability",
    "WeeklyWindow",
    "free_intervals",
    "parse_weekly_availability",
    "plan",
    "validate",
]
