"""Thin API views: scope to request.user, validate shape, call a service, render."""

from __future__ import annotations

import dataclasses

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, status
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.api.list_cache import StudentListCacheMixin
from accounts.errors import ApplicationError
from accounts.seed_names import check_caller_user_id
from courses import lms_sources, selectors, services
from courses.api import serializers as s
from courses.api.filters import AssessmentFilter, CourseFilter, TopicFilter
from courses.feeds import fetch_feed
from courses.models import Assessment, Course, Topic

# Error bodies: `detail` for the whole request and/or a list of messages per field.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERROR_400 = OpenApiResponse(ERROR_SCHEMA, description="Invalid input, with field errors.")
ERROR_401 = OpenApiResponse(ERROR_SCHEMA, description="Not authenticated.")
ERROR_403 = OpenApiResponse(ERROR_SCHEMA, description="Not allowed.")
ERROR_404 = OpenApiResponse(ERROR_SCHEMA, description="Not found (or another user's).")
USER_ID_404 = OpenApiResponse(ERROR_SCHEMA, description="A `user_id` that is not yours.")
PAGE_404 = OpenApiResponse(ERROR_SCHEMA, description="No such page of results.")
FILTER_400 = OpenApiResponse(ERROR_SCHEMA, description="A filter value is invalid.")
AUTH_ERRORS = {401: ERROR_401, 403: ERROR_403}
OBJECT_ERRORS = {**AUTH_ERRORS, 404: ERROR_404}
IMPORT_400 = OpenApiResponse(
    ERROR_SCHEMA,
    description=(
        "A bad file or URL (`detail` and field errors), or bad rows: then the body is the "
        "full report plus `detail`, and nothing was written."
    ),
)
IMPORT_429 = OpenApiResponse(
    ERROR_SCHEMA,
    description=(
        "Over the student's daily import allowance (or, for a feed URL, hourly download "
        "allowance); retry after the seconds in Retry-After."
    ),
)


