from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.IntegrationsView.as_view(), name="index"),
    path("google/connect", views.GoogleConnectView.as_view(), name="google_connect"),
    path("google/callback", views.GoogleCallbackView.as_view(), name="google_callback"),
    path("google/calendars", views.GoogleCalendarsView.as_view(), name="google_calendars"),
    path("notion/connect", views.NotionConnectView.as_view(), name="notion_connect"),
    path("notion/oauth", views.NotionOAuthStartView.as_view(), name="notion_oauth_start"),
    path("notion/callback", views.NotionCallbackView.as_view(), name="notion_callback"),
    path("notion/database", views.NotionDatabaseView.as_view(), name="notion_database"),
    path("lms/connect", views.LmsConnectView.as_view(), name="lms_connect"),
    path("lms/connect/confirm", views.LmsConnectConfirmView.as_view(), name="lms_connect_confirm"),
    path("lms/canvas/oauth", views.CanvasOAuthStartView.as_view(), name="canvas_oauth_start"),
    path(
        "lms/canvas/callback",
        views.CanvasOAuthCallbackView.as_view(),
        name="canvas_oauth_callback",
    ),
    path("lms/<uuid:pk>/disconnect", views.LmsDisconnectView.as_view(), name="lms_disconnect"),
    path("<str:provider>/sync", views.ProviderSyncView.as_view(), name="sync"),
    path("<str:provider>/disconnect", views.ProviderDisconnectView.as_view(), name="disconnect"),
]
