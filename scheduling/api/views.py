import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.list_cache import StudentListCacheMixin
from accounts.seed_names import check_caller_user_id
from courses.models import Assessment
from scheduling import selectors, services
from scheduling.api.serializers import (
    SEED_HORIZON_DAYS,
    SEED_MAX_TASKS,
    CheckInInputSerializer,
    CheckInOutputSerializer,
    CompleteInputSerializer,
    GenerateInputSerializer,
    GenerateOutputSerializer,
    NextTaskOutputSerializer,
    NextTasksQuerySerializer,
    ReplanInputSerializer,
    ReplanOutputSerializer,
    RescheduleInputSerializer,
    ScheduleQuerySerializer,
    SchedulingErrorOutputSerializer,
    SkipInputSerializer,
    StreakOutputSerializer,
    StudyTaskOutputSerializer,
    SuggestionApplyInputSerializer,
    local_window,
)
from scheduling.models import DailyCheckIn, StudyTask
from scheduling.work import user_zone

BAD_REQUEST = OpenApiResponse(
    SchedulingErrorOutputSerializer, description="Invalid input or a broken rule, per field."
)
UNAUTHENTICATED = OpenApiResponse(
    SchedulingErrorOutputSerializer, description="No valid session or token."
)
FORBIDDEN = OpenApiResponse(SchedulingErrorOutputSerializer, description="Not allowed.")
NOT_FOUND = OpenApiResponse(SchedulingErrorOutputSerializer, description="No such task of yours.")
PAGE_NOT_FOUND = OpenApiResponse(
    SchedulingErrorOutputSerializer, description="No such page of results."
)
CONFLICT = OpenApiResponse(
    SchedulingErrorOutputSerializer, description="A replan of your plan is already running."
)
USER_ID_NOT_FOUND = OpenApiResponse(
    SchedulingErrorOutputSerializer, description="A `user_id` that is not yours."
)
AUTH_ERRORS = {401: UNAUTHENTICATED, 403: FORBIDDEN}
TASK_ERRORS = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND}


def _locked_response():
    return Response(
        {"detail": "A replan of your plan is already running; try again in a moment."},
        status=status.HTTP_409_CONFLICT,
    )


class ScheduleGenerateApi(APIView):
    @extend_schema(
        summary="Generate the study plan for a date window",
        description=(
            "Regenerates study tasks from upcoming assessments and places them between "
            "start_date and end_date (local dates, inclusive). Completed, in-progress and "
            "pinned blocks stay; the rest moves as little as it can."
        ),
        request=GenerateInputSerializer,
        responses={
            200: GenerateOutputSerializer,
            409: CONFLICT,
            400: BAD_REQUEST,
            404: USER_ID_NOT_FOUND,
            **AUTH_ERRORS,
        },
    )
    def post(self, request):
        serializer = GenerateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        tz = user_zone(request.user)
        start, end = local_window(
            serializer.validated_data["start_date"], serializer.validated_data["end_date"], tz
        )
        try:
            with services.plan_lock(request.user.pk):
                outcome = services.plan_regenerate(
                    user=request.user, reason="generate", horizon_start=start, horizon_end=end
                )
        except services.PlanLocked:
            return _locked_response()
        schedule = list(selectors.schedule_between(request.user, start, end))
        unscheduled = list(selectors.unscheduled_for(request.user))
        minutes = sum((t.scheduled_end - t.scheduled_start).total_seconds() / 60 for t in schedule)
        body = {
            "schedule": schedule,
            "unscheduled": unscheduled,
            "unscheduled_tasks": len(unscheduled),
            "total_hours": round(minutes / 60, 2),
            "daily_breakdown": selectors.daily_breakdown(schedule, tz),
            "at_risk": outcome.snapshot.cushions,
            "readiness": outcome.snapshot.readiness,
            "changes": outcome.diff.__dict__,
        }
        return Response(GenerateOutputSerializer(body).data)


class ScheduleReplanApi(APIView):
    @extend_schema(
        summary="Replan the rolling horizon now",
        request=ReplanInputSerializer,
        responses={
            200: ReplanOutputSerializer,
            409: CONFLICT,
            400: BAD_REQUEST,
            404: USER_ID_NOT_FOUND,
            **AUTH_ERRORS,
        },
    )
    def post(self, request):
        serializer = ReplanInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        try:
            outcome = services.plan_replan(user=request.user, reason=reason)
        except services.PlanLocked:
            return _locked_response()
        body = {
            "reason": reason,
            "changes": outcome.diff.__dict__,
            "at_risk": outcome.snapshot.cushions,
        }
        return Response(ReplanOutputSerializer(body).data)


