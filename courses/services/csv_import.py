"""The CSV import of courses: all rows or none, matched on (code, semester)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.errors import ApplicationError
from courses import quotas
from courses.imports import MAX_CSV_BYTES, CsvRow, decode_upload, parse_courses_csv
from courses.models import Course
from courses.services.courses import course_create, course_update


@dataclass
class ImportRowReport:
    line: int
    action: str
    values: dict[str, Any]
    errors: list[dict[str, str]] = dataclasses.field(default_factory=list)
    course_id: str | None = None


@dataclass
class CsvImportReport:
    dry_run: bool
    rows: list[ImportRowReport]
    applied: bool = False

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)

    @property
    def counts(self) -> dict[str, int]:
        actions = (CSV_ACTION_CREATE, CSV_ACTION_UPDATE, CSV_ACTION_UNCHANGED)
        counts = {action: self.count(action) for action in actions}
        counts[CSV_ACTION_ERROR] = sum(1 for row in self.rows if row.errors)
        return counts

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"line": row.line, **error} for row in self.rows for error in row.errors]


CSV_ACTION_CREATE = "create"

CSV_ACTION_UPDATE = "update"

CSV_ACTION_UNCHANGED = "unchanged"

CSV_ACTION_ERROR = "error"


def _csv_course_fields(row: CsvRow) -> dict[str, Any]:
    return {
        "name": row.values["name"],
        "start_date": row.start_date,
        "end_date": row.end_date,
        "instructor_name": row.values["instructor"],
    }


def courses_import_csv(*, user, content: bytes | str, dry_run: bool = False) -> CsvImportReport:
    """Import courses from CSV, all or nothing.

    Courses match on (code, semester), so importing the same file again changes nothing. If any
    row is bad nothing is written and every bad row is reported; `dry_run` reports what would
    happen without writing.
    """
    text = decode_upload(content, max_bytes=MAX_CSV_BYTES, what="CSV file")
    rows = parse_courses_csv(text)
    existing = {
        (course.code, course.semester): course
        for course in Course.objects.for_user(user).filter(
            code__in={row.values["code"] for row in rows}
        )
    }
    reports: list[ImportRowReport] = []
    for row in rows:
        values = {
            "name": row.values["name"],
            "code": row.values["code"],
            "semester": row.values["semester"],
            "start_date": row.start_date,
            "end_date": row.end_date,
            "instructor": row.values["instructor"],
        }
        report = ImportRowReport(line=row.line, action=CSV_ACTION_ERROR, values=values)
        report.errors = list(row.errors)
        if not row.errors:
            course = existing.get((row.values["code"], row.values["semester"]))
            if course is None:
                report.action = CSV_ACTION_CREATE
            else:
                report.course_id = str(course.pk)
                wanted = _csv_course_fields(row)
                changed = any(getattr(course, key) != value for key, value in wanted.items())
                report.action = CSV_ACTION_UPDATE if changed else CSV_ACTION_UNCHANGED
        reports.append(report)
    result = CsvImportReport(dry_run=dry_run, rows=reports)
    if dry_run or result.has_errors:
        return result
    creates = sum(report.action == CSV_ACTION_CREATE for report in reports)
    quotas.check_course_quota(user=user, adding=creates, field="file")
    quotas.check_import_allowance(user=user)

    row_by_line = {row.line: row for row in rows}
    try:
        with transaction.atomic():
            for report in reports:
                row = row_by_line[report.line]
                try:
                    if report.action == CSV_ACTION_CREATE:
                        course = course_create(
                            user=user,
                            code=row.values["code"],
                            semester=row.values["semester"],
                            **_csv_course_fields(row),
                        )
                        report.course_id = str(course.pk)
                    elif report.action == CSV_ACTION_UPDATE:
                        course = existing[(row.values["code"], row.values["semester"])]
                        course_update(course=course, **_csv_course_fields(row))
                except ApplicationError as exc:
                    for field_name, messages in (
                        exc.field_errors or {"file": [exc.message]}
                    ).items():
                        report.errors.extend(
                            {"field": field_name, "message": message} for message in messages
                        )
                    raise
    except ApplicationError:
        # The row's errors are on the report; the transaction rolled every other row back.
        for report in reports:
            if report.action == CSV_ACTION_CREATE and not report.errors:
                report.course_id = None
        return result
    result.applied = True
    return result
