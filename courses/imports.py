"""Parsing for the course CSV import and the LMS calendar (iCalendar) import.

Nothing here writes: the parsers turn bytes into rows with per-row errors, and the services
decide what to create, update or skip.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import icalendar

from accounts import hygiene
from accounts.errors import ApplicationError
from accounts.timezones import user_zone
from courses.models import AssessmentType
from courses.validation import course_dates_errors

# One set of import limits for every format (settings IMPORT_MAX_*, docs/input-limits.md).
MAX_CSV_BYTES = hygiene.import_max_bytes()
MAX_CSV_ROWS = hygiene.import_max_rows()
MAX_LMS_EVENTS = hygiene.import_max_events()
# An all-day deadline ("due Friday") means the end of that day in the student's timezone.
ALL_DAY_DUE_TIME = time(23, 59)

CSV_COLUMNS = ("name", "code", "semester", "start_date", "end_date", "instructor")
REQUIRED_CSV_COLUMNS = ("name", "code", "semester", "start_date", "end_date")
# Header spellings are compared without case, spaces, underscores or hyphens.
CSV_HEADER_ALIASES = {
    "name": "name",
    "coursename": "name",
    "code": "code",
    "coursecode": "code",
    "semester": "semester",
    "term": "semester",
    "startdate": "start_date",
    "start": "start_date",
    "enddate": "end_date",
    "end": "end_date",
    "instructor": "instructor",
    "instructorname": "instructor",
}
CSV_FIELD_LIMITS = {"name": 200, "code": 40, "semester": 60, "instructor": 200}
US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def decode_upload(content: bytes | str, *, max_bytes: int, what: str) -> str:
    if isinstance(content, str):
        content = content.encode("utf-8")
    if len(content) > max_bytes:
        raise ApplicationError(
            f"The {what} is larger than {max_bytes // 1024} KB.",
            field_errors={"file": [f"The {what} may be at most {max_bytes // 1024} KB."]},
        )
    try:
        # utf-8-sig drops the byte-order mark spreadsheet programs put in front of CSV exports.
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApplicationError(
            f"The {what} is not UTF-8 text.", field_errors={"file": ["The file must be UTF-8."]}
        ) from exc


def parse_date(value: str) -> date:
    """ISO dates (2026-08-24), or the common US form MM/DD/YYYY (08/24/2026)."""
    value = value.strip()
    match = US_DATE.match(value)
    if match:
        month, day, year = (int(part) for part in match.groups())
        return date(year, month, day)
    return date.fromisoformat(value)


@dataclass
class CsvRow:
    line: int
    values: dict[str, str]
    start_date: date | None = None
    end_date: date | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def add_error(self, field_name: str, message: str) -> None:
        self.errors.append({"field": field_name, "message": message})


def _canonical_header(header: str) -> str:
    key = re.sub(r"[\s_\-]+", "", header or "").casefold()
    return CSV_HEADER_ALIASES.get(key, "")


def parse_courses_csv(text: str) -> list[CsvRow]:
    """Rows with their physical line numbers and field errors.

    Problems with the file as a whole (no header, a missing column, too many rows) raise
    ApplicationError; problems with a row are listed on that row.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ApplicationError(
            "The file is empty.", field_errors={"file": ["The file has no header row."]}
        ) from exc
    except csv.Error as exc:
        raise ApplicationError(f"Line 1: {exc}", field_errors={"file": [str(exc)]}) from exc
    columns = [_canonical_header(name) for name in header]
    missing = [name for name in REQUIRED_CSV_COLUMNS if name not in columns]
    if missing:
        message = f"Missing column(s): {', '.join(missing)}. Expected: {', '.join(CSV_COLUMNS)}."
        raise ApplicationError(message, field_errors={"file": [message]})

    rows: list[CsvRow] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                message = f"The file has more than {MAX_CSV_ROWS} course rows."
                raise ApplicationError(message, field_errors={"file": [message]})
            values = dict.fromkeys(CSV_COLUMNS, "")
            for column, cell in zip(columns, cells, strict=False):
                if column:
                    values[column] = cell.strip()
            rows.append(CsvRow(line=reader.line_num, values=values))
    except csv.Error as exc:
        message = f"Line {reader.line_num}: {exc}"
        raise ApplicationError(message, field_errors={"file": [message]}) from exc
    if not rows:
        raise ApplicationError(
            "The file has no course rows.", field_errors={"file": ["The file has no course rows."]}
        )

    seen: dict[tuple[str, str], int] = {}
    refused: set[str] = set()
    for row in rows:
        _check_csv_row(row)
        for name, message in hygiene.row_problems(
            {**row.values, "start_date": row.start_date, "end_date": row.end_date},
            dates=("start_date", "end_date"),
        ):
            row.add_error(name, message)
            refused.add(name)
            if isinstance(row.values.get(name), str):
                # Reported, and safe for the lookups that still run over every row.
                row.values[name] = hygiene.printable(row.values[name])
        key = (row.values["code"], row.values["semester"])
        if all(key) and key in seen:
            row.add_error("code", f"{key[0]} in {key[1]} already appears on line {seen[key]}.")
        seen.setdefault(key, row.line)
    if refused:
        hygiene.log_refusal("csv import", refused)
    return rows


