from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from courses.models import (
    Assessment,
    AssessmentTopic,
    ClassMembership,
    Classroom,
    Course,
    CourseTemplate,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
    Topic,
)


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


@admin.register(CourseTemplate)
class CourseTemplateAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "owner", "version", "start_date", "end_date", "deleted_at"]
    list_filter = [("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "name", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]


@admin.register(TemplateTopic)
class TemplateTopicAdmin(SimpleHistoryAdmin):
    list_display = ["name", "template", "estimated_difficulty", "order_index"]
    search_fields = ["name", "template__code"]
    list_select_related = ["template"]
    raw_id_fields = ["template"]


@admin.register(TemplateResource)
class TemplateResourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "topic", "type", "url"]
    search_fields = ["title", "url", "topic__name", "topic__template__code"]
    list_select_related = ["topic"]
    raw_id_fields = ["topic"]


@admin.register(TemplateAssessment)
class TemplateAssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "template", "type", "weight_percent", "due_date"]
    search_fields = ["name", "template__code"]
    list_select_related = ["template"]
    raw_id_fields = ["template"]
    filter_horizontal = ["topics"]


@admin.register(Classroom)
class ClassroomAdmin(SimpleHistoryAdmin):
    list_display = ["name", "template", "join_code", "is_open", "created_at"]
    search_fields = ["name", "join_code", "template__code"]
    list_select_related = ["template"]
    raw_id_fields = ["template"]


@admin.register(ClassMembership)
class ClassMembershipAdmin(SimpleHistoryAdmin):
    """Consent is the student's to give: staff read it here and its history, never set it."""

    list_display = ["student", "classroom", "status", "has_consented", "joined_at", "left_at"]
    list_filter = ["status", "has_consented"]
    search_fields = ["student__email", "classroom__name", "classroom__join_code"]
    list_select_related = ["student", "classroom"]
    raw_id_fields = ["student", "classroom", "course"]
    readonly_fields = ["has_consented", "consent_changed_at"]
