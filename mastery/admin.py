from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from mastery.models import MasteryObservation, MasteryRecord, PerformanceRecord


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
