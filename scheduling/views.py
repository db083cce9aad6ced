from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts import hygiene
from accounts.errors import ApplicationError
from accounts.page_cache import CachedBodyMixin
from accounts.services import preferences_get_current
from courses.models import Assessment
from mastery.forecasting import calibration_for_stats, current_forecast
from scheduling import charts, selectors, services, stats, week_grid
from scheduling.figures import figures_for
from scheduling.forms import (
    CheckInForm,
    CompleteForm,
    MoveForm,
    SkipForm,
    SuggestionApplyForm,
    add_application_error,
)
from scheduling.models import CalendarFeedToken, DailyCheckIn, StudyTask
from scheduling.work import user_zone


def feed_path(raw_token: str) -> str:
    try:
        return reverse("scheduling_feed", kwargs={"token": raw_token})
    except NoReverseMatch:
        # Until the root URLconf includes scheduling.feed_urls, the path is still this one.
        return f"/calendar/{raw_token}.ics"


def _local_today(user) -> date:
    return timezone.now().astimezone(user_zone(user)).date()


def _snapshot_context(user) -> dict:
    """The plan's cushions and readiness, with the at-risk verdicts and figures every page
    shares (scheduling.figures): a row is flagged here exactly when the dashboard flags it."""
    snapshot = selectors.snapshot_for(user)
    shared = figures_for(user, snapshot=snapshot)
    at_risk_ids = shared.at_risk_ids
    upcoming_ids = {str(row.assessment.pk) for row in shared.upcoming}
    cushions = [
        {**row, "is_at_risk": row["assessment_id"] in at_risk_ids}
        for row in (snapshot.cushions if snapshot else [])
        if row["assessment_id"] in upcoming_ids
    ]
    listed = {row["assessment_id"] for row in cushions}
    zone = user_zone(user)
    # At risk without a cushion: nothing of it was planned, so the plan has no row for it.
    for risk in shared.at_risk:
        key = str(risk.assessment.pk)
        if key in listed:
            continue
        due_local = timezone.localtime(risk.assessment.due_date, zone)
        cushions.append(
            {
                "assessment_id": key,
                "assessment_name": risk.assessment.name,
                "course_code": risk.assessment.course.code,
                "deadline": risk.assessment.due_date.isoformat(),
                "due_local": f"{due_local:%a %d %b %H:%M}",
                "is_at_risk": True,
                "needs_text": "no study planned for it yet",
                "summary": (
                    "Add its topics, check its weight, or add free time before the due date."
                ),
                "suggestions": [],
            }
        )
    readiness = [
        {**row, "figure_percent": shared.readiness_percent.get(row["assessment_id"])}
        for row in (snapshot.readiness if snapshot else [])
        if row["assessment_id"] in upcoming_ids
    ]
    return {
        "snapshot": snapshot,
        "figures": shared,
        "cushions": cushions,
        "readiness": readiness,
        "at_risk_count": shared.at_risk_count,
    }


def _plan_context(user) -> dict:
    context = {
        "tz_name": user_zone(user).key,
        "complete_form": CompleteForm(),
        "skip_form": SkipForm(),
    }
    context.update(_snapshot_context(user))
    return context


def _stale_at(figures) -> datetime | None:
    """When the at-risk list changes by itself: the first upcoming assessment falls due."""
    return min((row.assessment.due_date for row in figures.upcoming), default=None)


class _PlanPage(LoginRequiredMixin, TemplateView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_plan_context(self.request.user))
        return context


