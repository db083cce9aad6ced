from django.urls import include, path

from mastery import views

app_name = "mastery"

# The mastery pages live under /mastery/; the grade planner kept its root path /grades/, so the
# root URLconf includes this module at "" and both stay in the `mastery` namespace.
mastery_patterns = [
    path("", views.MasteryOverviewView.as_view(), name="overview"),
    path("reviews/", views.ReviewsDueView.as_view(), name="reviews-due"),
    path("courses/<uuid:pk>/", views.CourseMasteryView.as_view(), name="course"),
    path(
        "courses/<uuid:pk>/diagnostic/",
        views.DiagnosticStartView.as_view(),
        name="diagnostic-start",
    ),
    path(
        "courses/<uuid:pk>/self-rating/",
        views.SelfRatingView.as_view(),
        name="self-rating",
    ),
    path("topics/<uuid:pk>/", views.TopicMasteryView.as_view(), name="topic"),
    path("topics/<uuid:pk>/practice/", views.PracticeStartView.as_view(), name="practice-start"),
    path("quizzes/<uuid:pk>/", views.QuizTakeView.as_view(), name="quiz"),
    path("quizzes/<uuid:pk>/finish/", views.QuizFinishView.as_view(), name="quiz-finish"),
    path("quizzes/<uuid:pk>/result/", views.QuizResultView.as_view(), name="quiz-result"),
]

urlpatterns = [
    path("mastery/", include(mastery_patterns)),
    path("grades/", views.GradesIndexView.as_view(), name="grades_index"),
    path("grades/<uuid:course_id>/", views.GradePlannerView.as_view(), name="grades"),
]
