"""Performance records and the grade import. Views are thin: shape in, one service, shape out."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from accounts.api.filters import UtcIsoDateTimeFilter
from courses.models import Assessment
from mastery.api.serializers import (
    GradeImportInputSerializer,
    GradeImportOutputSerializer,
    PerformanceHistoryOutputSerializer,
    PerformanceInputSerializer,
    PerformanceOutputSerializer,
    PerformanceUpdateSerializer,
    ScoreRecordInputSerializer,
)
from mastery.models import EvidenceSource, PerformanceRecord
from mastery.services import (
    assessment_score_record,
    grades_import,
    performance_record_create,
    performance_record_delete,
    performance_record_update,
)

BAD_REQUEST = OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: field errors.")
UNAUTHENTICATED = OpenApiResponse(description="Not signed in (no session or bearer token).")
FORBIDDEN = OpenApiResponse(description="Signed in, but not allowed.")
NOT_FOUND = OpenApiResponse(description="No such record among yours.")
USER_ID_NOT_FOUND = OpenApiResponse(description="A `user_id` that is not yours.")


class PerformanceRecordFilter(django_filters.FilterSet):
    # Plain id filters: another user's id simply matches nothing, with no lookup query.
    course = django_filters.UUIDFilter(field_name="course_id")
    assessment = django_filters.UUIDFilter(field_name="assessment_id")
    completed_after = UtcIsoDateTimeFilter(field_name="completed_at", lookup_expr="gte")
    completed_before = UtcIsoDateTimeFilter(field_name="completed_at", lookup_expr="lte")

    class Meta:
        model = PerformanceRecord
        fields = ["course", "assessment", "completed_after", "completed_before"]


class _UserPerformanceMixin:
    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return PerformanceRecord.objects.none()
        return PerformanceRecord.objects.for_user(self.request.user)


class _OwnObjectOptionsMixin:
    """OPTIONS describes an object only to its owner: another user's id is a 404 here too."""

    @extend_schema(exclude=True)
    def options(self, request, *args, **kwargs):
        self.get_object()
        return super().options(request, *args, **kwargs)


class PerformanceListCreateApi(_UserPerformanceMixin, generics.ListAPIView):
    serializer_class = PerformanceOutputSerializer
    filterset_class = PerformanceRecordFilter
    ordering_fields = ["completed_at", "created_at", "score", "percentage", "attempt_number"]
    ordering = ["-completed_at", "-created_at"]

    @extend_schema(
        summary="List your performance records",
        responses={
            200: PerformanceOutputSerializer(many=True),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such page."),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Record a quiz or assignment result",
        description="The percentage is computed and the attempt number assigned; mastery of "
        "the topics it covers is recomputed after commit.",
        request=PerformanceInputSerializer,
        responses={
            201: PerformanceOutputSerializer,
            400: BAD_REQUEST,
            404: USER_ID_NOT_FOUND,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = PerformanceInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        record = performance_record_create(user=request.user, **serializer.validated_data)
        return Response(PerformanceOutputSerializer(record).data, status=status.HTTP_201_CREATED)


class AssessmentScoreRecordApi(generics.GenericAPIView):
    serializer_class = PerformanceOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assessment.objects.none()
        return Assessment.objects.for_user(self.request.user).select_related("course")

    @extend_schema(
        summary="Record your score on an assessment",
        description="Any assessment, past or upcoming; it is marked completed and counts in "
        "the grade planner. Mastery of its topics is recomputed after commit.",
        request=ScoreRecordInputSerializer,
        responses={
            201: PerformanceOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such assessment among yours."),
        },
    )
    def post(self, request, pk):
        assessment = self.get_object()
        serializer = ScoreRecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = assessment_score_record(
            user=request.user,
            assessment=assessment,
            source=EvidenceSource.API,
            **serializer.validated_data,
        )
        return Response(PerformanceOutputSerializer(record).data, status=status.HTTP_201_CREATED)


class PerformanceDetailApi(_UserPerformanceMixin, _OwnObjectOptionsMixin, generics.RetrieveAPIView):
    serializer_class = PerformanceOutputSerializer

    @extend_schema(
        summary="One of your performance records",
        responses={
            200: PerformanceOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def _update(self, request, *, partial: bool):
        record = self.get_object()
        serializer = PerformanceUpdateSerializer(
            data=request.data, partial=partial, context={"request": request, "record": record}
        )
        serializer.is_valid(raise_exception=True)
        record = performance_record_update(record=record, **serializer.validated_data)
        return Response(PerformanceOutputSerializer(record).data)

    @extend_schema(
        summary="Replace a performance record",
        request=PerformanceUpdateSerializer,
        responses={
            200: PerformanceOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def put(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    @extend_schema(
        summary="Change some fields of a performance record",
        request=PerformanceUpdateSerializer,
        responses={
            200: PerformanceOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def patch(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    @extend_schema(
        summary="Delete a performance record",
        responses={204: None, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request, *args, **kwargs):
        performance_record_delete(record=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PerformanceHistoryApi(_UserPerformanceMixin, _OwnObjectOptionsMixin, generics.GenericAPIView):
    serializer_class = PerformanceHistoryOutputSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="Every saved version of a performance record, newest first",
        responses={
            200: PerformanceHistoryOutputSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, *args, **kwargs):
        record = self.get_object()
        versions = record.history.order_by("-history_date", "-history_id")
        return Response(PerformanceHistoryOutputSerializer(versions, many=True).data)


class GradeImportApi(generics.GenericAPIView):
    serializer_class = GradeImportInputSerializer

    @extend_schema(
        summary="Import a grade history (all or nothing)",
        description="Matches assessments by name within the course (case-insensitive) or "
        "creates them flagged created_from_import with weight 0, and creates past-dated "
        "performance records. Any row error: 400 with the per-row report and nothing written. "
        "With dry_run, 200 with the report and nothing written.",
        request=GradeImportInputSerializer,
        responses={
            200: OpenApiResponse(GradeImportOutputSerializer, description="Dry run report."),
            201: OpenApiResponse(GradeImportOutputSerializer, description="Imported."),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A row is invalid: the report above, with every row's errors; or "
                "the body itself is (field errors such as course_id or grades).",
            ),
            429: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Over the daily import allowance; retry after Retry-After seconds.",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: USER_ID_NOT_FOUND,
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = GradeImportInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        report = grades_import(
            user=request.user,
            course=serializer.validated_data["course_id"],
            grades=serializer.validated_data["grades"],
            dry_run=serializer.validated_data["dry_run"],
        )
        if not report.is_valid:
            response_status = status.HTTP_400_BAD_REQUEST
        elif report.dry_run:
            response_status = status.HTTP_200_OK
        else:
            response_status = status.HTTP_201_CREATED
        return Response(GradeImportOutputSerializer(report).data, status=response_status)
