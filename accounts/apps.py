from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from celery.signals import task_failure

        # Registers the Bearer token scheme with drf-spectacular.
        # Audits logins, failures and lockouts.
        from accounts import password_events, receivers  # noqa: F401
        from accounts.api import schema  # noqa: F401
        from accounts.failed_tasks import on_task_failure

        # Every task's final failure becomes a FailedTask row (accounts/failed_tasks.py).
        task_failure.connect(on_task_failure, weak=False, dispatch_uid="accounts.failed_task")
