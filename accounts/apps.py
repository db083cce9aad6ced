from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        # Registers the Bearer token scheme with drf-spectacular.
        # Audits logins, failures and lockouts.
        from accounts import password_events, receivers  # noqa: F401
        from accounts.api import schema  # noqa: F401
