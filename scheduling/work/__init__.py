"""Task generation: the study work a student needs, built from assessments, topics and mastery.

A `WorkItem` is one piece of work (a topic for an assessment, a prerequisite, a review, ...)
with a stable `key`; the planner cuts it into blocks and each placed block becomes one
StudyTask row carrying the key, so a replan can match blocks to work and move as little as it
can. This module only reads rows; `services.plan_regenerate` saves what the planner returns.
"""

from scheduling.work.context import (
    LOOKAHEAD_HORIZONS,
    REVIEW_WEIGHT,
    REVIEW_WINDOW_DAYS,
    UNKNOWN_CI,
    UNKNOWN_MASTERY,
    PlanningContext,
    WorkItem,
    WorkKind,
    block_length,
    ceil_minutes,
    duration_ratios_for,
    horizon_for,
    load_context,
    local_midnight,
    user_zone,
)
from scheduling.work.items import build_work_items, exam_topics

__all__ = [
    "LOOKAHEAD_HORIZONS",
    "REVIEW_WEIGHT",
    "REVIEW_WINDOW_DAYS",
    "UNKNOWN_CI",
    "UNKNOWN_MASTERY",
    "PlanningContext",
    "WorkItem",
    "WorkKind",
    "block_length",
    "build_work_items",
    "ceil_minutes",
    "duration_ratios_for",
    "exam_topics",
    "horizon_for",
    "load_context",
    "local_midnight",
    "user_zone",
]
