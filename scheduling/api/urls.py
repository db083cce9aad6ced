from django.urls import path

from scheduling.api import views

urlpatterns = [
    path("schedule", views.ScheduleListApi.as_view(), name="schedule"),
    path("schedule/generate", views.ScheduleGenerateApi.as_view(), name="schedule_generate"),
    path("schedule/replan", views.ScheduleReplanApi.as_view(), name="schedule_replan"),
    path(
        "schedule/suggestions/apply",
        views.SuggestionApplyApi.as_view(),
        name="schedule_suggestion_apply",
    ),
    path(
        "schedule/tasks/<str:pk>/reschedule",
        views.TaskRescheduleApi.as_view(),
        name="task_reschedule",
    ),
    path("schedule/tasks/<str:pk>/start", views.TaskStartApi.as_view(), name="task_start"),
    path("schedule/tasks/<str:pk>/complete", views.TaskCompleteApi.as_view(), name="task_complete"),
    path("schedule/tasks/<str:pk>/skip", views.TaskSkipApi.as_view(), name="task_skip"),
    path("tasks/next", views.NextTasksApi.as_view(), name="tasks_next"),
    # Module 2 and 3's spellings of the two paths above.
    path("tasks/next/<str:user_id>", views.SeedNextTasksApi.as_view(), name="tasks_next_for_user"),
    path(
        "schedule/task/<str:pk>/reschedule",
        views.TaskRescheduleApi.as_view(),
        name="task_reschedule_seed",
    ),
    path("checkins", views.CheckInListCreateApi.as_view(), name="checkins"),
    path("streak", views.StreakApi.as_view(), name="streak"),
]
