from django.urls import include, path

from scheduling import views

app_name = "scheduling"

# The plan pages live under /plan/; the stats page kept its root path /stats/, so the root
# URLconf includes this module at "" and both stay in the `scheduling` namespace.
plan_patterns = [
    path("", views.WeekView.as_view(), name="week"),
    path("today", views.TodayView.as_view(), name="today"),
    path("at-risk", views.AtRiskView.as_view(), name="at_risk"),
    path("replan", views.ReplanView.as_view(), name="replan"),
    path("check-in", views.CheckInView.as_view(), name="checkin"),
    path("calendar-feed", views.FeedSettingsView.as_view(), name="feed"),
    path("tasks/<uuid:pk>/start", views.TaskStartView.as_view(), name="task_start"),
    path("tasks/<uuid:pk>/complete", views.TaskCompleteView.as_view(), name="task_complete"),
    path("tasks/<uuid:pk>/skip", views.TaskSkipView.as_view(), name="task_skip"),
    path("tasks/<uuid:pk>/move", views.TaskMoveView.as_view(), name="task_move"),
]

urlpatterns = [
    path("plan/", include(plan_patterns)),
    path("stats/", views.StatsView.as_view(), name="stats"),
]