def _check_csv_row(row: CsvRow) -> None:
    for name in REQUIRED_CSV_COLUMNS:
        if not row.values[name]:
            row.add_error(name, "This field is required.")
    for name, limit in CSV_FIELD_LIMITS.items():
        if len(row.values[name]) > limit:
            row.add_error(name, f"At most {limit} characters.")
    for name in ("start_date", "end_date"):
        if not row.values[name]:
            continue
        try:
            parsed = parse_date(row.values[name])
        except ValueError:
            row.add_error(
                name, f"{row.values[name]!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)."
            )
            continue
        setattr(row, name, parsed)
    for field_name, messages in course_dates_errors(row.start_date, row.end_date).items():
        for message in messages:
            row.add_error(field_name, message)


# --- iCalendar ------------------------------------------------------------------------------

# Checked in order: a midterm is named as such even when the summary also says "quiz" or
# "project", and a "Final Project" is a project, not a final exam.
TYPE_KEYWORDS: tuple[tuple[AssessmentType, re.Pattern[str]], ...] = (
    (AssessmentType.MIDTERM, re.compile(r"\bmid[\s-]?term\b", re.IGNORECASE)),
    (AssessmentType.PROJECT, re.compile(r"\bprojects?\b", re.IGNORECASE)),
    (AssessmentType.FINAL, re.compile(r"\bfinals?\b", re.IGNORECASE)),
    (AssessmentType.QUIZ, re.compile(r"\bquiz(?:zes)?\b", re.IGNORECASE)),
)
# Canvas appends the course's display name in brackets: "Homework 3 [MATH 2413-001 Calculus I]".
CANVAS_BRACKET = re.compile(r"\[([^\[\]]+)\]\s*$")


def assessment_type_for(summary: str) -> AssessmentType:
    for assessment_type, pattern in TYPE_KEYWORDS:
        if pattern.search(summary):
            return assessment_type
    return AssessmentType.ASSIGNMENT


@dataclass
class CalendarEvent:
    uid: str
    summary: str
    name: str
    bracket: str
    categories: list[str]
    due: datetime | None
    error: str = ""


def _due_moment(component, zone: ZoneInfo) -> tuple[datetime | None, str]:
    """The deadline as an aware datetime: DUE (tasks) or DTSTART (events).

    TZID and UTC times are kept as they are; floating times are the student's local time; an
    all-day date is 23:59 local on that day.
    """
    key = "DUE" if "DUE" in component else "DTSTART"
    if key not in component:
        return None, "The event has no DTSTART or DUE."
    try:
        value = component.decoded(key)
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"{key} cannot be read: {exc}."
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            value = value.replace(tzinfo=zone)
        return value, ""
    if isinstance(value, date):
        return datetime.combine(value, ALL_DAY_DUE_TIME, tzinfo=zone), ""
    return None, f"{key} is not a date or time ({value!s})."


def _categories(component) -> list[str]:
    raw = component.get("CATEGORIES")
    if raw is None:
        return []
    entries = raw if isinstance(raw, list) else [raw]
    names: list[str] = []
    for entry in entries:
        cats = getattr(entry, "cats", None)
        names.extend(str(cat) for cat in (cats if cats is not None else [entry]))
    return names


def parse_lms_calendar(text: str, *, timezone_name: str) -> list[CalendarEvent]:
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        raise ApplicationError(
            "The file is not an iCalendar (.ics) feed.",
            field_errors={"file": [f"Not an iCalendar feed: {exc}"]},
        ) from exc
    zone = user_zone(timezone_name)
    events: list[CalendarEvent] = []
    refused: set[str] = set()
    for component in calendar.walk():
        if component.name not in ("VEVENT", "VTODO"):
            continue
        if len(events) >= MAX_LMS_EVENTS:
            message = f"The feed has more than {MAX_LMS_EVENTS} events."
            raise ApplicationError(message, field_errors={"file": [message]})
        summary = str(component.get("SUMMARY", "")).strip()
        bracket_match = CANVAS_BRACKET.search(summary)
        bracket = bracket_match.group(1).strip() if bracket_match else ""
        name = CANVAS_BRACKET.sub("", summary).strip() or summary
        due, error = _due_moment(component, zone)
        uid = str(component.get("UID", "")).strip()
        categories = _categories(component)
        problems = hygiene.row_problems(
            {"uid": uid, "summary": summary, "categories": categories, "due": due},
            dates=("due",),
        )
        if problems:
            # The event is reported but never stored: its text or its date cannot be.
            refused.update(field_name for field_name, _ in problems)
            categories = [hygiene.printable(category) for category in categories]
            error = f"{problems[0][0]}: {problems[0][1]}"
            uid, summary, name, due = (
                hygiene.printable(uid),
                hygiene.printable(summary),
                hygiene.printable(name),
                None,
            )
        elif not uid:
            error = "The event has no UID, so it cannot be imported idempotently."
        elif not summary:
            error = error or "The event has no SUMMARY."
        events.append(
            CalendarEvent(
                uid=uid,
                summary=summary,
                name=name[:200],
                bracket=bracket,
                categories=categories,
                due=due,
                error=error,
            )
        )
    if not events:
        raise ApplicationError(
            "The feed has no events.", field_errors={"file": ["The feed has no events or tasks."]}
        )
    if refused:
        hygiene.log_refusal("calendar import", refused)
    return events


def course_code_pattern(code: str) -> re.Pattern[str]:
    """Matches a code however the LMS spaces it ("MATH 2413", "MATH2413", "MATH 2413-001")."""
    parts = [re.escape(part) for part in re.split(r"[\s\-_]+", code.strip()) if part]
    return re.compile(r"(?<![A-Za-z0-9])" + r"[\s\-_]*".join(parts) + r"(?![0-9])", re.IGNORECASE)
