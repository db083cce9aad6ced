from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.errors import ApplicationError
from integrations import providers, selectors, services
from integrations.canvas import oauth as canvas_oauth
from integrations.forms import (
    CanvasOAuthForm,
    LmsConnectForm,
    MonitoredCalendarsForm,
    NotionConnectForm,
    NotionDatabaseForm,
)
from integrations.google import client as google
from integrations.google import services as google_services
from integrations.lms import connect as lms_connect
from integrations.lms import oauth as lms_oauth
from integrations.lms import services as lms_services
from integrations.models import LmsConnection, Provider
from integrations.notion import services as notion_services


def _provider_or_404(provider: str) -> str:
    if not providers.is_registered(provider):
        raise Http404("No such provider.")
    return provider


def _callback_uri(request, name: str = "integrations:google_callback") -> str:
    return request.build_absolute_uri(reverse(name))


def _notion_targets(request) -> list:
    """What Notion shares with the authorised integration; Notion's error becomes a message."""
    integration = services.integration_settings_get(user=request.user)
    try:
        targets, is_cut = notion_services.notion_targets_list(integration=integration)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return []
    if is_cut:
        messages.info(
            request,
            "Notion shares more pages with us than this list shows; "
            "paste the id under “Paste an id instead” if yours is missing.",
        )
    return targets


class IntegrationsView(LoginRequiredMixin, TemplateView):
    template_name = "integrations/integrations_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = selectors.integration_status(user=self.request.user)
        context["notion_form"] = kwargs.get("notion_form") or NotionConnectForm()
        database_form = kwargs.get("notion_database_form")
        if database_form is None:
            is_awaiting = any(
                status.details.get("awaiting_database") for status in context["statuses"]
            )
            # Only while the student is picking: the list costs a search at Notion.
            targets = _notion_targets(self.request) if is_awaiting else []
            database_form = NotionDatabaseForm(targets=targets)
        context["notion_database_form"] = database_form
        context["lms_connections"] = selectors.lms_connections_overview(user=self.request.user)
        context["lms_connect_form"] = kwargs.get("lms_connect_form") or LmsConnectForm()
        context["canvas_oauth_available"] = canvas_oauth.oauth_configured()
        context["canvas_oauth_form"] = kwargs.get("canvas_oauth_form") or CanvasOAuthForm()
        return context


class LmsConnectView(LoginRequiredMixin, View):
    """Step one: read the LMS (or the feed) and show what would be imported; nothing written."""

    def post(self, request):
        form = LmsConnectForm(request.POST)
        if not form.is_valid():
            return _lms_connect_page(request, form, status=400)
        data = form.cleaned_data
        try:
            preview = lms_connect.lms_connect_preview(
                user=request.user,
                session=request.session,
                lms_type=data["lms_type"],
                base_url=data["base_url"],
                token=data["token"].strip(),
            )
        except ApplicationError as exc:
            _add_service_errors(form, exc)
            return _lms_connect_page(request, form, status=400)
        return _lms_connect_page(request, form, preview=preview)


class LmsConnectConfirmView(LoginRequiredMixin, View):
    """Step two: import what the preview showed (read again, fresh) and keep it connected."""

    def post(self, request):
        try:
            summary = lms_connect.lms_connect_confirm(user=request.user, session=request.session)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, summary)
        return redirect("integrations:index")


def _lms_connect_page(request, form=None, *, preview=None, status: int = 200, **forms):
    context = IntegrationsView(request=request).get_context_data(lms_connect_form=form, **forms)
    context["lms_preview"] = preview
    return render(request, "integrations/integrations_detail.html", context, status=status)


def _canvas_callback_uri(request) -> str:
    return _callback_uri(request, "integrations:canvas_oauth_callback")


