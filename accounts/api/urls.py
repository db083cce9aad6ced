from django.urls import path

from accounts.api import views

urlpatterns = [
    path("me", views.MeApi.as_view(), name="me"),
    path("preferences", views.PreferencesApi.as_view(), name="preferences"),
    path(
        "preferences/notifications",
        views.NotificationSettingsApi.as_view(),
        name="notification_settings",
    ),
    path("tokens", views.ApiTokenListCreateApi.as_view(), name="tokens"),
    # Any id reaches the view, so a malformed one is a JSON 404 (and anonymous callers are
    # refused first) instead of the resolver's HTML 404.
    path("tokens/<str:pk>", views.ApiTokenDetailApi.as_view(), name="token_detail"),
]