class WeekView(LoginRequiredMixin, CachedBodyMixin, TemplateView):
    """Seven days as a time grid, from today by default (so a Sunday shows the days ahead).

    `?start=YYYY-MM-DD` starts at that day; `?week=YYYY-MM-DD`, from older links and
    bookmarks, still shows the Monday-to-Sunday week holding that day. The body is cached per
    student (accounts.page_cache): it is the costliest page, with a card for every block."""

    template_name = "scheduling/week.html"
    body_template = "scheduling/includes/_week_body.html"
    body_cache_name = "week"

    def first_day(self, today: date) -> date:
        start = hygiene.query_date(self.request.GET.get("start"))
        if start is not None:
            return start
        week_of = hygiene.query_date(self.request.GET.get("week"))
        if week_of is not None:
            return selectors.week_start_for(week_of)
        return today

    def body_context(self, *, now):
        user = self.request.user
        context = _plan_context(user)
        today = now.astimezone(user_zone(user)).date()
        with timezone.override(user_zone(user)):
            context["week"] = week_grid.week_grid(
                user,
                first=self.first_day(today),
                preferences=preferences_get_current(user=user),
                now=now,
            )
        context["today"] = today
        context["streak"] = selectors.streak_for(user, now=now)
        context["back"] = self.request.get_full_path()
        return context, _stale_at(context["figures"])


class TodayView(_PlanPage):
    template_name = "scheduling/today.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        (context["day"],) = selectors.day_view(
            user,
            first=_local_today(user),
            days=1,
            preferences=preferences_get_current(user=user),
        )
        context["next_tasks"] = list(selectors.next_tasks(user)[: selectors.NEXT_TASKS_LIMIT])
        context["unscheduled"] = selectors.unscheduled_work(user)
        context["streak"] = selectors.streak_for(user)
        context["back"] = self.request.get_full_path()
        return context


class AtRiskView(LoginRequiredMixin, CachedBodyMixin, TemplateView):
    template_name = "scheduling/at_risk.html"
    body_template = "scheduling/includes/_at_risk_body.html"
    body_cache_name = "at_risk"

    def body_context(self, *, now):
        context = _plan_context(self.request.user)
        context["unscheduled"] = selectors.unscheduled_work(self.request.user)
        return context, _stale_at(context["figures"])


class ReplanView(LoginRequiredMixin, View):
    def post(self, request):
        try:
            outcome = services.plan_replan(user=request.user, reason="requested on the page")
        except services.PlanLocked:
            messages.error(request, "A replan is already running; try again in a moment.")
        except services.PlanRejected as exc:
            messages.error(request, exc.message)
        else:
            diff = outcome.diff
            messages.success(
                request,
                f"Plan updated: {len(diff.created)} new, {len(diff.moved)} moved, "
                f"{len(diff.deleted)} removed.",
            )
        return HttpResponseRedirect(_back_url(request))


class SuggestionApplyView(LoginRequiredMixin, View):
    """The at-risk page's one-click "Apply": the suggestion, then a replan."""

    def post(self, request):
        form = SuggestionApplyForm(request.POST)
        if not form.is_valid():
            messages.error(request, "That suggestion could not be read; reload the page.")
            return HttpResponseRedirect(reverse("scheduling:at_risk"))
        assessment = get_object_or_404(
            Assessment.objects.for_user(request.user).select_related("course"),
            pk=form.cleaned_data["assessment_id"],
        )
        try:
            services.plan_suggestion_apply(
                user=request.user, assessment=assessment, work_key=form.cleaned_data["work_key"]
            )
        except services.PlanLocked:
            messages.error(request, "A replan is already running; try again in a moment.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"Applied, and the plan was redone for {assessment.course.code} {assessment.name}.",
            )
        return HttpResponseRedirect(reverse("scheduling:at_risk"))


def _back_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("scheduling:week")


