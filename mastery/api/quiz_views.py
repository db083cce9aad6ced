"""Quiz and question bank endpoints: start, current question, answer, finish, result, import,
export. Each looks its object up through the user's scope, so another user's id is a 404."""

# DRF's variant also turns a malformed id into a 404 rather than a validation error.
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.response import Response

from courses.models import Course, Topic
from mastery import quiz_selectors, quiz_services
from mastery.api.quiz_serializers import (
    ErrorOutputSerializer,
    FieldErrorsOutputSerializer,
    QuestionBankDocumentSerializer,
    QuestionBankImportInputSerializer,
    QuestionBankImportOutputSerializer,
    QuizAnswerInputSerializer,
    QuizAnswerOutputSerializer,
    QuizAttemptOutputSerializer,
    QuizResultOutputSerializer,
    SelfRatingRecordOutputSerializer,
    SelfRatingsInputSerializer,
)
from mastery.models import QuizAttempt

ERROR_RESPONSES = {
    400: OpenApiResponse(FieldErrorsOutputSerializer, description="Invalid input or rule broken."),
    401: OpenApiResponse(ErrorOutputSerializer, description="Not authenticated."),
    403: OpenApiResponse(ErrorOutputSerializer, description="Not allowed."),
    404: OpenApiResponse(ErrorOutputSerializer, description="Not found (or not yours)."),
}
READ_ERRORS = {code: ERROR_RESPONSES[code] for code in (401, 403, 404)}


def _attempt_payload(attempt: QuizAttempt) -> dict:
    attempt.current_item = (
        quiz_selectors.current_item(attempt) if not attempt.is_completed else None
    )
    return QuizAttemptOutputSerializer(attempt).data


class _AttemptMixin:
    def get_attempt(self, request, attempt_id) -> QuizAttempt:
        return get_object_or_404(quiz_selectors.quiz_attempts(user=request.user), pk=attempt_id)


class DiagnosticStartApi(GenericAPIView):
    serializer_class = QuizAttemptOutputSerializer

    @extend_schema(
        operation_id="quiz_diagnostic_start",
        request=None,
        responses={201: QuizAttemptOutputSerializer, **ERROR_RESPONSES},
        summary="Start (or resume) the course's adaptive diagnostic quiz",
    )
    def post(self, request, course_id):
        course = get_object_or_404(Course.objects.for_user(request.user), pk=course_id)
        attempt = quiz_services.diagnostic_start(user=request.user, course=course)
        return Response(_attempt_payload(attempt), status=status.HTTP_201_CREATED)


class DiagnosticSelfRatingsApi(GenericAPIView):
    serializer_class = SelfRatingsInputSerializer
    # Only for the schema's path parameter; `post` looks the course up in the user's scope.
    queryset = Course.objects.none()

    @extend_schema(
        operation_id="quiz_diagnostic_self_ratings",
        request=SelfRatingsInputSerializer,
        responses={201: SelfRatingRecordOutputSerializer(many=True), **ERROR_RESPONSES},
        summary="Rate your confidence (1 to 5) in topics the diagnostic has no questions for",
    )
    def post(self, request, course_id):
        course = get_object_or_404(Course.objects.for_user(request.user), pk=course_id)
        serializer = SelfRatingsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        records = quiz_services.diagnostic_self_ratings_record(
            user=request.user, course=course, ratings=serializer.validated_data["ratings"]
        )
        return Response(
            SelfRatingRecordOutputSerializer(records, many=True).data,
            status=status.HTTP_201_CREATED,
        )


class PracticeStartApi(GenericAPIView):
    serializer_class = QuizAttemptOutputSerializer

    @extend_schema(
        operation_id="quiz_practice_start",
        request=None,
        responses={201: QuizAttemptOutputSerializer, **ERROR_RESPONSES},
        summary="Start (or resume) a practice quiz at the recommended difficulty",
    )
    def post(self, request, topic_id):
        topic = get_object_or_404(
            Topic.objects.for_user(request.user).select_related("course"), pk=topic_id
        )
        attempt = quiz_services.practice_start(user=request.user, topic=topic)
        return Response(_attempt_payload(attempt), status=status.HTTP_201_CREATED)


class QuizDetailApi(_AttemptMixin, GenericAPIView):
    serializer_class = QuizAttemptOutputSerializer

    @extend_schema(
        operation_id="quiz_retrieve",
        responses={200: QuizAttemptOutputSerializer, **READ_ERRORS},
        summary="A quiz attempt with the question being asked (if any)",
    )
    def get(self, request, attempt_id):
        return Response(_attempt_payload(self.get_attempt(request, attempt_id)))


