"""A teacher with a publishable template and its class, built through the services."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from accounts.models import TeacherRole
from accounts.tests.factories import UserFactory
from courses.services import templates as template_services
from journey.classes import services as class_services

# Every class test runs at this instant (time_machine), inside the template's term.
NOW = datetime(2026, 10, 5, 15, 0, tzinfo=ZoneInfo("America/New_York"))


def question_document(prefix: str, count: int = 3) -> dict:
    levels = ["easy", "medium", "hard"]
    return {
        "format_version": 1,
        "quiz": {
            "questions": [
                {
                    "question_id": f"{prefix}-{n}",
                    "type": "numeric",
                    "question_text": f"What is {n} + {n}?",
                    "correct_answer": 2 * n,
                    "explanation": f"{n} + {n} = {2 * n}.",
                    "difficulty": levels[n % len(levels)],
                }
                for n in range(1, count + 1)
            ]
        },
    }


def make_teacher(email: str = "teacher@example.org"):
    teacher = UserFactory(email=email, full_name="Grace Teacher")
    TeacherRole.objects.create(user=teacher)
    return teacher


def make_template(teacher, *, code: str = "MATH 101"):
    template = template_services.course_template_create(
        owner=teacher,
        name="Calculus I",
        code=code,
        start_date=date(2026, 8, 24),
        end_date=date(2026, 12, 18),
        instructor_name="Grace Teacher",
    )
    limits = template_services.template_topic_create(template=template, name="Limits")
    derivatives = template_services.template_topic_create(
        template=template, name="Derivatives", prerequisite_ids=[str(limits.pk)]
    )
    class_services.template_topic_questions_set(topic=limits, document=question_document("lim"))
    template_services.template_resource_create(
        topic=limits,
        title="Limits, the reading",
        type="reading",
        url="https://openstax.org/books/calculus-volume-1/pages/2-introduction",
        notes="Sections 2.1 and 2.2.",
    )
    template_services.template_assessment_create(
        template=template,
        name="Midterm",
        type="midterm",
        weight_percent=40,
        due_date=NOW + timedelta(days=10),
        topic_ids=[str(limits.pk)],
    )
    template_services.template_assessment_create(
        template=template,
        name="Final",
        type="final",
        weight_percent=60,
        due_date=NOW + timedelta(days=60),
        topic_ids=[str(limits.pk), str(derivatives.pk)],
    )
    return template


def make_class(teacher=None, *, code: str = "MATH 101"):
    teacher = teacher or make_teacher()
    template = make_template(teacher, code=code)
    return class_services.classroom_publish(teacher=teacher, template=template)
