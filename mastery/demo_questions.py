"""Question banks for the course templates and the demo student.

Each template topic gets its text questions (mastery/question_content/<course>.py) and one
fresh instance of each numeric generator for the topic (question_content/generators.py).
Source and licence of all of them: written for this project, under the project's own licence.

A topic none of these know gets no questions: the diagnostic then asks the student to rate
their confidence in it instead (see quiz_services.diagnostic_self_ratings_record), because a
question made up from the course's own setup would measure the app, not the subject.

Questions go through the same import service as a user's file and have fixed ids per topic, so
running this again updates them instead of adding. The generator's random stream is seeded by
the topic's id: each student gets their own instances, and seeding twice gives the same ones.
"""

from __future__ import annotations

import random

from courses.models import Topic
from mastery.question_content import calculus, chemistry, history, programming
from mastery.question_content.generators import generated_questions
from mastery.quiz_services import question_bank_import

QUESTION_BANK_SOURCE = "Written for this project"
QUESTION_BANK_LICENCE = "The project's own licence (the same terms as its code)"

SUBJECT_QUESTIONS: dict[str, list[dict]] = {
    **calculus.QUESTIONS,
    **programming.QUESTIONS,
    **chemistry.QUESTIONS,
    **history.QUESTIONS,
}


def topic_questions(topic: Topic) -> list[dict]:
    """The text questions and generated instances for the topic, or [] for an unknown topic."""
    rng = random.Random(str(topic.pk))
    return [*SUBJECT_QUESTIONS.get(topic.name, []), *generated_questions(topic.name, rng)]


def seed_demo_questions(*, user) -> int:
    """Fill the bank of every topic of the user's courses that has real questions; returns how
    many questions were created or updated."""
    total = 0
    for topic in Topic.objects.for_user(user).select_related("course").order_by("order_index"):
        questions = topic_questions(topic)
        if not questions:
            continue
        result = question_bank_import(
            user=user, topic=topic, document={"quiz": {"questions": questions}}
        )
        total += result.created + result.updated
    return total
