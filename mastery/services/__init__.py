"""Every write of evidence and mastery: performance records, the grade import, the mastery fold.

Evidence is written here and, on commit, the `mastery` queue recomputes the topics it touches.
Mastery of a topic is a deterministic fold of the engine over the user's evidence for it in
fold order (completed_at, created_at, id), so a recompute is idempotent and a grade imported
late, dated in the past, lands where it belongs. The newest evidence takes a fast path (one
`engine.update` on the stored state) only when that provably equals the full fold.

The package is split by concern (validation, performance records, the recompute fold, the
grade import); every public name is re-exported here, so callers keep importing from
`mastery.services`.
"""

from mastery.services.grade_import import (
    ASSESSMENT_NAME_MAX_LENGTH,
    DEFAULT_TIME_SPENT_MIN,
    IMPORT_TYPE_KEYWORDS,
    IMPORTED_GRADE_LOCAL_TIME,
    MAX_IMPORT_ROWS,
    GradeImportReport,
    GradeRowReport,
    grades_import,
)
from mastery.services.performance import (
    UPDATABLE_FIELDS,
    assessment_score_record,
    performance_record_create,
    performance_record_create_self_rating,
    performance_record_delete,
    performance_record_update,
)
from mastery.services.recompute import (
    MOVED_FIELDS,
    MasteryRecomputeResult,
    enqueue_recompute_for_assessments,
    enqueue_recompute_for_user,
    mastery_recompute,
    mastery_recompute_topics,
    mastery_recompute_user,
    recompute_queued_already,
    recompute_topics_started,
)
from mastery.services.validation import (
    DEFAULT_MAX_SCORE,
    MAX_CLOCK_SKEW,
    MAX_QUESTION_DATA_ITEMS,
    QUESTION_DIFFICULTIES,
)

__all__ = [
    "ASSESSMENT_NAME_MAX_LENGTH",
    "DEFAULT_MAX_SCORE",
    "DEFAULT_TIME_SPENT_MIN",
    "IMPORTED_GRADE_LOCAL_TIME",
    "IMPORT_TYPE_KEYWORDS",
    "MAX_CLOCK_SKEW",
    "MAX_IMPORT_ROWS",
    "MAX_QUESTION_DATA_ITEMS",
    "MOVED_FIELDS",
    "QUESTION_DIFFICULTIES",
    "UPDATABLE_FIELDS",
    "GradeImportReport",
    "GradeRowReport",
    "MasteryRecomputeResult",
    "assessment_score_record",
    "enqueue_recompute_for_assessments",
    "enqueue_recompute_for_user",
    "grades_import",
    "mastery_recompute",
    "mastery_recompute_topics",
    "mastery_recompute_user",
    "performance_record_create",
    "performance_record_create_self_rating",
    "performance_record_delete",
    "performance_record_update",
    "recompute_queued_already",
    "recompute_topics_started",
]
