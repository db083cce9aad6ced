"""Input and output serializers for the quiz, question bank and mastery endpoints.

Output serializers never carry a question's key while it is being asked; the key and the
explanation appear only with the graded answer and in a finished attempt's result.
"""

from rest_framework import serializers

from accounts.api.lean import LeanOutputMixin
from accounts.hygiene import HygieneSerializer
from courses.models import Difficulty
from mastery import grading
from mastery.quiz_selectors import question_spec


class ErrorOutputSerializer(HygieneSerializer):
    detail = serializers.CharField()


class FieldErrorsOutputSerializer(HygieneSerializer):
    detail = serializers.CharField(required=False)
    questions = serializers.ListField(child=serializers.CharField(), required=False)
    answer = serializers.ListField(child=serializers.CharField(), required=False)


# --- Question bank document ----------------------------------------------------------------


class OptionSerializer(HygieneSerializer):
    id = serializers.CharField(max_length=grading.MAX_OPTION_ID_LENGTH)
    text = serializers.CharField()


class QuestionDocumentSerializer(HygieneSerializer):
    question_id = serializers.CharField(max_length=grading.MAX_QUESTION_ID_LENGTH)
    # Plain text in the schema: a second enum named "type" (next to the assessment type) would
    # collide in drf-spectacular's enum naming; the import service checks the value.
    type = serializers.CharField(help_text="One of: " + ", ".join(grading.QUESTION_TYPES) + ".")
    question_text = serializers.CharField()
    options = OptionSerializer(many=True, required=False)
    correct_answer = serializers.JSONField(
        help_text="Option id, list of option ids, true/false, a number, or text, by type."
    )
    explanation = serializers.CharField()
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    tolerance = serializers.FloatField(required=False, min_value=0)
    accepted_answers = serializers.ListField(child=serializers.CharField(), required=False)


class QuizDocumentSerializer(HygieneSerializer):
    title = serializers.CharField(required=False)
    topic = serializers.CharField(required=False)
    questions = QuestionDocumentSerializer(many=True)


class QuestionBankDocumentSerializer(HygieneSerializer):
    """The documented import/export format (docs/question_bank.md)."""

    format_version = serializers.IntegerField(required=False)
    quiz = QuizDocumentSerializer()


class QuestionBankImportInputSerializer(HygieneSerializer):
    """Shape only: per-question rules are checked by the import service, all at once."""

    format_version = serializers.IntegerField(required=False)
    quiz = serializers.DictField()