class _TaskActionView(LoginRequiredMixin, View):
    """Task actions. A POST acts: with htmx the block's partial comes back; without, a
    redirect. An action that asks for input (a form_class) also answers GET with its form:
    with htmx the bare form, fetched into the block's card when the student opens it; without,
    a page holding it.

    Subclasses define `act(task, data)`, which calls one scheduling service."""

    form_class = None
    action = ""

    def get_task(self, request, pk) -> StudyTask:
        return get_object_or_404(selectors.tasks_for(request.user), pk=pk)

    def get(self, request, pk):
        if self.form_class is None:
            return self.http_method_not_allowed(request)
        task = self.get_task(request, pk)
        context = {
            "task": task,
            "action": self.action,
            "form": self.form_class(),
            "back": _back_url(request),
            "tz_name": user_zone(request.user).key,
        }
        if request.htmx:
            return render(request, "scheduling/includes/_task_action_form.html", context)
        return render(request, "scheduling/task_action.html", context)

    def post(self, request, pk):
        task = self.get_task(request, pk)
        form = self.form_class(request.POST) if self.form_class else None
        error = None
        if form is not None and not form.is_valid():
            error = "; ".join(f"{k}: {', '.join(v)}" for k, v in form.errors.items())
        else:
            try:
                task = self.act(task, form.cleaned_data if form else {})
            except ApplicationError as exc:
                error = exc.message
        if request.htmx:
            task = selectors.tasks_for(request.user).get(pk=task.pk)
            return render(
                request,
                "scheduling/includes/_task.html",
                {
                    "task": task,
                    "error": error,
                    "complete_form": CompleteForm(),
                    "skip_form": SkipForm(),
                    "tz_name": user_zone(request.user).key,
                    "back": _back_url(request),
                },
                # htmx swaps only 2xx answers; the partial carries the error (role=alert).
                status=200,
            )
        if error:
            messages.error(request, f"{task.title}: {error}")
        else:
            messages.success(request, f"{task.title}: {self.done_message}")
        return HttpResponseRedirect(_back_url(request))


class TaskStartView(_TaskActionView):
    done_message = "started."

    def act(self, task, data):
        return services.study_task_start(task=task)


class TaskCompleteView(_TaskActionView):
    form_class = CompleteForm
    action = "complete"
    done_message = "completed."

    def act(self, task, data):
        return services.study_task_complete(
            task=task,
            completion_percentage=data["completion_percentage"],
            self_rating=data.get("self_rating"),
        )


class TaskSkipView(_TaskActionView):
    form_class = SkipForm
    action = "skip"
    done_message = "skipped; the plan is being redone."

    def act(self, task, data):
        return services.study_task_skip(task=task, reason=data.get("reason", ""))


