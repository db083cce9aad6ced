"""The accounts pages. Sign-up, login, email and password pages are allauth's (mounted at
/accounts/ by planner/urls.py, before this module); the names here keep `accounts:login` and the
other names templates and tests use, and the paths of the earlier hand-written pages redirect to
their allauth counterparts."""

from allauth.account import views as allauth_views
from django.urls import path, reverse_lazy
from django.views.generic import RedirectView

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", allauth_views.signup, name="signup"),
    path("login/", allauth_views.login, name="login"),
    path("logout/", allauth_views.logout, name="logout"),
    path("email/", allauth_views.email, name="email"),
    path("password/change/", allauth_views.password_change, name="password_change"),
    path(
        "password/change/done/",
        RedirectView.as_view(pattern_name="account_change_password"),
        name="password_change_done",
    ),
    path("password/reset/", allauth_views.password_reset, name="password_reset"),
    path(
        "password/reset/sent/",
        RedirectView.as_view(pattern_name="account_reset_password_done"),
        name="password_reset_done",
    ),
    # Links from the earlier reset mails: their tokens no longer apply, so ask for a new one.
    path(
        "password/reset/<uidb64>/<token>/",
        RedirectView.as_view(url=reverse_lazy("account_reset_password")),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        RedirectView.as_view(pattern_name="account_login"),
        name="password_reset_complete",
    ),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("tokens/", views.ApiTokenListView.as_view(), name="api_tokens"),
    path("tokens/<uuid:pk>/revoke/", views.ApiTokenRevokeView.as_view(), name="api_token_revoke"),
]