class QuestionBankImportOutputSerializer(HygieneSerializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


# --- Quizzes -----------------------------------------------------------------------------------


class QuestionPublicOutputSerializer(HygieneSerializer):
    id = serializers.UUIDField()
    question_id = serializers.CharField(source="external_id")
    topic_id = serializers.UUIDField()
    type = serializers.CharField()
    question_text = serializers.CharField()
    options = OptionSerializer(many=True)
    difficulty = serializers.CharField()


class CurrentQuestionOutputSerializer(HygieneSerializer):
    position = serializers.IntegerField()
    shown_at = serializers.DateTimeField()
    question = QuestionPublicOutputSerializer()


class QuizAttemptOutputSerializer(HygieneSerializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    course_id = serializers.UUIDField()
    topic_id = serializers.UUIDField(allow_null=True)
    question_count = serializers.IntegerField()
    answered_count = serializers.IntegerField()
    correct_count = serializers.IntegerField()
    target_difficulty = serializers.CharField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    score_percent = serializers.FloatField(allow_null=True)
    is_passed = serializers.BooleanField(allow_null=True)
    performance_record_id = serializers.UUIDField(allow_null=True)
    current = CurrentQuestionOutputSerializer(allow_null=True, source="current_item")


class QuizAnswerInputSerializer(HygieneSerializer):
    question_id = serializers.UUIDField(help_text="The id of the question being answered.")
    answer = serializers.JSONField(
        help_text="Option id, list of option ids, true/false, a number or text, by type."
    )


class GradedItemOutputSerializer(HygieneSerializer):
    position = serializers.IntegerField()
    question = QuestionPublicOutputSerializer()
    response = serializers.JSONField()
    is_correct = serializers.BooleanField()
    time_spent_sec = serializers.FloatField()
    your_answer = serializers.SerializerMethodField()
    correct_answer = serializers.SerializerMethodField()
    explanation = serializers.CharField(source="question.explanation")

    def get_your_answer(self, item) -> str:
        return grading.display_answer(question_spec(item.question), item.response)

    def get_correct_answer(self, item) -> str:
        spec = question_spec(item.question)
        return grading.display_answer(spec, spec.correct_answer)


class QuizAnswerOutputSerializer(HygieneSerializer):
    graded = GradedItemOutputSerializer()
    attempt = QuizAttemptOutputSerializer()


class QuizResultOutputSerializer(HygieneSerializer):
    attempt = QuizAttemptOutputSerializer()
    items = GradedItemOutputSerializer(many=True)


# --- Mastery -----------------------------------------------------------------------------------


class EvidenceOutputSerializer(LeanOutputMixin, HygieneSerializer):
    """How much evidence the mastery number rests on (annotations of `with_evidence`)."""

    answer_count = serializers.IntegerField(source="evidence_answers", default=0)
    grade_count = serializers.IntegerField(source="evidence_grades", default=0)
    self_rating_count = serializers.IntegerField(source="evidence_self_ratings", default=0)
    last_evidence_at = serializers.DateTimeField(source="evidence_last_at", allow_null=True)


class TopicMasteryOutputSerializer(LeanOutputMixin, HygieneSerializer):
    topic_id = serializers.UUIDField(source="id")
    topic_name = serializers.CharField(source="name")
    course_id = serializers.UUIDField()
    course_code = serializers.CharField(source="course.code")
    course_name = serializers.CharField(source="course.name")
    has_evidence = serializers.SerializerMethodField()
    mastery_score = serializers.FloatField(source="mastery.mastery_score", allow_null=True)
    confidence_interval = serializers.FloatField(
        source="mastery.confidence_interval", allow_null=True
    )
    trend = serializers.CharField(source="mastery.trend", allow_null=True)
    next_review_date = serializers.DateField(source="mastery.next_review_date", allow_null=True)
    review_interval_days = serializers.IntegerField(
        source="mastery.review_interval_days", allow_null=True
    )
    last_practiced_at = serializers.DateTimeField(
        source="mastery.last_practiced_at", allow_null=True
    )
    # Module 2's name for last_practiced_at.
    last_practiced = serializers.DateTimeField(source="mastery.last_practiced_at", allow_null=True)
    practice_count = serializers.IntegerField(source="mastery.practice_count", allow_null=True)
    quiz_count = serializers.IntegerField(source="mastery.quiz_count", allow_null=True)
    evidence = EvidenceOutputSerializer(source="*")

    def get_has_evidence(self, topic) -> bool:
        return getattr(topic, "mastery", None) is not None


class MasteryObservationOutputSerializer(HygieneSerializer):
    sequence = serializers.IntegerField()
    observed_at = serializers.DateTimeField()
    kind = serializers.CharField()
    score_percent = serializers.FloatField()
    question_count = serializers.IntegerField()
    alpha = serializers.FloatField()
    mastery_before = serializers.FloatField(allow_null=True)
    mastery_after = serializers.FloatField()
    confidence_after = serializers.FloatField()
    trend_after = serializers.CharField()
    performance_record_id = serializers.UUIDField()
    source = serializers.CharField(source="performance_record.source")
    assessment_name = serializers.CharField(
        source="performance_record.assessment.name", allow_null=True
    )
    # Module 2's history item {date, mastery, quiz_score}, alongside our names.
    date = serializers.DateTimeField(source="observed_at")
    mastery = serializers.FloatField(source="mastery_after")
    quiz_score = serializers.FloatField(source="score_percent")


class TopicMasteryDetailOutputSerializer(TopicMasteryOutputSerializer):
    # Module 2's name for mastery_score.
    current_mastery = serializers.FloatField(source="mastery.mastery_score", allow_null=True)
    recommended_difficulty = serializers.CharField()
    history = MasteryObservationOutputSerializer(many=True)


class SelfRatingsInputSerializer(HygieneSerializer):
    # Topic id -> rating; the service checks the topics and the 1-to-5 range.
    ratings = serializers.DictField(child=serializers.JSONField(), allow_empty=True)


class SelfRatingRecordOutputSerializer(HygieneSerializer):
    performance_record_id = serializers.UUIDField(source="id")
    topic_id = serializers.SerializerMethodField()
    rating = serializers.IntegerField(source="score")

    def get_topic_id(self, record) -> str:
        return next(iter(record.topic_breakdown))


class ReviewDueOutputSerializer(LeanOutputMixin, HygieneSerializer):
    topic_id = serializers.UUIDField()
    topic_name = serializers.CharField(source="topic.name")
    course_id = serializers.UUIDField(source="topic.course_id")
    course_code = serializers.CharField(source="topic.course.code")
    mastery_score = serializers.FloatField()
    confidence_interval = serializers.FloatField()
    trend = serializers.CharField()
    next_review_date = serializers.DateField()
    review_interval_days = serializers.IntegerField()
