from django.urls import path

from mastery.api import views

# One flat list: the quiz and mastery-read routes are appended below these. Ids are <str:pk>
# so any malformed id still meets authentication first (401) and then is a 404.
urlpatterns = [
    path("performance", views.PerformanceListCreateApi.as_view(), name="performance-list"),
    path("performance/<str:pk>", views.PerformanceDetailApi.as_view(), name="performance-detail"),
    path(
        "performance/<str:pk>/history",
        views.PerformanceHistoryApi.as_view(),
        name="performance-history",
    ),
    path("import/grades", views.GradeImportApi.as_view(), name="import-grades"),
    path(
        "assessments/<str:pk>/score",
        views.AssessmentScoreRecordApi.as_view(),
        name="assessment-score",
    ),
]

# --- Question bank, quizzes and mastery reads (quiz_views, mastery_views) -------------------
from mastery.api import mastery_views, quiz_views  # noqa: E402

urlpatterns += [
    path(
        "courses/<str:course_id>/diagnostic",
        quiz_views.DiagnosticStartApi.as_view(),
        name="quiz-diagnostic-start",
    ),
    path(
        "courses/<str:course_id>/diagnostic/self-ratings",
        quiz_views.DiagnosticSelfRatingsApi.as_view(),
        name="quiz-diagnostic-self-ratings",
    ),
    path(
        "topics/<str:topic_id>/practice",
        quiz_views.PracticeStartApi.as_view(),
        name="quiz-practice-start",
    ),
    path(
        "topics/<str:topic_id>/questions/import",
        quiz_views.QuestionBankImportApi.as_view(),
        name="question-bank-import",
    ),
    path(
        "topics/<str:topic_id>/questions/export",
        quiz_views.QuestionBankExportApi.as_view(),
        name="question-bank-export",
    ),
    path("quizzes/<str:attempt_id>", quiz_views.QuizDetailApi.as_view(), name="quiz-detail"),
    path(
        "quizzes/<str:attempt_id>/question",
        quiz_views.QuizQuestionApi.as_view(),
        name="quiz-question",
    ),
    path("quizzes/<str:attempt_id>/answer", quiz_views.QuizAnswerApi.as_view(), name="quiz-answer"),
    path("quizzes/<str:attempt_id>/finish", quiz_views.QuizFinishApi.as_view(), name="quiz-finish"),
    path("quizzes/<str:attempt_id>/result", quiz_views.QuizResultApi.as_view(), name="quiz-result"),
    path("mastery/topics", mastery_views.MasteryTopicListApi.as_view(), name="mastery-topic-list"),
    path(
        "mastery/topics/<str:topic_id>",
        mastery_views.MasteryTopicDetailApi.as_view(),
        name="mastery-topic-detail",
    ),
    path("mastery/reviews/due", mastery_views.ReviewsDueApi.as_view(), name="mastery-reviews-due"),
]

# --- Module 2's paths with the student's id (seed_views) ------------------------------------
from mastery.api import seed_views  # noqa: E402

urlpatterns += [
    path(
        "mastery/<str:user_id>/topics",
        seed_views.SeedMasteryTopicListApi.as_view(),
        name="seed-mastery-topic-list",
    ),
    path(
        "mastery/<str:user_id>/topic/<str:topic_id>",
        seed_views.SeedMasteryTopicDetailApi.as_view(),
        name="seed-mastery-topic-detail",
    ),
    path(
        "mastery/<str:user_id>/update",
        seed_views.SeedMasteryUpdateApi.as_view(),
        name="seed-mastery-update",
    ),
]

# --- Flashcards (card_views) ------------------------------------------------------------------
from mastery.api import card_views  # noqa: E402

urlpatterns += [
    path("decks", card_views.DeckListCreateApi.as_view(), name="deck-list"),
    path("decks/<str:pk>", card_views.DeckDetailApi.as_view(), name="deck-detail"),
    path("decks/<str:pk>/cards", card_views.DeckCardListCreateApi.as_view(), name="deck-cards"),
    path("decks/<str:pk>/cards/bulk", card_views.DeckBulkAddApi.as_view(), name="deck-cards-bulk"),
    path("decks/<str:pk>/import", card_views.DeckApkgImportApi.as_view(), name="deck-import"),
    path("decks/<str:pk>/export", card_views.DeckApkgExportApi.as_view(), name="deck-export"),
    path("cards/due", card_views.DueCardsApi.as_view(), name="cards-due"),
    path("cards/settings", card_views.CardProfileApi.as_view(), name="cards-settings"),
    path("cards/<str:pk>", card_views.CardDetailApi.as_view(), name="card-detail"),
    path("cards/<str:pk>/review", card_views.CardReviewApi.as_view(), name="card-review"),
]
