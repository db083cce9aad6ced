"""The demo student: four realistic courses for the current semester, with a grade history.

Everything is built relative to one `now` and one seeded RNG, and every date is a local date in
the demo student's zone, so the same instant always gives the same student (screenshots, the
browser tests and `make test-clock` rely on that).
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import User, UserPreferences
from accounts.services import user_email_mark_verified
from courses.models import Assessment, AssessmentTopic, Course, Topic
from mastery.demo_questions import seed_demo_questions
from mastery.models import EvidenceSource, PerformanceRecord
from mastery.services import mastery_recompute_user
from scheduling.services import plan_regenerate

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "study-planner-demo"  # noqa: S105 (a published demo login, not a secret)
DEMO_TIMEZONE = "America/Chicago"
# A fixed seed makes every demo identical, so screenshots and walkthroughs are repeatable.
DEMO_RANDOM_SEED = 2413
TARGET_RECORDS = 40
# Practice happened 2 to 41 local days ago: a student coming back after a short break, so the
# dashboard opens on a streak of 0 whatever the hour (a session "yesterday" would count).
PRACTICE_DAYS_AGO = (2, 41)
# Practice sessions start in the evening, local time, at 15:00 to 21:00 (never in a DST gap).
PRACTICE_LATEST_HOUR = 21
PRACTICE_HOURS_EARLIER = (0, 6)
# Due dates in DEMO_COURSES are days from the start of a 115-day semester, scaled to the real one.
DEMO_SEMESTER_DAYS = 115

SEED_AVAILABILITY = {
    "monday": [{"start": "18:00", "end": "22:00"}],
    "tuesday": [{"start": "18:00", "end": "22:00"}],
    "wednesday": [{"start": "18:00", "end": "22:00"}],
    "thursday": [{"start": "18:00", "end": "22:00"}],
    "friday": [{"start": "19:00", "end": "23:00"}],
    "saturday": [{"start": "09:00", "end": "21:00"}],
    "sunday": [{"start": "09:00", "end": "21:00"}],
}

# (code, name, instructor, colour, topics as (name, difficulty, prerequisite names),
#  assessments as (name, type, weight, days from semester start, topic names))
DEMO_COURSES = [
    (
        "MATH 2413",
        "Calculus I",
        "Dr. Maria Gonzalez",
        "#1f6feb",
        [
            ("Functions and Graphs", "easy", []),
            ("Limits", "medium", ["Functions and Graphs"]),
            ("Continuity", "medium", ["Limits"]),
            ("Definition of the Derivative", "medium", ["Limits"]),
            ("Differentiation Rules", "medium", ["Definition of the Derivative"]),
            ("Chain Rule", "hard", ["Differentiation Rules"]),
            ("Implicit Differentiation", "hard", ["Chain Rule"]),
            ("Related Rates", "exam_level", ["Implicit Differentiation"]),
            ("Optimization", "exam_level", ["Differentiation Rules"]),
            ("Antiderivatives", "medium", ["Differentiation Rules"]),
        ],
        [
            ("Quiz 1: Limits", "quiz", 5, 21, ["Limits", "Continuity"]),
            ("Homework Set 1", "assignment", 10, 28, ["Functions and Graphs", "Limits"]),
            (
                "Midterm Exam",
                "midterm",
                25,
                56,
                ["Limits", "Continuity", "Definition of the Derivative", "Differentiation Rules"],
            ),
            ("Quiz 2: Chain Rule", "quiz", 5, 70, ["Chain Rule", "Implicit Differentiation"]),
            ("Homework Set 2", "assignment", 15, 90, ["Related Rates", "Optimization"]),
            (
                "Final Exam",
                "final",
                40,
                110,
                [
                    "Chain Rule",
                    "Implicit Differentiation",
                    "Related Rates",
                    "Optimization",
                    "Antiderivatives",
                ],
            ),
        ],
    ),
    (
        "CS 1337",
        "Computer Science I",
        "Prof. Alan Chen",
        "#8250df",
        [
            ("Variables and Types", "easy", []),
            ("Control Flow", "easy", ["Variables and Types"]),
            ("Functions", "medium", ["Control Flow"]),
            ("Arrays", "medium", ["Control Flow"]),
            ("Pointers", "hard", ["Arrays"]),
            ("Recursion", "hard", ["Functions"]),
            ("Classes and Objects", "medium", ["Functions"]),
            ("Linked Lists", "exam_level", ["Pointers", "Classes and Objects"]),
        ],
        [
            ("Lab 1", "assignment", 10, 20, ["Variables and Types", "Control Flow"]),
            ("Quiz: Arrays", "quiz", 10, 40, ["Arrays"]),
            ("Midterm", "midterm", 25, 60, ["Functions", "Arrays", "Pointers"]),
            (
                "Project: Inventory System",
                "project",
                20,
                95,
                ["Classes and Objects", "Linked Lists"],
            ),
            ("Final Exam", "final", 35, 112, ["Pointers", "Recursion", "Linked Lists"]),
        ],
    ),
    (
        "CHEM 1411",
        "General Chemistry I",
        "Dr. Priya Natarajan",
        "#1a7f37",
        [
            ("Atomic Structure", "easy", []),
            ("Periodic Trends", "medium", ["Atomic Structure"]),
            ("Chemical Bonding", "medium", ["Periodic Trends"]),
            ("Stoichiometry", "hard", ["Chemical Bonding"]),
            ("Gas Laws", "medium", ["Stoichiometry"]),
            ("Thermochemistry", "hard", ["Stoichiometry"]),
            ("Solutions", "medium", ["Stoichiometry"]),
        ],
        [
            ("Quiz 1", "quiz", 10, 25, ["Atomic Structure", "Periodic Trends"]),
            ("Lab Reports", "assignment", 15, 80, ["Stoichiometry", "Gas Laws"]),
            ("Midterm", "midterm", 30, 58, ["Chemical Bonding", "Stoichiometry"]),
            ("Final Exam", "final", 45, 111, ["Gas Laws", "Thermochemistry", "Solutions"]),
        ],
    ),
    (
        "HIST 1301",
        "U.S. History I",
        "Dr. James Whitfield",
        "#bc4c00",
        [
            ("Colonial America", "easy", []),
            ("The Revolution", "medium", ["Colonial America"]),
            ("The Constitution", "medium", ["The Revolution"]),
            ("The Early Republic", "medium", ["The Constitution"]),
            ("Jacksonian Democracy", "medium", ["The Early Republic"]),
            ("Sectional Crisis", "hard", ["Jacksonian Democracy"]),
        ],
        [
            ("Reading Response 1", "assignment", 10, 30, ["Colonial America"]),
            ("Midterm Essay", "midterm", 30, 60, ["The Revolution", "The Constitution"]),
            ("Research Paper", "project", 25, 100, ["The Early Republic", "Jacksonian Democracy"]),
            ("Final Exam", "final", 35, 113, ["Jacksonian Democracy", "Sectional Crisis"]),
        ],
    ),
]


def current_semester(today: date) -> tuple[str, date, date]:
    """The academic term containing today (or the next one), with realistic dates.

    Once a term has ended it is the next one: a student who sets up on 20 December plans for the
    spring, not for a fall with nothing left to study for.
    """
    year = today.year
    if today.month >= 8:
        if today > date(year, 12, 18):
            return f"Spring {year + 1}", date(year + 1, 1, 12), date(year + 1, 5, 8)
        return f"Fall {year}", date(year, 8, 24), date(year, 12, 18)
    if today <= date(year, 5, 8):
        return f"Spring {year}", date(year, 1, 12), date(year, 5, 8)
    return f"Summer {year}", date(year, 6, 1), date(year, 8, 10)


@dataclass(frozen=True)
class DemoSeed:
    user: User
    is_new_user: bool
    created_courses: int


def demo_student_seed(*, now: datetime, seed: int = DEMO_RANDOM_SEED) -> DemoSeed:
    """Create (once) the demo student as of `now`. Safe to run again: nothing is duplicated."""
    with transaction.atomic():
        user, is_new_user = demo_user_get_or_create()
        created_courses = demo_courses_create(user=user, now=now, rng=random.Random(seed))
        seed_demo_questions(user=user)
    # Mastery and the first plan come from the same services a real student goes through.
    mastery_recompute_user(user=user)
    plan_regenerate(user=user, reason="demo", now=now)
    return DemoSeed(user=user, is_new_user=is_new_user, created_courses=created_courses)


def demo_user_get_or_create() -> tuple[User, bool]:
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user:
        # The demo logs in with its password, which needs a verified address.
        user_email_mark_verified(user=user)
        return user, False
    user = User.objects.create_user(
        DEMO_EMAIL,
        DEMO_PASSWORD,
        full_name="Jordan Rivera",
        school_name="University of Texas at Dallas",
        academic_level="undergraduate",
        major="Computer Science",
        timezone=DEMO_TIMEZONE,
        language="en",
    )
    user_email_mark_verified(user=user)
    prefs = UserPreferences(
        user=user,
        weekly_availability=SEED_AVAILABILITY,
        latest_end_time=time(23, 0),
        max_hours_per_day=4.0,
    )
    prefs.full_clean()
    prefs.save()
    return user, True


def demo_courses_create(*, user: User, now: datetime, rng: random.Random) -> int:
    """The demo curriculum in the semester around `now` (in the user's zone), with grades for
    the work already due and practice before it. Returns how many courses were new."""
    tz = ZoneInfo(user.timezone)
    today = now.astimezone(tz).date()
    semester, start, end = current_semester(today)
    span_days = (end - start).days
    created = 0
    pending_records: list[tuple[Course, Assessment, list[Topic]]] = []
    for code, name, instructor, color, topic_specs, assessment_specs in DEMO_COURSES:
        if Course.objects.filter(user=user, code=code, semester=semester).exists():
            continue
        created += 1
        course = Course.objects.create(
            user=user,
            code=code,
            name=name,
            instructor_name=instructor,
            color=color,
            semester=semester,
            start_date=start,
            end_date=end,
            credit_hours=3.0,
            description=f"{name} with {instructor}.",
        )
        topics: dict[str, Topic] = {}
        for index, (topic_name, difficulty, _) in enumerate(topic_specs):
            topics[topic_name] = Topic.objects.create(
                course=course,
                name=topic_name,
                estimated_difficulty=difficulty,
                order_index=index,
                resource_links=[
                    {"type": "reading", "url": f"https://openstax.org/search?q={index}"},
                    {"type": "video", "url": f"https://www.khanacademy.org/search?q={index}"},
                ],
            )
        for topic_name, _, prerequisites in topic_specs:
            topic = topics[topic_name]
            topic.prerequisite_topic_ids = [str(topics[p].pk) for p in prerequisites]
            topic.save(update_fields=["prerequisite_topic_ids", "updated_at"])
        for a_name, a_type, weight, offset, topic_names in assessment_specs:
            due_day = start + timedelta(days=round(offset * span_days / DEMO_SEMESTER_DAYS))
            due = datetime.combine(due_day, time(23, 59), tzinfo=tz)
            assessment = Assessment.objects.create(
                course=course,
                name=a_name,
                type=a_type,
                weight_percent=weight,
                due_date=due,
                estimated_duration_min=90 if a_type in ("midterm", "final") else 45,
                is_completed=due < now,
            )
            share = round(100 / len(topic_names), 2)
            for topic_name in topic_names:
                AssessmentTopic.objects.create(
                    assessment=assessment,
                    topic=topics[topic_name],
                    question_count=rng.randint(3, 10),
                    weight_in_assessment=share,
                )
            if due < now:
                pending_records.append((course, assessment, [topics[t] for t in topic_names]))
    if created:
        _demo_records(user, pending_records, rng, today, tz)
    return created


def _demo_records(user, graded, rng: random.Random, today: date, tz: ZoneInfo) -> None:
    """Graded work already due, then practice sessions, to about forty records."""
    made = 0
    for course, assessment, topics in graded:
        made += 1
        _record(user, course, assessment, topics, rng, assessment.due_date)
    practice_slots = max(0, TARGET_RECORDS - made)
    courses = sorted({c for c, _, _ in graded}, key=lambda c: c.code) or list(
        Course.objects.filter(user=user)
    )
    for index in range(practice_slots if courses else 0):
        course = courses[index % len(courses)]
        topics = list(course.topics.all()[: 3 + index % 4])
        day = today - timedelta(days=rng.randint(*PRACTICE_DAYS_AGO))
        hour = PRACTICE_LATEST_HOUR - rng.randint(*PRACTICE_HOURS_EARLIER)
        when = datetime.combine(day, time(hour), tzinfo=tz)
        _record(user, course, None, rng.sample(topics, k=min(2, len(topics))), rng, when)


def _record(user, course, assessment, topics, rng, when) -> PerformanceRecord:
    breakdown = {}
    correct_total = total_total = 0
    for topic in topics:
        total = rng.randint(4, 10)
        skill = {"easy": 0.85, "medium": 0.72, "hard": 0.6, "exam_level": 0.5}[
            topic.estimated_difficulty
        ]
        correct = sum(rng.random() < skill for _ in range(total))
        breakdown[str(topic.pk)] = {
            "correct": correct,
            "total": total,
            "time_min": rng.randint(5, 20),
        }
        correct_total += correct
        total_total += total
    max_score = assessment.max_score if assessment else 100.0
    score = round(max_score * correct_total / max(total_total, 1), 1)
    return PerformanceRecord.objects.create(
        user=user,
        course=course,
        assessment=assessment,
        score=score,
        max_score=max_score,
        time_spent_min=sum(b["time_min"] for b in breakdown.values()) or 15,
        completed_at=when,
        topic_breakdown=breakdown,
        source=EvidenceSource.IMPORT if assessment else EvidenceSource.QUIZ,
    )