class CanvasOAuthStartView(LoginRequiredMixin, View):
    """POST only, so another site cannot start an authorisation in the student's name."""

    def post(self, request):
        form = CanvasOAuthForm(request.POST)
        if form.is_valid():
            try:
                url = lms_oauth.canvas_oauth_start(
                    user=request.user,
                    session=request.session,
                    base_url=form.cleaned_data["base_url"],
                    redirect_uri=_canvas_callback_uri(request),
                )
            except ApplicationError as exc:
                _add_service_errors(form, exc)
            else:
                return HttpResponseRedirect(url)
        return _lms_connect_page(request, canvas_oauth_form=form, status=400)


class CanvasOAuthCallbackView(LoginRequiredMixin, View):
    """Canvas sends the student back here; the page then shows what would be imported."""

    def get(self, request):
        if request.GET.get("error") or not request.GET.get("code"):
            request.session.pop(lms_oauth.NONCE_SESSION_KEY, None)
            messages.error(request, "Canvas was not connected: access was not allowed.")
            return redirect("integrations:index")
        try:
            preview = lms_oauth.canvas_oauth_finish(
                user=request.user,
                session=request.session,
                state=request.GET.get("state", ""),
                code=request.GET["code"],
                redirect_uri=_canvas_callback_uri(request),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("integrations:index")
        return _lms_connect_page(request, preview=preview)


class LmsDisconnectView(LoginRequiredMixin, View):
    def post(self, request, pk):
        connection = LmsConnection.objects.for_user(request.user).filter(pk=pk).first()
        if connection is None:
            raise Http404("No such LMS connection.")
        label = connection.get_lms_type_display()
        lms_services.lms_connection_disconnect(connection=connection)
        messages.success(
            request, f"{label} disconnected; its token is deleted. Imported courses stay."
        )
        return redirect("integrations:index")


class ProviderSyncView(LoginRequiredMixin, View):
    def post(self, request, provider):
        provider = _provider_or_404(provider)
        try:
            services.integration_sync_request(user=request.user, provider=provider)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{providers.get(provider).label}: sync started.")
        return _status_or_redirect(request, provider)


class ProviderDisconnectView(LoginRequiredMixin, View):
    def post(self, request, provider):
        provider = _provider_or_404(provider)
        services.integration_disconnect(user=request.user, provider=provider)
        messages.success(
            request, f"{providers.get(provider).label} disconnected; its tokens are deleted."
        )
        return _status_or_redirect(request, provider)


def _status_or_redirect(request, provider: str):
    if request.htmx:
        status = next(
            s for s in selectors.integration_status(user=request.user) if s.provider == provider
        )
        return render(
            request,
            "integrations/includes/_provider_status.html",
            {
                "status": status,
                "notion_form": NotionConnectForm(),
                "notion_database_form": NotionDatabaseForm(),
            },
        )
    return redirect("integrations:index")


class GoogleConnectView(LoginRequiredMixin, View):
    """POST only, so another site cannot start an authorisation in the student's name."""

    def post(self, request):
        url = providers.get(Provider.GOOGLE).oauth_start(
            user=request.user, redirect_uri=_callback_uri(request)
        )
        return HttpResponseRedirect(url)


class GoogleCallbackView(LoginRequiredMixin, View):
    def get(self, request):
        if request.GET.get("error") or not request.GET.get("code"):
            messages.error(request, "Google Calendar was not connected.")
            return redirect("integrations:index")
        try:
            services.google_connect_finish(
                user=request.user,
                state=request.GET.get("state", ""),
                code=request.GET["code"],
                redirect_uri=_callback_uri(request),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Google Calendar connected.")
        return redirect("integrations:index")


class GoogleCalendarsView(LoginRequiredMixin, FormView):
    template_name = "integrations/google_calendars_form.html"
    form_class = MonitoredCalendarsForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.integration = services.integration_settings_get(user=request.user)
            if not self.integration.google_calendar_enabled:
                messages.error(request, "Connect Google Calendar first.")
                return redirect("integrations:index")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        try:
            calendars = google_services.google_calendars_list(integration=self.integration)
        except google.GoogleError as exc:
            calendars = []
            messages.error(self.request, f"Could not list your calendars: {exc.message}")
        kwargs["choices"] = [(c["id"], c["summary"]) for c in calendars]
        return kwargs

    def get_initial(self):
        return {"calendars": self.integration.google_monitored_calendars}

    def form_valid(self, form):
        google_services.google_monitored_calendars_set(
            integration=self.integration, calendar_ids=form.cleaned_data["calendars"]
        )
        messages.success(self.request, "Busy calendars saved.")
        return redirect("integrations:index")


class NotionConnectView(LoginRequiredMixin, FormView):
    form_class = NotionConnectForm
    template_name = "integrations/integrations_detail.html"

    def get(self, request, *args, **kwargs):
        return redirect("integrations:index")

    def form_valid(self, form):
        try:
            services.notion_connect(
                user=self.request.user,
                token=form.cleaned_data["token"],
                database_id=form.cleaned_data["database_id"],
                parent_page_id=form.cleaned_data["parent_page_id"],
                two_way_sync=form.cleaned_data["two_way_sync"],
            )
        except ApplicationError as exc:
            for field_name, errors in exc.field_errors.items():
                for error in errors:
                    form.add_error(field_name if field_name in form.fields else None, error)
            if not exc.field_errors:
                form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, "Notion connected.")
        return redirect("integrations:index")

    def form_invalid(self, form):
        context = IntegrationsView(request=self.request).get_context_data(notion_form=form)
        return self.render_to_response(context, status=400)


def _add_service_errors(form, exc: ApplicationError) -> None:
    for field_name, errors in exc.field_errors.items():
        for error in errors:
            form.add_error(field_name if field_name in form.fields else None, error)
    if not exc.field_errors:
        form.add_error(None, exc.message)


class NotionOAuthStartView(LoginRequiredMixin, View):
    """POST only, so another site cannot start an authorisation in the student's name."""

    def post(self, request):
        try:
            url = providers.get(Provider.NOTION).oauth_start(
                user=request.user,
                redirect_uri=_callback_uri(request, "integrations:notion_callback"),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("integrations:index")
        return HttpResponseRedirect(url)


class NotionCallbackView(LoginRequiredMixin, View):
    def get(self, request):
        if request.GET.get("error") or not request.GET.get("code"):
            messages.error(request, "Notion was not connected.")
            return redirect("integrations:index")
        try:
            providers.get(Provider.NOTION).oauth_finish(
                user=request.user,
                state=request.GET.get("state", ""),
                code=request.GET["code"],
                redirect_uri=_callback_uri(request, "integrations:notion_callback"),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, "Notion authorised. Now pick a database, or a page to create one in."
            )
        return redirect("integrations:index")


class NotionDatabaseView(LoginRequiredMixin, FormView):
    """The second step after Notion OAuth: the database, with the token kept server-side."""

    form_class = NotionDatabaseForm
    template_name = "integrations/integrations_detail.html"

    def get(self, request, *args, **kwargs):
        return redirect("integrations:index")

    def post(self, request, *args, **kwargs):
        integration = services.integration_settings_get(user=request.user)
        if not notion_services.notion_is_awaiting_database(integration):
            # Checked before any search: there is no authorisation to search with.
            messages.error(request, "Connect with Notion first.")
            return redirect("integrations:index")
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # The list is read again, so only what Notion shares now can be picked.
        kwargs["targets"] = _notion_targets(self.request) if self.request.POST.get("target") else []
        return kwargs

    def form_valid(self, form):
        try:
            services.notion_connect_authorised(
                user=self.request.user,
                database_id=form.cleaned_data["database_id"],
                parent_page_id=form.cleaned_data["parent_page_id"],
                two_way_sync=form.cleaned_data["two_way_sync"],
            )
        except ApplicationError as exc:
            if not exc.field_errors:
                # Not about a field (no authorisation, or Notion failed): said at the top.
                messages.error(self.request, exc.message)
                return redirect("integrations:index")
            _add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Notion connected.")
        return redirect("integrations:index")

    def form_invalid(self, form):
        context = IntegrationsView(request=self.request).get_context_data(notion_database_form=form)
        return self.render_to_response(context, status=400)
