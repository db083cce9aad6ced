"""Routes of the journey pages, at the site root: the dashboard's actions, the setup wizard, the
course overview and the student's data. Include with `path("", include(...))`."""

from django.urls import path

from journey import views
from journey.notifications import views as notification_views

app_name = "journey"

urlpatterns = [
    path("onboarding/", views.OnboardingStartView.as_view(), name="onboarding"),
    path("onboarding/<slug:step>/", views.OnboardingStepView.as_view(), name="onboarding_step"),
    path(
        "dashboard/tasks/<uuid:pk>/<slug:action>",
        views.DashboardTaskActionView.as_view(),
        name="task_action",
    ),
    path("dashboard/check-in", views.CheckInSubmitView.as_view(), name="checkin"),
    path(
        "dashboard/notices/<uuid:pk>/dismiss",
        views.NoticeDismissView.as_view(),
        name="notice_dismiss",
    ),
    path("courses/<uuid:pk>/overview", views.CourseOverviewView.as_view(), name="course_overview"),
    path(
        "topics/<uuid:topic_id>/resources",
        views.ResourceToggleView.as_view(),
        name="resource_toggle",
    ),
    path("notifications/", notification_views.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/unread",
        notification_views.NotificationBadgeView.as_view(),
        name="notifications_badge",
    ),
    path(
        "notifications/read-all",
        notification_views.NotificationReadAllView.as_view(),
        name="notifications_read_all",
    ),
    path(
        "notifications/<uuid:pk>/read",
        notification_views.NotificationReadView.as_view(),
        name="notification_read",
    ),
    path(
        "notifications/unsubscribe/<str:token>",
        notification_views.UnsubscribeView.as_view(),
        name="unsubscribe",
    ),
    path("settings/data/", views.DataSettingsView.as_view(), name="data_settings"),
    path("settings/data/export.json", views.DataExportView.as_view(), name="data_export"),
    path("settings/delete/", views.AccountDeleteView.as_view(), name="account_delete"),
    path("settings/deleted/", views.AccountDeletedView.as_view(), name="account_deleted"),
]
