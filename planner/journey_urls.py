"""Routes of the student's journey pages (dashboard actions, wizard, stats, grades, data)."""

from django.urls import path

from planner import views

app_name = "planner"

urlpatterns = [
    path("onboarding/", views.OnboardingStartView.as_view(), name="onboarding"),
    path("onboarding/<slug:step>/", views.OnboardingStepView.as_view(), name="onboarding_step"),
    path(
        "dashboard/tasks/<uuid:pk>/<slug:action>",
        views.DashboardTaskActionView.as_view(),
        name="task_action",
    ),
    path("dashboard/check-in", views.CheckInSubmitView.as_view(), name="checkin"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("grades/", views.GradesIndexView.as_view(), name="grades_index"),
    path("grades/<uuid:course_id>/", views.GradePlannerView.as_view(), name="grades"),
    path("courses/<uuid:pk>/overview", views.CourseOverviewView.as_view(), name="course_overview"),
    path(
        "topics/<uuid:topic_id>/resources",
        views.ResourceToggleView.as_view(),
        name="resource_toggle",
    ),
    path("settings/data/", views.DataSettingsView.as_view(), name="data_settings"),
    path("settings/data/export.json", views.DataExportView.as_view(), name="data_export"),
    path("settings/delete/", views.AccountDeleteView.as_view(), name="account_delete"),
    path("settings/deleted/", views.AccountDeletedView.as_view(), name="account_deleted"),
]
