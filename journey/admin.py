from django.contrib import admin

from journey.models import OnboardingProgress, ResourceCompletion


@admin.register(OnboardingProgress)
class OnboardingProgressAdmin(admin.ModelAdmin):
    list_display = ["user", "current_step", "completed_at", "updated_at"]
    list_filter = ["current_step"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(ResourceCompletion)
class ResourceCompletionAdmin(admin.ModelAdmin):
    list_display = ["user", "topic", "resource_key", "completed_at"]
    search_fields = ["user__email", "topic__name"]
    list_select_related = ["user", "topic"]
    raw_id_fields = ["user", "topic"]
