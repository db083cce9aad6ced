from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from accounts.audit import USERNAME_DIGEST_KEY, username_digest
from accounts.models import (
    ApiToken,
    AuditEvent,
    FailedTask,
    NotificationSettings,
    TeacherRole,
    User,
    UserPreferences,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "school_name",
        "academic_level",
        "timezone",
        "is_active",
        "is_staff",
        "created_at",
    ]
    # Verification lives in allauth's email addresses (their own admin page, filterable there).
    list_filter = ["academic_level", "is_active", "is_staff"]
    search_fields = ["email", "full_name", "school_name", "major"]
    readonly_fields = ["created_at", "updated_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Profile",
            {
                "fields": [
                    "full_name",
                    "school_name",
                    "academic_level",
                    "major",
                    "timezone",
                    "language",
                ]
            },
        ),
        (
            "Status",
            {
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        ("Dates", {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(UserPreferences)
class UserPreferencesAdmin(SimpleHistoryAdmin):
    list_display = [
        "user",
        "max_hours_per_day",
        "preferred_block_length_min",
        "break_length_min",
        "difficulty_curve",
        "enable_spaced_repetition",
        "updated_at",
    ]
    list_filter = ["difficulty_curve", "enable_spaced_repetition"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(SimpleHistoryAdmin):
    list_display = [
        "user",
        "email_notifications",
        "daily_plan_email",
        "daily_plan_time",
        "study_reminders",
        "quiet_hours_start",
        "quiet_hours_end",
        "updated_at",
    ]
    list_filter = ["email_notifications", "daily_plan_email", "study_reminders"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    search_fields = ["name", "user__email", "prefix"]
    list_select_related = ["user"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    raw_id_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is evidence, so staff can read it but nobody edits it here. Only a
    superuser may delete rows, for example to honour a legal erasure request."""

    list_display = ["created_at", "action", "user", "user_id_snapshot", "ip_address"]
    list_filter = ["action"]
    search_fields = ["user_id_snapshot", "user__email"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [
        "created_at",
        "action",
        "user",
        "user_id_snapshot",
        "ip_address",
        "user_agent",
        "detail",
    ]
    fields = readonly_fields

    def get_search_results(self, request, queryset, search_term):
        # Failed logins keep only a digest of the typed address: searching for an address
        # also finds them, by digesting the search term the same way.
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if "@" in search_term:
            digest = username_digest(search_term)
            results |= queryset.filter(**{f"detail__{USERNAME_DIGEST_KEY}": digest})
        return results, may_have_duplicates

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    """Read-only: a record of what failed and why. Fixing the cause and resending is a deploy or
    a shell away; deleting a row once it is understood is allowed."""

    list_display = ["failed_at", "task_name", "error_type", "retries"]
    list_filter = ["task_name", "error_type"]
    date_hierarchy = "failed_at"
    readonly_fields = [
        "failed_at",
        "task_name",
        "task_id",
        "args",
        "kwargs",
        "error_type",
        "error",
        "retries",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TeacherRole)
class TeacherRoleAdmin(SimpleHistoryAdmin):
    """The only place a teacher role is granted or revoked; its history says by whom."""

    list_display = ["user", "is_active", "approved_at", "note"]
    list_filter = ["is_active"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
