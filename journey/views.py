"""The student's journey: the pages that compose several apps. The dashboard, the setup wizard,
the course overview and data ownership (export, deletion). Views are thin: reads come from the
journey's read models, writes from services."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.forms import PreferencesEditor
from accounts.page_cache import CachedBodyMixin
from accounts.services import preferences_get_current, preferences_update, user_profile_update
from courses import services as course_services
from courses.models import Course, Topic
from integrations.selectors import integration_status
from journey import course_overview, exports, onboarding
from journey.context_processors import ShellState, shell_state, shell_state_of
from journey.dashboard import NOT_READ, dashboard_page_for
from journey.forms import (
    AccountDeleteForm,
    CheckInForm,
    GradeHistoryForm,
    ProfileStepForm,
    QuickCourseForm,
    TemplateChoiceForm,
    add_service_error,
)
from journey.models import OnboardingStep
from scheduling import charts
from scheduling import selectors as scheduling_selectors
from scheduling import services as scheduling_services
from scheduling.forms import CompleteForm, SkipForm
from scheduling.models import PlanNotice

TODAY_PARTIAL = "journey/includes/_today.html"
CHECKIN_PARTIAL = "journey/includes/_checkin.html"
RESOURCES_PARTIAL = "journey/includes/_resources.html"


def _with_errors_status(form) -> int:
    # A page re-shown for bad input answers 400, so scripts and tests see the failure.
    return 400 if form is not None and form.errors else 200


# --- Dashboard --------------------------------------------------------------------------------


def dashboard_context(
    user, *, with_panels: bool = True, setup=NOT_READ, courses: list | None = None, **extra
) -> dict:
    """`courses` is every course of the student when the caller already read them."""
    page = dashboard_page_for(
        user,
        with_panels=with_panels,
        setup=setup,
        has_courses=None if courses is None else bool(courses),
    )
    board = page.board
    return {
        "board": board,
        "panels": page.panels,
        "courses": (
            Course.objects.for_user(user).active()
            if courses is None
            else [course for course in courses if not course.is_archived]
        ),
        "complete_form": CompleteForm(),
        "skip_form": SkipForm(),
        "checkin_form": extra.pop("checkin_form", None) or _checkin_form_for(board.checkin),
        **extra,
    }


def _checkin_form_for(checkin) -> CheckInForm:
    if checkin is None:
        return CheckInForm()
    return CheckInForm(
        initial={
            "difficulty": checkin.difficulty,
            "time_burden": checkin.time_burden,
            "mood": checkin.mood,
            "energy": checkin.energy,
            "note": checkin.note,
        }
    )


class HomeView(LoginRequiredMixin, CachedBodyMixin, TemplateView):
    """The landing page after login. A brand-new student (no courses, wizard never opened)
    is sent to the setup wizard instead. The dashboard's body is cached per student to the
    minute (accounts.page_cache); every write it shows retires it."""

    template_name = "journey/home.html"
    body_template = "journey/includes/_home_body.html"
    body_cache_name = "dashboard"

    def get(self, request, *args, **kwargs):
        user = request.user
        self.setup, self.courses = NOT_READ, None

        def read_live() -> ShellState:
            # Read once here and handed to the dashboard, which shows the setup banner from
            # the wizard row. Every course, archived too: "has courses" and the list of
            # active ones both come from this one read.
            self.setup = onboarding.onboarding_find(user=user)
            self.courses = list(Course.objects.for_user(user))
            return shell_state_of(self.setup, has_courses=bool(self.courses))

        # Warm, this reads no row: the page shell's "Continue setup" link and the choice
        # below come from the student's cached shell state (journey.context_processors).
        state = shell_state(request, compute=read_live)
        if not state.has_setup and not state.has_courses:
            return redirect("journey:onboarding")
        return super().get(request, *args, **kwargs)

    def body_context(self, *, now):
        user = self.request.user
        if self.setup is NOT_READ:
            self.setup = onboarding.onboarding_find(user=user)
        if self.courses is None:
            self.courses = list(Course.objects.for_user(user))
        context = dashboard_context(user, setup=self.setup, courses=self.courses)
        panels = context["panels"]
        return context, panels.expires_at if panels is not None else None


class DashboardTaskActionView(LoginRequiredMixin, View):
    """Start, complete or skip a block from the dashboard. With htmx only the Today panel is
    re-rendered; without JavaScript the form posts and the dashboard reloads."""

    actions = ("start", "complete", "skip")

    def post(self, request, pk, action):
        if action not in self.actions:
            raise Http404("No such action.")
        task = get_object_or_404(scheduling_selectors.tasks_for(request.user), pk=pk)
        error = None
        try:
            if action == "start":
                scheduling_services.study_task_start(task=task)
            elif action == "complete":
                form = CompleteForm(request.POST)
                if not form.is_valid():
                    raise ApplicationError(
                        "; ".join(str(e) for errors in form.errors.values() for e in errors)
                    )
                scheduling_services.study_task_complete(
                    task=task,
                    completion_percentage=form.cleaned_data["completion_percentage"],
                    self_rating=form.cleaned_data.get("self_rating"),
                )
            else:
                form = SkipForm(request.POST)
                reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
                scheduling_services.study_task_skip(task=task, reason=reason)
        except ApplicationError as exc:
            error = f"{task.title}: {exc.message}"
        done = {"start": "started", "complete": "completed", "skip": "skipped"}[action]
        if request.htmx:
            context = dashboard_context(request.user, with_panels=False)
            context["today_error"] = error
            context["today_notice"] = None if error else f"{task.title}: {done}."
            return render(request, TODAY_PARTIAL, context)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"{task.title}: {done}.")
        return HttpResponseRedirect(reverse("home") + "#today")


class CheckInSubmitView(LoginRequiredMixin, View):
    def post(self, request):
        form = CheckInForm(request.POST)
        saved = False
        if form.is_valid():
            try:
                scheduling_services.checkin_submit(user=request.user, **form.cleaned_data)
                saved = True
            except ApplicationError as exc:
                add_service_error(form, exc)
        if request.htmx:
            context = {"checkin_form": form, "checkin_saved": saved}
            return render(request, CHECKIN_PARTIAL, context, status=_with_errors_status(form))
        if saved:
            messages.success(request, "Check-in saved: your next plan takes it into account.")
            return HttpResponseRedirect(reverse("home") + "#checkin")
        context = dashboard_context(request.user, checkin_form=form)
        # Shown live: the form carries the student's input and its errors.
        context["page_body"] = render_to_string(HomeView.body_template, context, request=request)
        return render(request, HomeView.template_name, context, status=400)


class NoticeDismissView(LoginRequiredMixin, View):
    def post(self, request, pk):
        notice = get_object_or_404(PlanNotice.objects.for_user(request.user), pk=pk)
        scheduling_services.plan_notice_dismiss(user=request.user, notice=notice)
        return HttpResponseRedirect(reverse("home"))


# --- Onboarding wizard ------------------------------------------------------------------------


class OnboardingStartView(LoginRequiredMixin, View):
    def get(self, request):
        progress = onboarding.onboarding_get(user=request.user)
        return redirect("journey:onboarding_step", step=progress.current_step)


class OnboardingStepView(LoginRequiredMixin, TemplateView):
    template_name = "journey/onboarding.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["step"] not in onboarding.STEPS:
            raise Http404("No such setup step.")
        self.step = kwargs["step"]
        return super().dispatch(request, *args, **kwargs)

    # -- context per step

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        progress = onboarding.onboarding_get(user=user)
        context.update(
            step=self.step,
            step_label=OnboardingStep(self.step).label,
            steps=onboarding.step_states(progress, showing=self.step),
            step_number=onboarding.STEPS.index(self.step) + 1,
            step_count=len(onboarding.STEPS),
            previous_step=onboarding.previous_step(self.step),
            can_skip=self.step in onboarding.SKIPPABLE_STEPS,
            progress=progress,
        )
        builder = getattr(self, f"context_{self.step}")
        context.update(builder(user, kwargs))
        return context

    def context_profile(self, user, kwargs):
        form = kwargs.get("form") or ProfileStepForm(
            initial={"full_name": user.full_name, "timezone": user.timezone}
        )
        return {"form": form}

    def context_courses(self, user, kwargs):
        return {
            "courses": list(
                Course.objects.for_user(user).with_weights_total().prefetch_related("assessments")
            ),
            "template_form": kwargs.get("template_form") or TemplateChoiceForm(),
            "course_form": kwargs.get("course_form") or QuickCourseForm(),
            "templates": onboarding.course_templates(),
            "step_error": kwargs.get("step_error"),
        }

    def context_availability(self, user, kwargs):
        preferences = preferences_get_current(user=user)
        editor = kwargs.get("editor") or PreferencesEditor(preferences=preferences)
        return {
            "editor": editor,
            "week_grid": charts.week_grid_svg(preferences.weekly_availability or {}),
            "availability": preferences.weekly_availability or {},
        }

    def context_integrations(self, user, kwargs):
        return {"statuses": integration_status(user=user)}

    def context_evidence(self, user, kwargs):
        return {
            "courses": list(Course.objects.for_user(user).active()),
            "grade_form": kwargs.get("grade_form") or GradeHistoryForm(user=user),
        }

    def context_finish(self, user, kwargs):
        return {
            "course_count": Course.objects.for_user(user).active().count(),
            "step_error": kwargs.get("step_error"),
        }

    # -- actions

    def get(self, request, *args, **kwargs):
        onboarding.onboarding_step_show(user=request.user, step=self.step)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "continue")
        handler = getattr(self, f"post_{self.step}_{action}", None)
        if action == "skip":
            handler = self.post_skip
        elif action == "continue" and handler is None:
            handler = self.post_continue
        if handler is None:
            raise Http404("No such action.")
        return handler(request)

    def _advance(self, request, *, skipped=False):
        try:
            progress = onboarding.onboarding_step_complete(
                user=request.user, step=self.step, skipped=skipped
            )
        except ApplicationError as exc:
            return self.render_to_response(
                self.get_context_data(step_error=exc.message), status=400
            )
        return redirect("journey:onboarding_step", step=progress.current_step)

    def post_continue(self, request):
        return self._advance(request)

    def post_skip(self, request):
        if self.step not in onboarding.SKIPPABLE_STEPS:
            raise Http404("This step cannot be skipped.")
        return self._advance(request, skipped=True)

    def post_profile_save(self, request):
        form = ProfileStepForm(request.POST)
        if form.is_valid():
            try:
                user_profile_update(user=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                return self._advance(request)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def post_courses_template(self, request):
        form = TemplateChoiceForm(request.POST)
        if form.is_valid():
            try:
                course = onboarding.course_template_apply(
                    user=request.user, code=form.cleaned_data["template"]
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{course.code} {course.name} added from its template.")
                return redirect("journey:onboarding_step", step=self.step)
        return self.render_to_response(self.get_context_data(template_form=form), status=400)

    def post_courses_add(self, request):
        form = QuickCourseForm(request.POST)
        if form.is_valid():
            try:
                course = course_services.course_create(user=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request, f"{course.code} added. Add its topics and assessments next."
                )
                return redirect("journey:onboarding_step", step=self.step)
        return self.render_to_response(self.get_context_data(course_form=form), status=400)

    def post_availability_save(self, request):
        editor = PreferencesEditor(
            preferences=preferences_get_current(user=request.user), data=request.POST
        )
        if editor.is_valid():
            try:
                preferences_update(user=request.user, **editor.cleaned_fields())
            except ApplicationError as exc:
                editor.add_application_error(exc)
            else:
                return self._advance(request)
        return self.render_to_response(self.get_context_data(editor=editor), status=400)

    def post_evidence_grades(self, request):
        form = GradeHistoryForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                created = onboarding.grade_history_import(
                    user=request.user,
                    course=form.cleaned_data["course"],
                    text=form.cleaned_data["grades"],
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{created} grade{'s' if created != 1 else ''} imported.")
                return redirect("journey:onboarding_step", step=self.step)
        return self.render_to_response(self.get_context_data(grade_form=form), status=400)

    def post_finish_finish(self, request):
        try:
            onboarding.onboarding_finish(user=request.user)
        except ApplicationError as exc:
            return self.render_to_response(
                self.get_context_data(step_error=exc.message), status=400
            )
        messages.success(request, "Setup done: here is your first plan.")
        return redirect("home")


# --- Course overview --------------------------------------------------------------------------


class CourseOverviewView(LoginRequiredMixin, TemplateView):
    template_name = "journey/course_overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        course = get_object_or_404(Course.objects.for_user(self.request.user), pk=kwargs["pk"])
        overview = course_overview.course_overview_for(
            user=self.request.user, course=course, page_number=self.request.GET.get("page")
        )
        context["overview"] = overview
        context["per_page"] = course_overview.HEATMAP_TOPICS_PER_PAGE
        context["graph"] = charts.prerequisite_graph_svg(
            overview.graph_nodes,
            overview.graph_edges,
            title=f"Prerequisite graph of {course.code}",
        )
        return context


class ResourceToggleView(LoginRequiredMixin, View):
    def post(self, request, topic_id):
        topic = get_object_or_404(Topic.objects.for_user(request.user), pk=topic_id)
        error = None
        try:
            checklist = course_overview.resource_completion_set(
                user=request.user,
                topic=topic,
                key=request.POST.get("resource", ""),
                is_done=request.POST.get("done") == "1",
            )
        except ApplicationError as exc:
            error = exc.message
            checklist = course_overview.resources_for(user=request.user, topics=[topic])[0]
        if request.htmx:
            return render(
                request,
                RESOURCES_PARTIAL,
                {"row": checklist, "error": error},
                status=400 if error else 200,
            )
        if error:
            messages.error(request, error)
        target = reverse("journey:course_overview", args=[topic.course_id])
        return HttpResponseRedirect(f"{target}#resources-{topic.pk}")


# --- Data ownership ---------------------------------------------------------------------------


class DataSettingsView(LoginRequiredMixin, TemplateView):
    template_name = "journey/data_settings.html"


class DataExportView(LoginRequiredMixin, View):
    def get(self, request):
        payload = exports.user_data_export(user=request.user)
        body = json.dumps(payload, cls=exports.EXPORT_ENCODER, indent=1, ensure_ascii=False)
        stamp = timezone.now().strftime("%Y%m%d")
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="study-planner-{stamp}.json"'
        response["Cache-Control"] = "no-store"
        return response


class AccountDeleteView(LoginRequiredMixin, TemplateView):
    template_name = "journey/account_delete.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", AccountDeleteForm())
        return context

    def post(self, request, *args, **kwargs):
        form = AccountDeleteForm(request.POST)
        if form.is_valid():
            try:
                deletion = exports.account_delete(
                    user=request.user, password=form.cleaned_data["password"]
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                logout(request)
                for left in deletion.left_at_providers:
                    messages.warning(request, left)
                return redirect("journey:account_deleted")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AccountDeletedView(TemplateView):
    template_name = "journey/account_deleted.html"
