from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from scheduling import services
from scheduling.models import (
    BusyInterval,
    CalendarFeedToken,
    DailyCheckIn,
    GainRefreshRequest,
    PlanAdjustment,
    PlanNotice,
    PlanSnapshot,
    ReplanRequest,
    StudyDay,
    StudyTask,
)
from scheduling.streaks import study_days_rebuild


@admin.register(StudyTask)
class StudyTaskAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "user",
        "course",
        "task_type",
        "difficulty",
        "status",
        "scheduled_start",
        "scheduled_end",
        "priority_score",
        "is_pinned",
    ]
    list_filter = ["status", "task_type", "difficulty", "is_pinned"]
    search_fields = ["title", "user__email", "course__code", "reason", "work_key"]
    list_select_related = ["user", "course"]
    raw_id_fields = ["user", "course", "assessment"]
    date_hierarchy = "scheduled_start"


@admin.action(description="Replan the selected students now")
def replan_students(modeladmin, request, queryset):
    for snapshot in queryset.select_related("user"):
        services.plan_replan_enqueue(user_id=snapshot.user_id, reason="admin")


@admin.register(PlanSnapshot)
class PlanSnapshotAdmin(admin.ModelAdmin):
    list_display = ["user", "planned_at", "reason", "horizon_start", "horizon_end"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["cushions", "readiness", "unscheduled", "busy_fingerprint"]
    actions = [replan_students]


@admin.register(DailyCheckIn)
class DailyCheckInAdmin(SimpleHistoryAdmin):
    list_display = ["user", "date", "difficulty", "time_burden", "mood", "energy"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "date"


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(SimpleHistoryAdmin):
    list_display = ["user", "created_at", "revoked_at"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    # The digest is useless to an admin and should not be copied around.
    exclude = ["token_hash"]
    readonly_fields = ["user", "created_at"]


@admin.register(ReplanRequest)
class ReplanRequestAdmin(admin.ModelAdmin):
    """Pending replans, resent by the sweep when their enqueue was lost; read-only."""

    list_display = ["user", "reason", "requested_at"]
    list_filter = ["reason"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "requested_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GainRefreshRequest)
class GainRefreshRequestAdmin(admin.ModelAdmin):
    """Pending gain refreshes, resent by the sweep when their publish was lost; read-only."""

    list_display = ["user", "topic", "requested_at"]
    search_fields = ["user__email"]
    list_select_related = ["user", "topic"]
    date_hierarchy = "requested_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BusyInterval)
class BusyIntervalAdmin(SimpleHistoryAdmin):
    """Busy time pulled from calendars; read-only, because only a pull (through
    `busy_intervals_replace`) keeps the cache and the replan in step with the rows."""

    list_display = ["user", "source", "start", "end", "label"]
    list_filter = ["source"]
    search_fields = ["user__email", "label", "external_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PlanAdjustment)
class PlanAdjustmentAdmin(SimpleHistoryAdmin):
    """At-risk suggestions a student applied; deleting one lets the work be planned as before
    on the next replan."""

    list_display = ["user", "action", "work_key", "for_assessment", "not_before", "created_at"]
    list_filter = ["action"]
    search_fields = ["user__email", "work_key"]
    list_select_related = ["user", "for_assessment"]
    raw_id_fields = ["user", "for_assessment"]


@admin.register(PlanNotice)
class PlanNoticeAdmin(SimpleHistoryAdmin):
    list_display = ["user", "reason", "added_count", "moved_count", "removed_count", "updated_at"]
    list_filter = ["dismissed_at"]
    search_fields = ["user__email", "reason"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.action(description="Recount the selected students' study days from the history")
def recount_study_days(modeladmin, request, queryset):
    users = {row.user for row in queryset.select_related("user")}
    for user in users:
        study_days_rebuild(user=user)
    modeladmin.message_user(request, f"Recounted the study days of {len(users)} student(s).")


@admin.register(StudyDay)
class StudyDayAdmin(admin.ModelAdmin):
    """Read-only and without history: the streak's rollup, derived from completed blocks and
    quizzes (which have their own); it is corrected by recounting it, never by hand. A row
    without a day marks the student's days in that zone as complete."""

    list_display = ["user", "zone", "day"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    list_filter = ["zone"]
    actions = [recount_study_days]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
