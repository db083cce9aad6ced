"""The scaled student: the demo student grown to a chosen size, for the benches and the tests.

At `ScaledSize.BENCH` (the load bench's size) it has 8 courses, 200 topics, 10,000 performance
records and 500 study tasks; the tests build the same shape at a few hundred records (`SMALL`)
and at four times that (`SMALL.times(4)`), so that a page whose cost grows with the data shows a
different query count at the two sizes.

Courses, topics and assessments go through the real services. Performance records and study
tasks are bulk-inserted (through the services they would take many minutes at the bench's
size), then mastery and the streak's study days are rebuilt once with the real services, so
every topic's estimate is the fold over its records and its history exists for the charts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

BENCH_ASSESSMENTS = (
    ("Quiz", "quiz", 20, 0.25),
    ("Midterm", "midterm", 30, 0.5),
    ("Final", "final", 50, 0.95),
)
# Topics each bench assessment covers (at most the course's topic count).
TOPICS_PER_ASSESSMENT = 6


@dataclass(frozen=True)
class ScaledSize:
    courses: int
    topics_per_course: int
    records: int
    tasks: int

    def times(self, factor: int) -> ScaledSize:
        """Every dimension grown by `factor`: more courses, topics, records and tasks."""
        return ScaledSize(
            courses=self.courses * factor,
            topics_per_course=self.topics_per_course * factor,
            records=self.records * factor,
            tasks=self.tasks * factor,
        )


BENCH = ScaledSize(courses=8, topics_per_course=25, records=10_000, tasks=500)
# Small enough to build in a few seconds inside a test, large enough to show growth.
SMALL = ScaledSize(courses=2, topics_per_course=4, records=120, tasks=40)


def scale_courses(user, rng: random.Random, size: ScaledSize):
    """The demo's courses (or a first one), topped up to `size.courses` of `size.topics_per_course`."""
    from accounts.timezones import user_zone
    from courses.models import Course
    from courses.services import assessment_create, course_create, topic_create

    courses = list(Course.objects.for_user(user).order_by("code"))[: size.courses]
    if courses:
        semester, start, end = courses[0].semester, courses[0].start_date, courses[0].end_date
    else:
        today = datetime.now(user_zone(user)).date()
        semester, start, end = "Bench term", today - timedelta(days=50), today + timedelta(days=60)
    for index in range(len(courses), size.courses):
        courses.append(
            course_create(
                user=user,
                name=f"Elective {index + 1}",
                code=f"ELEC {3000 + index}",
                semester=semester,
                start_date=start,
                end_date=end,
                instructor_name="Dr. Bench",
            )
        )
    difficulties = ["easy", "medium", "medium", "hard", "exam_level"]
    for course in courses:
        topics = list(course.topics.order_by("order_index"))
        while len(topics) < size.topics_per_course:
            # A chain with the odd branch: each topic builds on one of the two before it.
            previous = topics[-rng.randint(1, min(2, len(topics)))] if topics else None
            topics.append(
                topic_create(
                    course=course,
                    name=f"{course.code} unit {len(topics) + 1}",
                    estimated_difficulty=rng.choice(difficulties),
                    prerequisite_topic_ids=[str(previous.pk)] if previous else [],
                )
            )
        if not course.assessments.exists():
            span = end - start
            for name, kind, weight, at in BENCH_ASSESSMENTS:
                due_day = start + span * at
                covered = rng.sample(topics, k=min(TOPICS_PER_ASSESSMENT, len(topics)))
                assessment_create(
                    course=course,
                    name=name,
                    type=kind,
                    weight_percent=weight,
                    due_date=datetime.combine(due_day, time(23, 59), tzinfo=user_zone(user)),
                    topic_ids=[str(topic.pk) for topic in covered],
                )
    return courses


def bulk_records(user, courses, rng: random.Random, now: datetime, size: ScaledSize) -> None:
    from mastery.models import EvidenceSource, PerformanceRecord

    missing = size.records - PerformanceRecord.objects.for_user(user).count()
    topics_by_course = {course.pk: list(course.topics.all()) for course in courses}
    records = []
    for index in range(max(0, missing)):
        course = courses[index % len(courses)]
        breakdown = {}
        correct_total = total_total = 0
        course_topics = topics_by_course[course.pk]
        for topic in rng.sample(course_topics, k=rng.randint(1, min(3, len(course_topics)))):
            total = rng.randint(4, 10)
            correct = rng.randint(0, total)
            breakdown[str(topic.pk)] = {"correct": correct, "total": total, "time_min": 10}
            correct_total += correct
            total_total += total
        score = round(100 * correct_total / total_total, 1)
        records.append(
            PerformanceRecord(
                user=user,
                course=course,
                score=score,
                max_score=100.0,
                percentage=score,
                time_spent_min=10 * len(breakdown),
                completed_at=now - timedelta(minutes=rng.randint(60, 120 * 24 * 60)),
                topic_breakdown=breakdown,
                source=EvidenceSource.QUIZ,
            )
        )
    PerformanceRecord.objects.bulk_create(records, batch_size=1000)


