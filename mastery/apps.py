from django.apps import AppConfig


class MasteryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mastery"

    def ready(self) -> None:
        from mastery import receivers  # noqa: F401  (connects event receivers)
