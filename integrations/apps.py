import os
import sys

from django.apps import AppConfig
from django.conf import settings


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self) -> None:
        from integrations import receivers  # noqa: F401  (connects event receivers)

        # Only the serving child of runserver starts the fakes, not the autoreloader parent.
        is_serving = "runserver" in sys.argv and os.environ.get("RUN_MAIN") == "true"
        if settings.DEMO_FAKE_PROVIDERS and is_serving:
            from integrations.testing.demo import start_demo_providers

            providers = start_demo_providers()
            sys.stdout.write(providers.describe() + "\n")
