from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from scheduling.models import StudyTask


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
    search_fields = ["title", "user__email", "course__code", "reason"]
    list_select_related = ["user", "course"]
    raw_id_fields = ["user", "course", "assessment"]
    date_hierarchy = "scheduled_start"