class SuggestionApplyApi(APIView):
    @extend_schema(
        summary="Apply one at-risk suggestion, then replan",
        description=(
            "Moves the suggested work after the assessment's deadline, or drops it, as the "
            "suggestion says, and replans at once. Only a suggestion of the current plan (see "
            "`at_risk` in the replan answer) can be applied."
        ),
        request=SuggestionApplyInputSerializer,
        responses={
            200: ReplanOutputSerializer,
            400: BAD_REQUEST,
            404: OpenApiResponse(description="No such assessment among yours."),
            409: CONFLICT,
            **AUTH_ERRORS,
        },
    )
    def post(self, request):
        serializer = SuggestionApplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = get_object_or_404(
            Assessment.objects.for_user(request.user).select_related("course"),
            pk=serializer.validated_data["assessment_id"],
        )
        try:
            outcome = services.plan_suggestion_apply(
                user=request.user,
                assessment=assessment,
                work_key=serializer.validated_data["work_key"],
            )
        except services.PlanLocked:
            return _locked_response()
        body = {
            "reason": outcome.snapshot.reason,
            "changes": outcome.diff.__dict__,
            "at_risk": outcome.snapshot.cushions,
        }
        return Response(ReplanOutputSerializer(body).data)


# The columns StudyTaskOutputSerializer renders (its other names are aliases of these), with
# its course's name and code.
SCHEDULE_LIST_COLUMNS = (
    *(
        field.name
        for field in StudyTask._meta.concrete_fields
        if field.name in StudyTaskOutputSerializer.Meta.fields
    ),
    "course__name",
    "course__code",
)


