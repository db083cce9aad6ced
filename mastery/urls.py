from django.urls import include, path

from mastery import card_views, views

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
    path("cards/", card_views.DeckListView.as_view(), name="decks"),
    path("cards/review/", card_views.ReviewSessionView.as_view(), name="card-review"),
    path("cards/decks/<uuid:pk>/", card_views.DeckDetailView.as_view(), name="deck"),
    path("cards/decks/<uuid:pk>/export/", card_views.DeckExportView.as_view(), name="deck-export"),
    path("cards/<uuid:pk>/edit/", card_views.CardEditView.as_view(), name="card-edit"),
    path("cards/<uuid:pk>/suspend/", card_views.CardSuspendView.as_view(), name="card-suspend"),
    path("cards/<uuid:pk>/image/", card_views.CardImageView.as_view(), name="card-image"),
]

urlpatterns = [
    path("mastery/", include(mastery_patterns)),
    path("grades/", views.GradesIndexView.as_view(), name="grades_index"),
    path("grades/<uuid:course_id>/", views.GradePlannerView.as_view(), name="grades"),
    path(
        "grades/<uuid:course_id>/score/",
        views.GradeScoreRecordView.as_view(),
        name="grades_score",
    ),
]