def _truthy(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class RawUploadParser(BaseParser):
    """A file sent as the whole request body (`curl --data-binary @courses.csv`)."""

    media_type = "text/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"raw": stream.read()}


class ScopedOptionsMixin:
    """OPTIONS answers 404 for another user's object, like every other method: DRF's metadata
    response would otherwise confirm that the object exists."""

    def options(self, request, *args, **kwargs):
        if "pk" in kwargs:
            self.get_object()
        elif "course_id" in kwargs:
            _user_course(request, kwargs["course_id"])
        return super().options(request, *args, **kwargs)


# --- courses --------------------------------------------------------------------------------


class CourseListCreateApi(StudentListCacheMixin, generics.ListAPIView):
    list_cache_name = "courses"
    serializer_class = s.CourseOutputSerializer
    filterset_class = CourseFilter
    ordering_fields = ["code", "name", "semester", "start_date", "end_date", "created_at"]
    ordering = ["code", "name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Course.objects.none()
        return selectors.course_list(user=self.request.user)

    @extend_schema(
        responses={
            200: s.CourseOutputSerializer(many=True),
            400: FILTER_400,
            404: PAGE_404,
            **AUTH_ERRORS,
        }
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.CourseInputSerializer,
        responses={201: s.CourseOutputSerializer, 400: ERROR_400, 404: USER_ID_404, **AUTH_ERRORS},
    )
    def post(self, request):
        serializer = s.CourseInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        course = services.course_create(user=request.user, **serializer.validated_data)
        course = self.get_queryset().get(pk=course.pk)
        return Response(s.CourseOutputSerializer(course).data, status=status.HTTP_201_CREATED)


class CourseDetailApi(ScopedOptionsMixin, generics.GenericAPIView):
    serializer_class = s.CourseOutputSerializer

    def get_queryset(self):
        return selectors.course_list(user=self.request.user)

    def _render(self, course: Course) -> Response:
        return Response(s.CourseOutputSerializer(self.get_queryset().get(pk=course.pk)).data)

    @extend_schema(responses={200: s.CourseOutputSerializer, **OBJECT_ERRORS})
    def get(self, request, pk):
        return Response(s.CourseOutputSerializer(self.get_object()).data)

    def _update(self, request, *, partial: bool) -> Response:
        course = self.get_object()
        serializer = s.CourseInputSerializer(
            course, data=request.data, partial=partial, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        course = services.course_update(course=course, **serializer.validated_data)
        return self._render(course)

    @extend_schema(
        request=s.CourseInputSerializer,
        responses={200: s.CourseOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def put(self, request, pk):
        return self._update(request, partial=False)

    @extend_schema(
        request=s.CourseInputSerializer,
        responses={200: s.CourseOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def patch(self, request, pk):
        return self._update(request, partial=True)

    @extend_schema(responses={204: None, **OBJECT_ERRORS})
    def delete(self, request, pk):
        services.course_delete(course=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _user_course(request, course_id) -> Course:
    return get_object_or_404(Course.objects.for_user(request.user), pk=course_id)


# --- topics ---------------------------------------------------------------------------------


class CourseTopicListCreateApi(ScopedOptionsMixin, generics.ListAPIView):
    serializer_class = s.TopicOutputSerializer
    filterset_class = TopicFilter
    ordering_fields = ["order_index", "name", "created_at", "estimated_difficulty"]
    ordering = ["order_index", "name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Topic.objects.none()
        course = _user_course(self.request, self.kwargs["course_id"])
        return Topic.objects.filter(course=course)

    @extend_schema(
        responses={200: s.TopicOutputSerializer(many=True), 400: FILTER_400, **OBJECT_ERRORS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.TopicInputSerializer,
        responses={201: s.TopicOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def post(self, request, course_id):
        course = _user_course(request, course_id)
        serializer = s.TopicInputSerializer(data=request.data, context={"course": course})
        serializer.is_valid(raise_exception=True)
        topic = services.topic_create(course=course, **serializer.validated_data)
        return Response(s.TopicOutputSerializer(topic).data, status=status.HTTP_201_CREATED)


class TopicDetailApi(ScopedOptionsMixin, generics.GenericAPIView):
    serializer_class = s.TopicOutputSerializer

    def get_queryset(self):
        return Topic.objects.for_user(self.request.user).select_related("course")

    @extend_schema(responses={200: s.TopicOutputSerializer, **OBJECT_ERRORS})
    def get(self, request, pk):
        return Response(s.TopicOutputSerializer(self.get_object()).data)

    def _update(self, request, *, partial: bool) -> Response:
        topic = self.get_object()
        serializer = s.TopicInputSerializer(
            data=request.data, partial=partial, context={"course": topic.course}
        )
        serializer.is_valid(raise_exception=True)
        topic = services.topic_update(topic=topic, **serializer.validated_data)
        return Response(s.TopicOutputSerializer(topic).data)

    @extend_schema(
        request=s.TopicInputSerializer,
        responses={200: s.TopicOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def put(self, request, pk):
        return self._update(request, partial=False)

    @extend_schema(
        request=s.TopicInputSerializer,
        responses={200: s.TopicOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def patch(self, request, pk):
        return self._update(request, partial=True)

    @extend_schema(responses={204: None, **OBJECT_ERRORS})
    def delete(self, request, pk):
        services.topic_delete(topic=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- assessments ----------------------------------------------------------------------------


def _render_assessment(assessment: Assessment) -> dict:
    fresh = selectors.assessments_with_topics(Assessment.objects.filter(pk=assessment.pk)).get()
    return s.AssessmentOutputSerializer(fresh).data


class CourseAssessmentsApi(ScopedOptionsMixin, generics.ListAPIView):
    serializer_class = s.AssessmentOutputSerializer
    filterset_class = AssessmentFilter
    ordering_fields = ["due_date", "name", "weight_percent", "type", "created_at"]
    ordering = ["due_date", "name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assessment.objects.none()
        course = _user_course(self.request, self.kwargs["course_id"])
        return selectors.assessments_with_topics(Assessment.objects.filter(course=course))

    @extend_schema(
        responses={200: s.AssessmentOutputSerializer(many=True), 400: FILTER_400, **OBJECT_ERRORS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.AssessmentInputSerializer,
        responses={201: s.AssessmentOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def post(self, request, course_id):
        course = _user_course(request, course_id)
        serializer = s.AssessmentInputSerializer(data=request.data, context={"course": course})
        serializer.is_valid(raise_exception=True)
        assessment = services.assessment_create(course=course, **serializer.validated_data)
        return Response(_render_assessment(assessment), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.AssessmentSchemaInputSerializer,
        responses={200: s.AssessmentSchemaOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
        description=(
            "Replace the course's whole assessment schema atomically. Items match existing "
            "assessments by id, else by name; unmatched existing ones are deleted. The weights "
            "must total exactly 100."
        ),
    )
    def put(self, request, course_id):
        course = _user_course(request, course_id)
        serializer = s.AssessmentSchemaInputSerializer(
            data=request.data, context={"course": course}
        )
        serializer.is_valid(raise_exception=True)
        services.assessment_schema_replace(
            course=course, items=serializer.validated_data["assessments"]
        )
        course = selectors.course_list(user=request.user).get(pk=course.pk)
        assessments = selectors.assessments_with_topics(
            Assessment.objects.filter(course=course).order_by("due_date", "name")
        )
        body = {
            "assessments": assessments,
            "weights_total": course.weights_total,
            "weights_complete": course.weights_complete,
        }
        return Response(s.AssessmentSchemaOutputSerializer(body).data)


class AssessmentDetailApi(ScopedOptionsMixin, generics.GenericAPIView):
    serializer_class = s.AssessmentOutputSerializer

    def get_queryset(self):
        return selectors.assessments_with_topics(
            Assessment.objects.for_user(self.request.user).select_related("course")
        )

    @extend_schema(responses={200: s.AssessmentOutputSerializer, **OBJECT_ERRORS})
    def get(self, request, pk):
        return Response(s.AssessmentOutputSerializer(self.get_object()).data)

    def _update(self, request, *, partial: bool) -> Response:
        assessment = self.get_object()
        serializer = s.AssessmentInputSerializer(
            data=request.data, partial=partial, context={"course": assessment.course}
        )
        serializer.is_valid(raise_exception=True)
        assessment = services.assessment_update(assessment=assessment, **serializer.validated_data)
        return Response(_render_assessment(assessment))

    @extend_schema(
        request=s.AssessmentInputSerializer,
        responses={200: s.AssessmentOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def put(self, request, pk):
        return self._update(request, partial=False)

    @extend_schema(
        request=s.AssessmentInputSerializer,
        responses={200: s.AssessmentOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def patch(self, request, pk):
        return self._update(request, partial=True)

    @extend_schema(responses={204: None, **OBJECT_ERRORS})
    def delete(self, request, pk):
        services.assessment_delete(assessment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssessmentWeightConfirmApi(ScopedOptionsMixin, generics.GenericAPIView):
    """Confirm an estimated weight (an imported deadline's), or fix it; either clears
    `weight_is_estimated`."""

    serializer_class = s.AssessmentOutputSerializer

    def get_queryset(self):
        return Assessment.objects.for_user(self.request.user).select_related("course")

    @extend_schema(
        request=s.AssessmentWeightConfirmInputSerializer,
        responses={200: s.AssessmentOutputSerializer, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def post(self, request, pk):
        assessment = self.get_object()
        serializer = s.AssessmentWeightConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = services.assessment_weight_confirm(
            assessment=assessment, **serializer.validated_data
        )
        return Response(_render_assessment(assessment))


# --- history --------------------------------------------------------------------------------


class _HistoryApi(ScopedOptionsMixin, generics.GenericAPIView):
    serializer_class = s.HistoryEntrySerializer
    filter_backends: list = []
    model: type

    def get_queryset(self):
        return self.model.objects.for_user(self.request.user)

    @extend_schema(responses={200: s.HistoryEntrySerializer(many=True), **OBJECT_ERRORS})
    def get(self, request, pk):
        instance = self.get_object()
        page = self.paginate_queryset(selectors.history_queryset(instance))
        entries = [dataclasses.asdict(entry) for entry in selectors.history_entries(page)]
        return self.get_paginated_response(s.HistoryEntrySerializer(entries, many=True).data)


class CourseHistoryApi(_HistoryApi):
    model = Course


class TopicHistoryApi(_HistoryApi):
    model = Topic


class AssessmentHistoryApi(_HistoryApi):
    model = Assessment


# --- imports --------------------------------------------------------------------------------


def _uploaded_content(request) -> bytes | None:
    if "raw" in request.data and isinstance(request.data["raw"], bytes):
        return request.data["raw"]
    # Seed 000 names the upload `csv_file` (import_courses_csv(user_id, csv_file)).
    uploads = [request.FILES[name] for name in ("file", "csv_file") if name in request.FILES]
    if len(uploads) > 1:
        raise ApplicationError(
            "Upload the CSV once.",
            field_errors={"csv_file": ["Send `file` or `csv_file`, not both."]},
        )
    return uploads[0].read() if uploads else None


def csv_report_body(report: services.CsvImportReport) -> dict:
    return {
        "dry_run": report.dry_run,
        "applied": report.applied,
        "created": report.count(services.CSV_ACTION_CREATE),
        "updated": report.count(services.CSV_ACTION_UPDATE),
        "unchanged": report.count(services.CSV_ACTION_UNCHANGED),
        "rows": [dataclasses.asdict(row) for row in report.rows],
        "errors": report.errors,
    }


def lms_report_body(report: services.LmsImportReport) -> dict:
    return {
        "confirmed": report.confirmed,
        "applied": report.applied,
        "created": report.count(services.LMS_ACTION_CREATE),
        "updated": report.count(services.LMS_ACTION_UPDATE),
        "unchanged": report.count(services.LMS_ACTION_UNCHANGED),
        "skipped": report.count(services.LMS_ACTION_SKIP),
        "errors": report.count(services.LMS_ACTION_ERROR),
        "rows": [dataclasses.asdict(row) for row in report.rows],
    }


class CsvImportApi(generics.GenericAPIView):
    parser_classes = [MultiPartParser, FormParser, RawUploadParser]
    serializer_class = s.CsvImportInputSerializer
    filter_backends: list = []

    @extend_schema(
        request={
            "multipart/form-data": s.CsvImportInputSerializer,
            "text/csv": OpenApiTypes.STR,
        },
        parameters=[
            OpenApiParameter(
                "dry_run", OpenApiTypes.BOOL, description="Report what would happen; write nothing."
            )
        ],
        responses={
            200: s.CsvImportReportSerializer,
            400: IMPORT_400,
            404: USER_ID_404,
            429: IMPORT_429,
            **AUTH_ERRORS,
        },
        description=(
            "Import courses from CSV (columns name, code, semester, start_date, end_date, "
            "instructor). All or nothing; courses match on (code, semester)."
        ),
    )
    def post(self, request):
        if "user_id" in request.data:
            check_caller_user_id(request, request.data["user_id"])
        content = _uploaded_content(request)
        if content is None:
            raise ApplicationError(
                "Upload a CSV file.", field_errors={"file": ["Upload a CSV file as `file`."]}
            )
        dry_run = _truthy(request.query_params.get("dry_run")) or _truthy(
            request.data.get("dry_run", "")
        )
        report = services.courses_import_csv(user=request.user, content=content, dry_run=dry_run)
        body = csv_report_body(report)
        if report.has_errors:
            body["detail"] = "Some rows are invalid; nothing was imported."
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body)


class LmsImportApi(generics.GenericAPIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    serializer_class = s.LmsImportInputSerializer
    filter_backends: list = []

    @extend_schema(
        request={
            "multipart/form-data": s.LmsImportInputSerializer,
            "application/json": s.LmsImportInputSerializer,
        },
        responses={
            200: PolymorphicProxySerializer(
                component_name="LmsImportResult",
                serializers=[s.LmsImportReportSerializer, s.LmsApiImportReportSerializer],
                resource_type_field_name=None,
            ),
            400: IMPORT_400,
            404: USER_ID_404,
            429: IMPORT_429,
            **AUTH_ERRORS,
        },
        description=(
            'The seed\'s shape: `{"lms_type": "canvas" | "moodle" | "ics", '
            '"credentials": {...}}`. Canvas (base_url + access_token) and Moodle (base_url + '
            "web-service token) are read through their APIs: active courses (matched by course "
            "code, or created), assessments with due dates, points and weights (Canvas group "
            "weights split by points, else by points; Moodle's own weights), and the student's "
            "grades as performance records. Everything is keyed by the LMS's ids, so importing "
            "again updates in place; the LMS stays connected and is re-read periodically. A "
            "wrong token or an unreachable host is a 400 and nothing is written.\n\n"
            "iCalendar (`lms_type` ics with credentials.url, or the older `file`/`url` fields): "
            "with confirm=false (the default without lms_type) only a preview is returned; with "
            "confirm=true every matched event is created or updated in one transaction, keyed "
            "by its UID; events matching no course are reported as skipped."
        ),
    )
    def post(self, request):
        serializer = s.LmsImportInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lms_type = data.get("lms_type") or s.LMS_TYPE_ICS
        if lms_type != s.LMS_TYPE_ICS:
            handler = lms_sources.get(lms_type)
            if handler is None:
                raise ApplicationError(
                    "This LMS cannot be imported here.",
                    field_errors={"lms_type": [f"{lms_type} is not available."]},
                )
            return Response(handler(user=request.user, credentials=data["credentials"]))
        fallback = None
        if data.get("course_id"):
            fallback = Course.objects.for_user(request.user).filter(pk=data["course_id"]).first()
            if fallback is None:
                raise ApplicationError(
                    "Unknown course.", field_errors={"course_id": ["Not one of your courses."]}
                )
        content = (
            data["file"].read() if data.get("file") else fetch_feed(data["url"], user=request.user)
        )
        if data["confirm"]:
            report = services.lms_import_confirm(
                user=request.user, content=content, fallback_course=fallback
            )
        else:
            report = services.lms_import_preview(
                user=request.user, content=content, fallback_course=fallback
            )
        body = lms_report_body(report)
        if report.confirmed and report.has_errors:
            body["detail"] = "Some events cannot be read; nothing was imported."
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body)