def bulk_tasks(user, courses, rng: random.Random, now: datetime, size: ScaledSize) -> None:
    from scheduling.models import StudyTask, TaskStatus, TaskType

    missing = size.tasks - StudyTask.objects.for_user(user).count()
    topics_by_course = {course.pk: list(course.topics.all()) for course in courses}
    tasks = []
    for index in range(max(0, missing)):
        course = courses[index % len(courses)]
        topic = rng.choice(topics_by_course[course.pk])
        # Mostly history (done or skipped) with a fortnight of upcoming blocks, as a
        # student a semester in would have.
        is_past = index % 5 != 0
        day_offset = -rng.randint(1, 100) if is_past else rng.randint(0, 13)
        begin = (now + timedelta(days=day_offset)).replace(
            hour=rng.randint(9, 20), minute=0, second=0, microsecond=0
        )
        minutes = rng.choice([30, 45, 60])
        status = rng.choice([TaskStatus.COMPLETED] * 4 + [TaskStatus.SKIPPED])
        is_done = is_past and status == TaskStatus.COMPLETED
        tasks.append(
            StudyTask(
                user=user,
                course=course,
                title=f"Study {topic.name}",
                task_type=rng.choice(TaskType.values),
                difficulty=topic.estimated_difficulty,
                topic_ids=[str(topic.pk)],
                estimated_duration_min=minutes,
                scheduled_start=begin,
                scheduled_end=begin + timedelta(minutes=minutes),
                status=status if is_past else TaskStatus.SCHEDULED,
                actual_start=begin if is_done else None,
                actual_end=begin + timedelta(minutes=minutes) if is_done else None,
                completion_percentage=100 if is_done else 0,
                priority_score=round(rng.random(), 3),
                expected_mastery_gain=round(rng.uniform(1, 8), 2),
                reason="Bench history",
            )
        )
    StudyTask.objects.bulk_create(tasks, batch_size=500)


def build_scaled_student(*, user, now: datetime, size: ScaledSize, seed: int) -> list:
    """Grow `user` (usually the demo student) to `size`; returns its courses.

    Idempotent: records and tasks are only topped up, so a second call adds nothing.
    """
    from mastery.services import mastery_recompute_user
    from scheduling.streaks import study_days_rebuild

    rng = random.Random(seed)
    courses = scale_courses(user, rng, size)
    bulk_records(user, courses, rng, now, size)
    bulk_tasks(user, courses, rng, now, size)
    mastery_recompute_user(user=user)
    # Bulk inserts send no row signals: the streak's days are recounted once, as for mastery.
    study_days_rebuild(user=user)
    return courses


def student_paths(user) -> list[str]:
    """Every page and API list of the student, with their first course and topic: what the
    page-cost test counts queries of and the growth bench times."""
    from courses.models import Course

    course = Course.objects.for_user(user).order_by("code").first()
    topic = course.topics.order_by("order_index").first()
    return [
        "/",
        "/plan/",
        "/plan/today",
        "/plan/at-risk",
        "/plan/check-in",
        "/plan/calendar-feed",
        "/stats/",
        "/grades/",
        f"/grades/{course.pk}/",
        "/mastery/",
        "/mastery/reviews/",
        "/mastery/cards/",
        "/mastery/cards/review/",
        f"/mastery/courses/{course.pk}/",
        f"/mastery/topics/{topic.pk}/",
        "/courses/",
        f"/courses/{course.pk}/",
        f"/courses/{course.pk}/overview",
        "/courses/study-modes/",
        "/integrations/",
        "/accounts/profile/",
        "/accounts/preferences/",
        "/accounts/tokens/",
        "/settings/data/",
        "/api/courses",
        f"/api/courses/{course.pk}/topics",
        f"/api/courses/{course.pk}/assessments",
        "/api/performance",
        "/api/mastery/topics",
        "/api/mastery/reviews/due",
        "/api/schedule",
        "/api/tasks/next",
        "/api/checkins",
        "/api/tokens",
        "/api/integrations",
        "/api/streak",
        "/api/ping",
        "/api/decks",
    ]
