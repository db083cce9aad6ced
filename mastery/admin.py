from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from mastery.models import (
    CourseMasteryDay,
    ForecastModel,
    MasteryObservation,
    MasteryRecomputeRequest,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.quiz_models import AttemptQuestion, Question, QuizAttempt
from mastery.selectors import record_topic_ids
from mastery.services import mastery_recompute_topics
from mastery.services.rollups import course_mastery_days_rebuild


@admin.action(description="Recompute mastery of the selected rows' topics")
def recompute_mastery(modeladmin, request, queryset):
    """The same fold as the task and the command, grouped per user."""
    topics_by_user: dict = {}
    if queryset.model is PerformanceRecord:
        for record in queryset.select_related("user"):
            topics_by_user.setdefault(record.user, set()).update(record_topic_ids(record))
    else:
        for row in queryset.select_related("user"):
            topics_by_user.setdefault(row.user, set()).add(str(row.topic_id))
    moved = 0
    for user, topic_ids in topics_by_user.items():
        moved += len(mastery_recompute_topics(user=user, topic_ids=topic_ids))
    topic_count = sum(len(topic_ids) for topic_ids in topics_by_user.values())
    modeladmin.message_user(
        request, f"Recomputed {topic_count} topic(s); mastery moved on {moved}."
    )


@admin.register(PerformanceRecord)
class PerformanceRecordAdmin(SimpleHistoryAdmin):
    list_display = [
        "user",
        "course",
        "assessment",
        "attempt_number",
        "score",
        "max_score",
        "percentage",
        "time_spent_min",
        "completed_at",
        "source",
    ]
    list_filter = ["source", "course__semester"]
    search_fields = ["user__email", "course__code", "assessment__name"]
    list_select_related = ["user", "course", "assessment"]
    raw_id_fields = ["user", "course", "assessment"]
    readonly_fields = ["percentage", "created_at"]
    date_hierarchy = "completed_at"
    actions = [recompute_mastery]


@admin.register(MasteryRecord)
class MasteryRecordAdmin(SimpleHistoryAdmin):
    list_display = [
        "user",
        "topic",
        "mastery_score",
        "confidence_interval",
        "trend",
        "next_review_date",
        "practice_count",
        "quiz_count",
        "updated_at",
    ]
    list_filter = ["trend"]
    search_fields = ["user__email", "topic__name"]
    list_select_related = ["user", "topic"]
    raw_id_fields = ["user", "topic"]
    actions = [recompute_mastery]


@admin.register(MasteryObservation)
class MasteryObservationAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "topic",
        "sequence",
        "kind",
        "score_percent",
        "alpha",
        "mastery_before",
        "mastery_after",
        "observed_at",
    ]
    list_filter = ["kind"]
    search_fields = ["user__email", "topic__name"]
    list_select_related = ["user", "topic"]
    raw_id_fields = ["user", "topic", "performance_record"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["external_id", "topic", "type", "difficulty", "order_index", "updated_at"]
    list_filter = ["type", "difficulty"]
    search_fields = ["external_id", "question_text", "topic__name", "topic__course__user__email"]
    list_select_related = ["topic"]
    raw_id_fields = ["topic"]


class AttemptQuestionInline(admin.TabularInline):
    model = AttemptQuestion
    extra = 0
    raw_id_fields = ["question"]


@admin.register(AttemptQuestion)
class AttemptQuestionAdmin(admin.ModelAdmin):
    """Single answers across attempts, for staff tracing how one question behaves."""

    list_display = ["attempt", "position", "question", "difficulty", "is_correct", "answered_at"]
    list_filter = ["difficulty", "is_correct"]
    search_fields = ["attempt__user__email", "question__external_id"]
    list_select_related = ["attempt", "question"]
    raw_id_fields = ["attempt", "question"]


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "kind",
        "status",
        "started_at",
        "completed_at",
        "score_percent",
        "is_passed",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "course", "topic", "performance_record"]
    inlines = [AttemptQuestionInline]


@admin.register(MasteryRecomputeRequest)
class MasteryRecomputeRequestAdmin(admin.ModelAdmin):
    """Pending recomputes: rows that stay here past a minute mean a lost enqueue or a dead
    worker, which the pending sweep resends. Staff watch them; nobody edits them by hand."""

    list_display = ["user", "topic", "requested_at"]
    search_fields = ["user__email", "topic__name"]
    list_select_related = ["user", "topic"]
    date_hierarchy = "requested_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ForecastModel)
class ForecastModelAdmin(admin.ModelAdmin):
    """Read-only: a fit is made by `fit_forecast` or the weekly task, never by hand."""

    list_display = ["version", "fitted_at", "n"]
    readonly_fields = ["version", "feature_names", "weights", "fitted_at", "n", "metrics"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description="Rebuild the selected students' daily mastery rollups")
def rebuild_rollups(modeladmin, request, queryset):
    """The same rebuild as `manage.py rebuild_rollups`, once per student."""
    users = {row.user for row in queryset.select_related("user")}
    for user in users:
        course_mastery_days_rebuild(user=user)


@admin.register(CourseMasteryDay)
class CourseMasteryDayAdmin(admin.ModelAdmin):
    """Read-only and without history: a rollup derived from the mastery history, which has its
    own; it is corrected by rebuilding it, never by hand."""

    list_display = ["user", "course", "day", "mean_mastery", "topic_count"]
    search_fields = ["user__email", "course__code"]
    list_select_related = ["user", "course"]
    date_hierarchy = "day"
    actions = [rebuild_rollups]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Flashcards ---------------------------------------------------------------------------------
from mastery.models import Card, CardReview, CardStudyProfile, Deck  # noqa: E402
from mastery.services.cards import card_parameters_fit, card_suspend  # noqa: E402


@admin.register(Deck)
class DeckAdmin(SimpleHistoryAdmin):
    list_display = ["name", "user", "topic", "created_at"]
    search_fields = ["name", "user__email"]
    raw_id_fields = ["user", "topic"]


@admin.action(description="Suspend the selected cards")
def suspend_cards(modeladmin, request, queryset):
    for card in queryset:
        card_suspend(card=card, is_suspended=True)


@admin.register(Card)
class CardAdmin(SimpleHistoryAdmin):
    list_display = ["front", "deck", "user", "kind", "memory_state", "due", "is_suspended"]
    list_filter = ["kind", "memory_state", "is_suspended"]
    search_fields = ["front", "back", "tags", "user__email"]
    raw_id_fields = ["user", "deck"]
    exclude = ["image"]
    actions = [suspend_cards]


@admin.register(CardReview)
class CardReviewAdmin(admin.ModelAdmin):
    list_display = ["card", "user", "rating", "reviewed_at", "source"]
    list_filter = ["source", "rating"]
    raw_id_fields = ["user", "card", "performance_record"]

    def has_change_permission(self, request, obj=None):
        return False  # the review log is append-only


@admin.action(description="Fit FSRS parameters from the students' reviews now")
def fit_parameters(modeladmin, request, queryset):
    for profile in queryset.select_related("user"):
        card_parameters_fit(user=profile.user)


@admin.register(CardStudyProfile)
class CardStudyProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "new_cards_per_day", "parameters_review_count", "parameters_fitted_at"]
    raw_id_fields = ["user"]
    readonly_fields = ["parameters_metrics", "parameters_fitted_at", "parameters_review_count"]
    actions = [fit_parameters]
