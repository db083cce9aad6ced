"""Create (once) a realistic demo student. Safe to run again: nothing is duplicated."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User, UserPreferences
from courses.models import Assessment, AssessmentTopic, Course, Topic
from journey.demo import DEMO_COURSES, DEMO_EMAIL, DEMO_PASSWORD
from mastery.demo_questions import seed_demo_questions
from mastery.models import EvidenceSource, PerformanceRecord
from mastery.services import mastery_recompute_user
from scheduling.services import plan_regenerate

DEMO_TIMEZONE = "America/Chicago"
# A fixed seed makes every demo identical, so screenshots and walkthroughs are repeatable.
DEMO_RANDOM_SEED = 2413
TARGET_RECORDS = 40

SEED_AVAILABILITY = {
    "monday": [{"start": "18:00", "end": "22:00"}],
    "tuesday": [{"start": "18:00", "end": "22:00"}],
    "wednesday": [{"start": "18:00", "end": "22:00"}],
    "thursday": [{"start": "18:00", "end": "22:00"}],
    "friday": [{"start": "19:00", "end": "23:00"}],
    "saturday": [{"start": "09:00", "end": "21:00"}],
    "sunday": [{"start": "09:00", "end": "21:00"}],
}


def current_semester(today: date) -> tuple[str, date, date]:
    """The academic term containing today (or the next one), with realistic dates."""
    if today.month >= 8:
        return f"Fall {today.year}", date(today.year, 8, 24), date(today.year, 12, 18)
    if today.month <= 5:
        return f"Spring {today.year}", date(today.year, 1, 12), date(today.year, 5, 8)
    return f"Summer {today.year}", date(today.year, 6, 1), date(today.year, 8, 10)


class Command(BaseCommand):
    help = "Create the demo student with courses, topics, assessments and grade history."

    def handle(self, *args, **options):
        with transaction.atomic():
            user, created = self.demo_user()
            created_courses = self.demo_courses(user)
            seed_demo_questions(user=user)
        # Mastery and the first plan come from the same services a real student goes through.
        mastery_recompute_user(user=user)
        plan_regenerate(user=user, reason="demo")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo student {'created' if created else 'already present'}; "
                f"{created_courses} new course(s). Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}"
            )
        )

    def demo_user(self) -> tuple[User, bool]:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user:
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
            is_verified=True,
        )
        prefs = UserPreferences(
            user=user,
            weekly_availability=SEED_AVAILABILITY,
            latest_end_time=time(23, 0),
            max_hours_per_day=4.0,
        )
        prefs.full_clean()
        prefs.save()
        return user, True

    def demo_courses(self, user: User) -> int:
        rng = random.Random(DEMO_RANDOM_SEED)
        now = timezone.now()
        tz = ZoneInfo(user.timezone)
        semester, start, end = current_semester(timezone.localdate(now, tz))
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
                due_day = start + timedelta(days=round(offset * span_days / 115))
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
            self.demo_records(user, pending_records, rng, now)
        return created

    def demo_records(self, user, graded, rng: random.Random, now: datetime) -> None:
        """Graded work already due, then practice sessions, to about forty records."""
        made = 0
        for course, assessment, topics in graded:
            made += 1
            self.record(user, course, assessment, topics, rng, assessment.due_date, assessment.type)
        practice_slots = max(0, TARGET_RECORDS - made)
        courses = sorted({c for c, _, _ in graded}, key=lambda c: c.code) or list(
            Course.objects.filter(user=user)
        )
        for index in range(practice_slots if courses else 0):
            course = courses[index % len(courses)]
            topics = list(course.topics.all()[: 3 + index % 4])
            when = now - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 6))
            self.record(
                user, course, None, rng.sample(topics, k=min(2, len(topics))), rng, when, "practice"
            )

    def record(self, user, course, assessment, topics, rng, when, kind) -> PerformanceRecord:
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
