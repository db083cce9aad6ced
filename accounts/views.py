from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.errors import ApplicationError
from accounts.forms import (
    ApiTokenCreateForm,
    PreferencesEditor,
    ProfileForm,
    add_application_error,
)
from accounts.models import ApiToken
from accounts.services import (
    api_token_create,
    api_token_revoke,
    preferences_get_current,
    preferences_update,
    user_profile_update,
)


class ProfileView(LoginRequiredMixin, FormView):
    template_name = "accounts/profile.html"
    form_class = ProfileForm
    success_url = reverse_lazy("accounts:profile")

    def get_initial(self):
        return ProfileForm.initial_for(self.request.user)

    def form_valid(self, form):
        try:
            user_profile_update(user=self.request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Profile saved.")
        return super().form_valid(form)


class PreferencesView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/preferences.html"

    def get(self, request, *args, **kwargs):
        editor = PreferencesEditor(preferences=preferences_get_current(user=request.user))
        return self.render_to_response(self.get_context_data(editor=editor))

    def post(self, request, *args, **kwargs):
        editor = PreferencesEditor(
            preferences=preferences_get_current(user=request.user), data=request.POST
        )
        if editor.is_valid():
            try:
                preferences_update(user=request.user, **editor.cleaned_fields())
            except ApplicationError as exc:
                editor.add_application_error(exc)
            else:
                messages.success(request, "Preferences saved. Your plan will be updated.")
                return redirect("accounts:preferences")
        return self.render_to_response(self.get_context_data(editor=editor))


class ApiTokenListView(LoginRequiredMixin, TemplateView):
    """The user's tokens and a form for a new one. A new key is shown in the response to the
    creating POST only, never stored, so reloading the list cannot reveal it again."""

    template_name = "accounts/api_tokens.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ApiTokenCreateForm())
        context["tokens"] = list(ApiToken.objects.for_user(self.request.user))
        return context

    def post(self, request, *args, **kwargs):
        form = ApiTokenCreateForm(data=request.POST)
        if form.is_valid():
            try:
                token, raw_key = api_token_create(user=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                response = self.render_to_response(
                    self.get_context_data(new_token=token, raw_key=raw_key)
                )
                response["Cache-Control"] = "no-store"
                return response
        return self.render_to_response(self.get_context_data(form=form))


class ApiTokenRevokeView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            token = api_token_revoke(user=request.user, token_id=pk)
        except ApiToken.DoesNotExist:
            raise Http404("No such token.") from None
        messages.success(request, f"Token “{token.name}” revoked.")
        return redirect(reverse("accounts:api_tokens"))
