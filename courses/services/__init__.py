"""Every write to courses, topics and assessments, and the course and LMS imports.

Business rules live here and raise ApplicationError (HTTP 400 in the API, form errors in
pages). Scheduling learns about changed assessments through `assessment_changed`, sent on
commit so a rolled-back write never triggers a replan.

The package is split by concern (courses, topics, assessments, the CSV and LMS imports);
every public name is re-exported here, so callers keep writing `services.course_create(...)`.
"""

from courses.services.assessments import (
    ASSESSMENT_FIELDS,
    MAX_WEIGHT_PERCENT,
    SCHEMA_ITEM_FIELDS,
    assessment_create,
    assessment_delete,
    assessment_schema_replace,
    assessment_topic_question_counts_fill,
    assessment_update,
    assessment_weight_confirm,
)
from courses.services.courses import (
    COURSE_FIELDS,
    course_archive,
    course_create,
    course_delete,
    course_target_grade_set,
    course_update,
)
from courses.services.csv_import import (
    CSV_ACTION_CREATE,
    CSV_ACTION_ERROR,
    CSV_ACTION_UNCHANGED,
    CSV_ACTION_UPDATE,
    CsvImportReport,
    ImportRowReport,
    courses_import_csv,
)
from courses.services.lms_import import (
    LMS_ACTION_CREATE,
    LMS_ACTION_ERROR,
    LMS_ACTION_SKIP,
    LMS_ACTION_UNCHANGED,
    LMS_ACTION_UPDATE,
    LMS_DEFAULT_WEIGHT_BY_TYPE,
    LMS_IMPORTED_WEIGHT_PERCENT,
    LmsImportReport,
    LmsRowReport,
    default_weight_for,
    lms_import_confirm,
    lms_import_preview,
)
from courses.services.lms_sync import (
    LmsAssessmentItem,
    LmsAssessmentsOutcome,
    lms_assessments_sync,
    lms_course_get_or_create,
)
from courses.services.topics import TOPIC_FIELDS, topic_create, topic_delete, topic_update

__all__ = [
    "ASSESSMENT_FIELDS",
    "COURSE_FIELDS",
    "CSV_ACTION_CREATE",
    "CSV_ACTION_ERROR",
    "CSV_ACTION_UNCHANGED",
    "CSV_ACTION_UPDATE",
    "LMS_ACTION_CREATE",
    "LMS_ACTION_ERROR",
    "LMS_ACTION_SKIP",
    "LMS_ACTION_UNCHANGED",
    "LMS_ACTION_UPDATE",
    "LMS_DEFAULT_WEIGHT_BY_TYPE",
    "LMS_IMPORTED_WEIGHT_PERCENT",
    "MAX_WEIGHT_PERCENT",
    "SCHEMA_ITEM_FIELDS",
    "TOPIC_FIELDS",
    "CsvImportReport",
    "ImportRowReport",
    "LmsAssessmentItem",
    "LmsAssessmentsOutcome",
    "LmsImportReport",
    "LmsRowReport",
    "assessment_create",
    "assessment_delete",
    "assessment_schema_replace",
    "assessment_topic_question_counts_fill",
    "assessment_update",
    "assessment_weight_confirm",
    "course_archive",
    "course_create",
    "course_delete",
    "course_target_grade_set",
    "course_update",
    "courses_import_csv",
    "default_weight_for",
    "lms_assessments_sync",
    "lms_course_get_or_create",
    "lms_import_confirm",
    "lms_import_preview",
    "topic_create",
    "topic_delete",
    "topic_update",
]
