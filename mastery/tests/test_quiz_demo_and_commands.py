import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from courses.tests.factories import CourseFactory, TopicFactory
from journey.demo import DEMO_COURSES
from mastery import quiz_services
from mastery.demo_questions import SUBJECT_QUESTIONS, seed_demo_questions
from mastery.models import Question
from mastery.tests.quiz_factories import QuestionFactory

pytestmark = pytest.mark.django_db


def test_every_demo_topic_has_subject_questions():
    demo_topics = {topic[0] for course in DEMO_COURSES for topic in course[4]}
    assert demo_topics <= set(SUBJECT_QUESTIONS)


def test_demo_curriculum_banks_are_valid_and_support_a_diagnostic(user):
    for code, name, _, _, topic_specs, _ in DEMO_COURSES:
        course = CourseFactory(user=user, code=code, name=name)
        for index, (topic_name, difficulty, _) in enumerate(topic_specs):
            TopicFactory(
                course=course, name=topic_name, estimated_difficulty=difficulty, order_index=index
            )
    created = seed_demo_questions(user=user)
    assert created == Question.objects.count()
    for course in user.courses.all():
        attempt = quiz_services.diagnostic_start(user=user, course=course)
        # Every template topic is quizzed, none is left to a self-rating.
        assert attempt.question_count == 3 * course.topics.count()
        assert quiz_services.self_rated_topics(user=user, course=course) == []


def test_no_question_is_about_the_course_setup(user):
    course = CourseFactory(user=user, code="MATH 2413", name="Calculus I")
    limits = TopicFactory(course=course, name="Limits")
    TopicFactory(course=course, name="Continuity", prerequisite_topic_ids=[str(limits.pk)])
    seed_demo_questions(user=user)
    for question in Question.objects.all():
        text = f"{question.question_text} {question.explanation}".lower()
        assert "math 2413" not in text and "prerequisite" not in text
        assert "this course" not in text and "the course rates" not in text


def test_seed_fills_known_topics_idempotently_and_leaves_unknown_ones_empty(user):
    course = CourseFactory(user=user)
    limits = TopicFactory(course=course, name="Limits")
    unknown = TopicFactory(course=course, name="Something new")
    seed_demo_questions(user=user)
    first = sorted(Question.objects.values_list("id", "external_id", "correct_answer"))
    questions = Question.objects.filter(topic=limits)
    assert questions.count() >= 3
    assert len({q.difficulty for q in questions}) >= 2
    assert questions.filter(external_id__startswith="gen-").exists()
    assert not Question.objects.filter(topic=unknown).exists()
    seed_demo_questions(user=user)
    assert sorted(Question.objects.values_list("id", "external_id", "correct_answer")) == first


def test_import_and_export_commands_round_trip(user, tmp_path):
    source = TopicFactory(course=CourseFactory(user=user))
    QuestionFactory(topic=source, external_id="a1")
    QuestionFactory(
        topic=source,
        external_id="n1",
        type="numeric",
        options=[],
        correct_answer=9.81,
        tolerance=0.01,
    )
    out = tmp_path / "bank.json"
    call_command("export_questions", user=user.email, topic=str(source.pk), output=str(out))
    target = TopicFactory(course=source.course)
    call_command("import_questions", str(out), user=user.email, topic=str(target.pk))
    copied = {q.external_id: q for q in Question.objects.filter(topic=target)}
    assert set(copied) == {"a1", "n1"}
    assert copied["n1"].tolerance == 0.01
    assert Counter(json.loads(out.read_text())["quiz"].keys())["questions"] == 1


def test_import_command_reports_errors_and_scopes_topics(user, other_user, tmp_path):
    topic = TopicFactory(course=CourseFactory(user=user))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"quiz": {"questions": [{"question_id": "x", "type": "essay"}]}}))
    with pytest.raises(CommandError, match="Question 1 \\(x\\): type"):
        call_command("import_questions", str(bad), user=user.email, topic=str(topic.pk))
    with pytest.raises(CommandError, match="has no topic"):
        call_command("import_questions", str(bad), user=other_user.email, topic=str(topic.pk))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="Not valid JSON"):
        call_command("import_questions", str(broken), user=user.email, topic=str(topic.pk))
    assert Question.objects.count() == 0