class ScheduleListApi(StudentListCacheMixin, generics.ListAPIView):
    list_cache_name = "schedule"
    serializer_class = StudyTaskOutputSerializer
    filter_backends: list = []

    @extend_schema(
        summary="Your study blocks in a window",
        parameters=[
            OpenApiParameter("start", str, description="ISO date or datetime; default Monday."),
            OpenApiParameter("end", str, description="ISO date or datetime; default start + 7d."),
        ],
        responses={
            200: StudyTaskOutputSerializer(many=True),
            400: BAD_REQUEST,
            404: PAGE_NOT_FOUND,
            **AUTH_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StudyTask.objects.none()
        query = ScheduleQuerySerializer(
            data=self.request.query_params, context={"tz": user_zone(self.request.user)}
        )
        query.is_valid(raise_exception=True)
        # Only the columns the list renders, and the course (not the assessment: its id is
        # on the row), so no row pays for text, JSON and joins it does not show.
        return (
            selectors.schedule_between(
                self.request.user, query.validated_data["start"], query.validated_data["end"]
            )
            .select_related(None)
            .select_related("course")
            .only(*SCHEDULE_LIST_COLUMNS)
        )


class NextTasksApi(generics.ListAPIView):
    """Open tasks by priority. `horizon_days` keeps blocks that start within that many days
    and work still waiting for a slot (it is due whenever a slot comes); `max_tasks` caps the
    list. Without them, every open task (the path without a user id keeps its old answer)."""

    serializer_class = NextTaskOutputSerializer
    filter_backends: list = []
    default_horizon_days: int | None = None
    default_max_tasks: int | None = None

    @extend_schema(
        summary="Your open tasks by priority, each with its reason",
        parameters=[
            OpenApiParameter("horizon_days", int, description="Only blocks within these days."),
            OpenApiParameter("max_tasks", int, description="At most this many tasks."),
        ],
        responses={
            200: NextTaskOutputSerializer(many=True),
            400: BAD_REQUEST,
            404: PAGE_NOT_FOUND,
            **AUTH_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StudyTask.objects.none()
        query = NextTasksQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        horizon_days = query.validated_data.get("horizon_days", self.default_horizon_days)
        max_tasks = query.validated_data.get("max_tasks", self.default_max_tasks)
        return selectors.next_tasks(
            self.request.user, horizon_days=horizon_days, max_tasks=max_tasks
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["topic_names"] = getattr(self, "_topic_names", {})
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        tasks = page if page is not None else list(queryset)
        # One query for the page's topic names, however many tasks it holds.
        self._topic_names = selectors.first_topic_names(self.request.user, tasks)
        return page


class SeedNextTasksApi(NextTasksApi):
    """Module 2's path: the user id must be the caller's own (else 404); defaults 7 and 14."""

    default_horizon_days = SEED_HORIZON_DAYS
    default_max_tasks = SEED_MAX_TASKS

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_caller_user_id(request, kwargs.get("user_id"))

    @extend_schema(
        operation_id="tasks_next_for_user",
        summary="Module 2: your next tasks (the seed's path; defaults 7 days, 14 tasks)",
        parameters=[
            OpenApiParameter("user_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            OpenApiParameter("horizon_days", int, description="Default 7."),
            OpenApiParameter("max_tasks", int, description="Default 14."),
        ],
        responses={
            200: NextTaskOutputSerializer(many=True),
            400: BAD_REQUEST,
            404: OpenApiResponse(
                SchedulingErrorOutputSerializer, description="Not your user id, or no such page."
            ),
            **AUTH_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


TASK_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class _TaskActionApi(APIView):
    """The id is matched as text so a malformed one is a JSON 404 after authentication,
    like another student's task, rather than the URL resolver's HTML 404 before it."""

    def get_task(self, request, pk) -> StudyTask:
        try:
            task_id = uuid.UUID(str(pk))
        except ValueError:
            raise Http404("No such task.") from None
        return get_object_or_404(StudyTask.objects.for_user(request.user), pk=task_id)

    def options(self, request, *args, **kwargs):
        # Even the metadata of another student's task is not there for you.
        self.get_task(request, kwargs["pk"])
        return super().options(request, *args, **kwargs)

    @staticmethod
    def task_response(task: StudyTask) -> Response:
        task = selectors.tasks_for(task.user).get(pk=task.pk)
        return Response(StudyTaskOutputSerializer(task).data)


class TaskRescheduleApi(_TaskActionApi):
    @extend_schema(
        summary="Move a block by hand (it is pinned there)",
        parameters=[TASK_ID],
        description=(
            "A clash with another block is a 400 naming what it clashes with; so is busy time "
            "or time outside your availability, unless `force` is true."
        ),
        request=RescheduleInputSerializer,
        responses={200: StudyTaskOutputSerializer, **TASK_ERRORS},
    )
    def put(self, request, pk):
        task = self.get_task(request, pk)
        serializer = RescheduleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = services.study_task_reschedule(
            task=task,
            new_start=serializer.validated_data["new_start_time"],
            force=serializer.validated_data["force"],
            reason=serializer.validated_data.get("reason", ""),
        )
        return self.task_response(task)


class TaskStartApi(_TaskActionApi):
    @extend_schema(
        summary="Start a task (in progress)",
        parameters=[TASK_ID],
        request=None,
        responses={200: StudyTaskOutputSerializer, **TASK_ERRORS},
    )
    def post(self, request, pk):
        task = services.study_task_start(task=self.get_task(request, pk))
        return self.task_response(task)


class TaskCompleteApi(_TaskActionApi):
    @extend_schema(
        summary="Complete a task, optionally rating your understanding (1 to 5)",
        parameters=[TASK_ID],
        request=CompleteInputSerializer,
        responses={200: StudyTaskOutputSerializer, **TASK_ERRORS},
    )
    def post(self, request, pk):
        task = self.get_task(request, pk)
        serializer = CompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = services.study_task_complete(task=task, **serializer.validated_data)
        return self.task_response(task)


class TaskSkipApi(_TaskActionApi):
    @extend_schema(
        summary="Skip a task, with a reason; the plan is redone",
        parameters=[TASK_ID],
        request=SkipInputSerializer,
        responses={200: StudyTaskOutputSerializer, **TASK_ERRORS},
    )
    def post(self, request, pk):
        task = self.get_task(request, pk)
        serializer = SkipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = services.study_task_skip(task=task, reason=serializer.validated_data["reason"])
        return self.task_response(task)


class CheckInListCreateApi(generics.ListAPIView):
    serializer_class = CheckInOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DailyCheckIn.objects.none()
        return DailyCheckIn.objects.for_user(self.request.user).order_by("-date")

    @extend_schema(
        summary="Your daily check-ins, newest first",
        responses={200: CheckInOutputSerializer(many=True), 404: PAGE_NOT_FOUND, **AUTH_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Check in for today (replaces today's check-in)",
        request=CheckInInputSerializer,
        responses={201: CheckInOutputSerializer, 400: BAD_REQUEST, **AUTH_ERRORS},
    )
    def post(self, request):
        serializer = CheckInInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        checkin = services.checkin_submit(user=request.user, **serializer.validated_data)
        return Response(CheckInOutputSerializer(checkin).data, status=status.HTTP_201_CREATED)


class StreakApi(APIView):
    @extend_schema(
        summary="Your study streak (local days with a completed task or a quiz)",
        responses={200: StreakOutputSerializer, **AUTH_ERRORS},
    )
    def get(self, request):
        return Response(StreakOutputSerializer(selectors.streak_for(request.user)).data)