class TaskMoveView(LoginRequiredMixin, FormView):
    """Move a block with a plain datetime-local field (works without JavaScript)."""

    template_name = "scheduling/task_move.html"
    form_class = MoveForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.task = get_object_or_404(selectors.tasks_for(request.user), pk=kwargs["pk"])
        self.zone = user_zone(request.user)
        # The form reads and shows local wall time in the student's zone, not the server's.
        with timezone.override(self.zone):
            return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        if self.task.scheduled_start is None:
            return {}
        return {"new_start_time": self.task.scheduled_start.astimezone(self.zone)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["task"] = self.task
        context["tz_name"] = self.zone.key
        context["back"] = _back_url(self.request)
        return context

    def wants_json(self) -> bool:
        # The week grid's drag and drop asks for JSON; the form page itself gets HTML.
        return "application/json" in self.request.headers.get("Accept", "")

    def form_valid(self, form):
        try:
            task = services.study_task_reschedule(
                task=self.task,
                new_start=form.cleaned_data["new_start_time"],
                force=form.cleaned_data["force"],
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
            return self.form_invalid(form)
        if self.wants_json():
            return JsonResponse(
                {
                    "start": task.scheduled_start.astimezone(self.zone).isoformat(),
                    "end": task.scheduled_end.astimezone(self.zone).isoformat(),
                    "is_pinned": task.is_pinned,
                }
            )
        messages.success(self.request, f"{self.task.title}: moved and pinned there.")
        return HttpResponseRedirect(_back_url(self.request))

    def form_invalid(self, form):
        if self.wants_json():
            errors = {name: list(problems) for name, problems in form.errors.items()}
            return JsonResponse({"errors": errors}, status=400)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CheckInView(LoginRequiredMixin, FormView):
    template_name = "scheduling/checkin.html"
    form_class = CheckInForm
    success_url = reverse_lazy("scheduling:today")

    def get_initial(self):
        today = DailyCheckIn.objects.for_user(self.request.user).filter(
            date=_local_today(self.request.user)
        )
        existing = today.first()
        if existing is None:
            return {}
        return {
            "difficulty": existing.difficulty,
            "time_burden": existing.time_burden,
            "mood": existing.mood,
            "energy": existing.energy,
            "note": existing.note,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent"] = list(DailyCheckIn.objects.for_user(self.request.user)[:7])
        return context

    def form_valid(self, form):
        try:
            services.checkin_submit(user=self.request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Thanks! Your next plan takes this into account.")
        return super().form_valid(form)


class FeedSettingsView(LoginRequiredMixin, TemplateView):
    """The secret calendar-feed URL: create or rotate it (shown once), or revoke it."""

    template_name = "scheduling/feed.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["active"] = CalendarFeedToken.objects.for_user(self.request.user).active().first()
        return context

    def post(self, request):
        action = request.POST.get("action")
        context = {}
        if action == "rotate":
            _, raw = services.calendar_feed_rotate(user=request.user)
            context["feed_url"] = request.build_absolute_uri(feed_path(raw))
        elif action == "revoke":
            services.calendar_feed_revoke(user=request.user)
            messages.success(request, "The calendar feed URL no longer works.")
            return HttpResponseRedirect(reverse("scheduling:feed"))
        else:
            messages.error(request, "Choose to create a new URL or to revoke the current one.")
            return HttpResponseRedirect(reverse("scheduling:feed"))
        return self.render_to_response(self.get_context_data(**context))


# --- Stats ------------------------------------------------------------------------------------


class StatsView(LoginRequiredMixin, CachedBodyMixin, TemplateView):
    template_name = "scheduling/stats.html"
    body_template = "scheduling/includes/_stats_body.html"
    body_cache_name = "stats"

    def body_key(self, *, now) -> str:
        # The calibration plot is everyone's: a new fit is a new key.
        model = current_forecast()
        return f"{super().body_key(now=now)}|{model.pk if model else ''}"

    def body_context(self, *, now):
        context = {}
        data = stats.stats_for(self.request.user)
        context["stats"] = data
        context["figures"] = figures_for(self.request.user, now=now)
        context["forecast_calibration"] = calibration_for_stats()
        context["daily_chart"] = charts.bar_chart_svg(
            [charts.Bar(f"{day:%b %d}", minutes) for day, minutes in data.daily],
            title=f"Study minutes per day, last {stats.DAYS_SHOWN} days",
            unit="min",
            empty="No study time recorded yet.",
        )
        context["weekly_chart"] = charts.bar_chart_svg(
            [charts.Bar(f"{week:%b %d}", round(minutes / 60, 1)) for week, minutes in data.weekly],
            title=f"Study hours per week, last {stats.WEEKS_SHOWN} weeks",
            unit="h",
            empty="No study time recorded yet.",
        )
        context["course_chart"] = charts.bar_chart_svg(
            [charts.Bar(row.course.code, row.hours) for row in data.per_course],
            title="Study hours per course",
            unit="h",
            empty="No study time recorded yet.",
        )
        context["mastery_series_shown"] = stats.MASTERY_SERIES_SHOWN
        context["mastery_chart"] = charts.line_chart_svg(
            [charts.Series(course.code, points) for course, points in data.mastery_series],
            title=f"Mean topic mastery per course, last {stats.WEEKS_SHOWN} weeks",
            unit="mastery",
            y_max=100,
            empty="No mastery evidence yet: take a quiz or record a grade.",
        )
        context["adherence_chart"] = charts.bar_chart_svg(
            [
                charts.Bar(
                    f"{week:%b %d}",
                    row.percent or 0,
                    note=f"{row.completed} of {row.due} blocks completed",
                )
                for week, row in data.weekly_adherence
            ],
            title="Share of scheduled blocks completed, per week",
            unit="%",
            empty="No blocks have been due yet.",
        )
        context["calibration_chart"] = charts.scatter_svg(
            [(p.estimated_min, p.actual_min, p.title) for p in data.calibration],
            title="Actual against estimated minutes per completed block",
            unit="min",
            empty="Complete a few blocks to see how long they really take.",
        )
        return context, _stale_at(context["figures"])
