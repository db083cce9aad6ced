"""The setup wizard: its steps, the stored progress, course templates and the first plan.

Every write here goes through the services of the app that owns the row (courses, mastery,
scheduling); this module only keeps the wizard's own progress.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import quote_plus

from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from courses import services as course_services
from courses.models import Course
from journey.demo import DEMO_COURSES, current_semester
from journey.models import OnboardingProgress, OnboardingStep
from mastery import services as mastery_services
from mastery.demo_questions import seed_demo_questions
from scheduling import services as scheduling_services
from scheduling.work import user_zone

STEPS: tuple[str, ...] = tuple(OnboardingStep.values)
# Integrations are optional; every other step asks for something the planner needs.
SKIPPABLE_STEPS = frozenset({OnboardingStep.INTEGRATIONS, OnboardingStep.EVIDENCE})
# The demo curriculum's due dates are days from a 115-day semester start (see journey/demo.py).
TEMPLATE_SEMESTER_DAYS = 115
TEMPLATE_DUE_TIME = time(23, 59)
EXAM_DURATION_MIN = 90
OTHER_DURATION_MIN = 45
EXAM_TYPES = frozenset({"midterm", "final"})
# A pasted grade history is small; this bounds the rows a single paste may hold.
MAX_GRADE_LINES = 200
GRADE_COLUMNS = ("assessment_name", "score", "max_score", "date")


@dataclass(frozen=True)
class StepState:
    value: str
    label: str
    number: int
    is_current: bool
    is_done: bool
    is_skipped: bool

    @property
    def status_text(self) -> str:
        if self.is_current:
            return "current step"
        if self.is_skipped:
            return "skipped"
        return "done" if self.is_done else "to do"


@dataclass(frozen=True)
class CourseTemplate:
    code: str
    name: str
    instructor: str
    topic_count: int
    assessment_count: int


def onboarding_get(*, user) -> OnboardingProgress:
    progress, _ = OnboardingProgress.objects.get_or_create(user=user)
    return progress


def onboarding_find(*, user) -> OnboardingProgress | None:
    return OnboardingProgress.objects.for_user(user).first()


def step_states(progress: OnboardingProgress, *, showing: str) -> list[StepState]:
    return [
        StepState(
            value=value,
            label=OnboardingStep(value).label,
            number=index + 1,
            is_current=value == showing,
            is_done=value in progress.completed_steps,
            is_skipped=value in progress.skipped_steps,
        )
        for index, value in enumerate(STEPS)
    ]


def next_step(step: str) -> str:
    index = STEPS.index(step)
    return STEPS[min(index + 1, len(STEPS) - 1)]


def previous_step(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index else None


def _check_step(step: str) -> None:
    if step not in STEPS:
        raise ApplicationError(f"There is no setup step “{step}”.")


def onboarding_step_complete(*, user, step: str, skipped: bool = False) -> OnboardingProgress:
    """Mark a step done (or skipped) and move the wizard on to the next one."""
    _check_step(step)
    if skipped and step not in SKIPPABLE_STEPS:
        raise ApplicationError(f"The step “{OnboardingStep(step).label}” cannot be skipped.")
    if step == OnboardingStep.COURSES and not Course.objects.for_user(user).exists():
        raise ApplicationError(
            "Add at least one course (by hand, from a template or by import) to continue.",
            field_errors={"courses": ["No courses yet."]},
        )
    with transaction.atomic():
        progress = OnboardingProgress.objects.select_for_update().get(
            pk=onboarding_get(user=user).pk
        )
        if step not in progress.completed_steps:
            progress.completed_steps = [*progress.completed_steps, step]
        skipped_now = [s for s in progress.skipped_steps if s != step]
        progress.skipped_steps = [*skipped_now, step] if skipped else skipped_now
        progress.current_step = next_step(step)
        progress.save()
    return progress


def onboarding_step_show(*, user, step: str) -> OnboardingProgress:
    """Remember the step the student is looking at, so coming back resumes there."""
    _check_step(step)
    progress = onboarding_get(user=user)
    if progress.current_step != step and not progress.is_complete:
        progress.current_step = step
        progress.save(update_fields=["current_step", "updated_at"])
    return progress


def onboarding_finish(*, user, now: datetime | None = None) -> scheduling_services.PlanOutcome:
    """Generate the first plan and close the wizard. Needs at least one course."""
    if not Course.objects.for_user(user).active().exists():
        raise ApplicationError("Add a course first: the plan is made from your courses.")
    outcome = scheduling_services.plan_regenerate(user=user, reason="onboarding finished", now=now)
    with transaction.atomic():
        progress = OnboardingProgress.objects.select_for_update().get(
            pk=onboarding_get(user=user).pk
        )
        if OnboardingStep.FINISH not in progress.completed_steps:
            progress.completed_steps = [*progress.completed_steps, OnboardingStep.FINISH]
        progress.current_step = OnboardingStep.FINISH
        progress.completed_at = progress.completed_at or timezone.now()
        progress.save()
    return outcome


# --- Course templates -------------------------------------------------------------------------


def course_templates() -> list[CourseTemplate]:
    return [
        CourseTemplate(
            code=code,
            name=name,
            instructor=instructor,
            topic_count=len(topics),
            assessment_count=len(assessments),
        )
        for code, name, instructor, _, topics, assessments in DEMO_COURSES
    ]


def course_template_apply(*, user, code: str, now: datetime | None = None) -> Course:
    """Create a course from a template: its topics, prerequisites, assessments and topic map,
    dated in the current semester, plus a starter question bank for the diagnostic."""
    spec = next((row for row in DEMO_COURSES if row[0] == code), None)
    if spec is None:
        raise ApplicationError("Unknown course template.", field_errors={"template": ["Unknown."]})
    _, name, instructor, color, topic_specs, assessment_specs = spec
    now = now or timezone.now()
    zone = user_zone(user)
    semester, start, end = current_semester(now.astimezone(zone).date())
    span_days = (end - start).days
    with transaction.atomic():
        course = course_services.course_create(
            user=user,
            name=name,
            code=code,
            semester=semester,
            start_date=start,
            end_date=end,
            instructor_name=instructor,
            color=color,
            description=f"{name}, created from the {code} template.",
        )
        topics = {
            topic_name: course_services.topic_create(
                course=course,
                name=topic_name,
                estimated_difficulty=difficulty,
                resource_links=template_resources(topic_name),
            )
            for topic_name, difficulty, _ in topic_specs
        }
        for topic_name, _, prerequisites in topic_specs:
            if prerequisites:
                course_services.topic_update(
                    topic=topics[topic_name],
                    prerequisite_topic_ids=[str(topics[p].pk) for p in prerequisites],
                )
        for a_name, a_type, weight, offset, topic_names in assessment_specs:
            due_day = start + timedelta(days=round(offset * span_days / TEMPLATE_SEMESTER_DAYS))
            due = datetime.combine(due_day, TEMPLATE_DUE_TIME, tzinfo=zone)
            course_services.assessment_create(
                course=course,
                name=a_name,
                type=a_type,
                weight_percent=weight,
                due_date=due,
                estimated_duration_min=(
                    EXAM_DURATION_MIN if a_type in EXAM_TYPES else OTHER_DURATION_MIN
                ),
                is_completed=due < now,
                topic_ids=[str(topics[t].pk) for t in topic_names],
            )
        seed_demo_questions(user=user)
    return course


def template_resources(topic_name: str) -> list[dict]:
    """A reading and a video search for the topic, as starting points the student can edit."""
    query = quote_plus(topic_name)
    return [
        {"type": "reading", "url": f"https://openstax.org/search?q={query}"},
        {"type": "video", "url": f"https://www.khanacademy.org/search?page_search_query={query}"},
    ]


# --- Grade history pasted as CSV --------------------------------------------------------------


def parse_grade_lines(text: str) -> list[dict]:
    """Lines of `assessment name, score, max score, YYYY-MM-DD[, topic; topic]` as the rows
    `grades_import` takes; a header line naming the columns is allowed."""
    rows = []
    reader = csv.reader(io.StringIO(text.strip()))
    for line_number, cells in enumerate(reader, start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if line_number == 1 and cells[0].lower().replace(" ", "_") == GRADE_COLUMNS[0]:
            continue
        if len(cells) < len(GRADE_COLUMNS):
            raise ApplicationError(
                f"Line {line_number}: give an assessment name, a score, a maximum score and a "
                "date.",
                field_errors={"grades": [f"Line {line_number} has too few values."]},
            )
        row = dict(zip(GRADE_COLUMNS, cells[: len(GRADE_COLUMNS)], strict=True))
        for number_field in ("score", "max_score"):
            try:
                row[number_field] = float(row[number_field])
            except ValueError:
                raise ApplicationError(
                    f"Line {line_number}: “{row[number_field]}” is not a number.",
                    field_errors={
                        "grades": [f"Line {line_number}: {number_field} is not a number."]
                    },
                ) from None
        topics = cells[len(GRADE_COLUMNS)] if len(cells) > len(GRADE_COLUMNS) else ""
        row["topics"] = [name.strip() for name in topics.split(";") if name.strip()]
        rows.append(row)
        if len(rows) > MAX_GRADE_LINES:
            raise ApplicationError(
                f"At most {MAX_GRADE_LINES} lines at a time.",
                field_errors={"grades": [f"At most {MAX_GRADE_LINES} lines."]},
            )
    if not rows:
        raise ApplicationError("Paste at least one grade.", field_errors={"grades": ["Empty."]})
    return rows


def grade_history_import(*, user, course: Course, text: str) -> int:
    """Import pasted grades all-or-nothing; returns how many records were created."""
    report = mastery_services.grades_import(
        user=user, course=course, grades=parse_grade_lines(text)
    )
    if not report.is_valid:
        messages = [
            f"Line {row.line}: {error['message']}" for row in report.rows for error in row.errors
        ]
        raise ApplicationError("The grades were not imported.", field_errors={"grades": messages})
    return report.created_count
