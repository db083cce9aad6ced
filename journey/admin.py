from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from journey.models import OnboardingProgress, ResourceCompletion
from journey.notifications.models import Notification, PushSubscription


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


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: a notification is what was told to a student; support reads its delivery
    states and skip reason. Nothing here resends (delivery is at most once)."""

    list_display = ["user", "kind", "subject", "deliver_after", "email_state", "push_state"]
    list_filter = ["kind", "email_state", "push_state"]
    search_fields = ["user__email", "event_key", "subject"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "deliver_after"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PushSubscription)
class PushSubscriptionAdmin(SimpleHistoryAdmin):
    list_display = ["user", "endpoint", "created_at", "last_success_at"]
    search_fields = ["user__email", "endpoint"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
