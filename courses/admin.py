from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from courses.models import Assessment, AssessmentTopic, Course, Topic


class AssessmentTopicInline(admin.TabularInline):
    model = AssessmentTopic
    extra = 0
    raw_id_fields = ["topic"]


@admin.register(Course)
class CourseAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "user",
        "semester",
        "start_date",
        "end_date",
        "is_archived",
        "weights_total",
    ]
    list_filter = ["is_archived", "semester"]
    search_fields = ["code", "name", "user__email", "instructor_name"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_weights_total()

    @admin.display(description="Weights total")
    def weights_total(self, obj):
        return obj.weights_total


@admin.register(Topic)
class TopicAdmin(SimpleHistoryAdmin):
    list_display = ["name", "course", "estimated_difficulty", "order_index", "updated_at"]
    list_filter = ["estimated_difficulty"]
    search_fields = ["name", "course__code", "course__name", "course__user__email"]
    list_select_related = ["course"]
    raw_id_fields = ["course"]


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "course", "type", "weight_percent", "due_date", "is_completed"]
    list_filter = ["type", "is_completed"]
    search_fields = ["name", "course__code", "course__user__email"]
    list_select_related = ["course"]
    raw_id_fields = ["course"]
    inlines = [AssessmentTopicInline]


@admin.register(AssessmentTopic)
class AssessmentTopicAdmin(admin.ModelAdmin):
    list_display = ["assessment", "topic", "question_count", "weight_in_assessment"]
    search_fields = ["assessment__name", "topic__name"]
    list_select_related = ["assessment", "topic"]
    raw_id_fields = ["assessment", "topic"]