class QuizQuestionApi(_AttemptMixin, GenericAPIView):
    serializer_class = QuizAttemptOutputSerializer

    @extend_schema(
        operation_id="quiz_current_question",
        responses={
            200: QuizAttemptOutputSerializer,
            409: OpenApiResponse(ErrorOutputSerializer, description="The quiz is finished."),
            **READ_ERRORS,
        },
        summary="The question being asked; its `shown_at` starts the clock",
    )
    def get(self, request, attempt_id):
        attempt = self.get_attempt(request, attempt_id)
        if attempt.is_completed:
            return Response(
                {"detail": "This quiz is finished; see its result."},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(_attempt_payload(attempt))


class QuizAnswerApi(_AttemptMixin, GenericAPIView):
    serializer_class = QuizAnswerInputSerializer

    @extend_schema(
        operation_id="quiz_answer",
        request=QuizAnswerInputSerializer,
        responses={200: QuizAnswerOutputSerializer, **ERROR_RESPONSES},
        summary="Answer the current question; the response grades it and serves the next",
    )
    def post(self, request, attempt_id):
        attempt = self.get_attempt(request, attempt_id)
        serializer = QuizAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = quiz_services.quiz_answer(
            attempt=attempt,
            question_id=serializer.validated_data["question_id"],
            raw_answer=serializer.validated_data["answer"],
        )
        attempt.refresh_from_db()
        payload = {"graded": item, "attempt": attempt}
        data = QuizAnswerOutputSerializer(payload).data
        data["attempt"] = _attempt_payload(attempt)
        return Response(data)


class QuizFinishApi(_AttemptMixin, GenericAPIView):
    serializer_class = QuizResultOutputSerializer

    @extend_schema(
        operation_id="quiz_finish",
        request=None,
        responses={200: QuizResultOutputSerializer, **ERROR_RESPONSES},
        summary="Finish now: grade the answered questions and record the evidence",
    )
    def post(self, request, attempt_id):
        attempt = quiz_services.quiz_finish(attempt=self.get_attempt(request, attempt_id))
        return Response(_result_payload(attempt))


class QuizResultApi(_AttemptMixin, GenericAPIView):
    serializer_class = QuizResultOutputSerializer

    @extend_schema(
        operation_id="quiz_result",
        responses={
            200: QuizResultOutputSerializer,
            409: OpenApiResponse(ErrorOutputSerializer, description="Not finished yet."),
            **READ_ERRORS,
        },
        summary="Score, pass (70 or more) and every answer with its explanation",
    )
    def get(self, request, attempt_id):
        attempt = self.get_attempt(request, attempt_id)
        if not attempt.is_completed:
            return Response(
                {"detail": "This quiz is still in progress."}, status=status.HTTP_409_CONFLICT
            )
        return Response(_result_payload(attempt))


def _result_payload(attempt: QuizAttempt) -> dict:
    attempt.current_item = None
    return QuizResultOutputSerializer(
        {"attempt": attempt, "items": quiz_selectors.answered_items(attempt)}
    ).data


class QuestionBankImportApi(GenericAPIView):
    serializer_class = QuestionBankImportInputSerializer

    @extend_schema(
        operation_id="question_bank_import",
        request=QuestionBankDocumentSerializer,
        responses={200: QuestionBankImportOutputSerializer, **ERROR_RESPONSES},
        summary="Import a quiz document into the topic's bank (all questions or none)",
    )
    def post(self, request, topic_id):
        topic = get_object_or_404(
            Topic.objects.for_user(request.user).select_related("course"), pk=topic_id
        )
        serializer = QuestionBankImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = quiz_services.question_bank_import(
            user=request.user, topic=topic, document=serializer.validated_data
        )
        return Response(
            QuestionBankImportOutputSerializer(
                {"created": result.created, "updated": result.updated}
            ).data
        )


class QuestionBankExportApi(GenericAPIView):
    serializer_class = QuestionBankDocumentSerializer

    @extend_schema(
        operation_id="question_bank_export",
        responses={200: QuestionBankDocumentSerializer, **READ_ERRORS},
        summary="The topic's question bank in the import format",
    )
    def get(self, request, topic_id):
        topic = get_object_or_404(Topic.objects.for_user(request.user), pk=topic_id)
        return Response(quiz_selectors.question_bank_export(topic=topic))
