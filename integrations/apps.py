import os
import sys

from django.apps import AppConfig
from django.conf import settings


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self) -> None:
        from integrations import providers, receivers  # noqa: F401  (connects receivers)
        from integrations.google.provider import GoogleCalendarProvider
        from integrations.notion.provider import NotionProvider

        # The order of registration is the order the integrations page lists them in.
        providers.register(GoogleCalendarProvider())
        providers.register(NotionProvider())
        self._register_lms_sources()

        # Only the serving child of runserver starts the fakes, not the autoreloader parent.
        is_serving = "runserver" in sys.argv and os.environ.get("RUN_MAIN") == "true"
        if settings.DEMO_FAKE_PROVIDERS and is_serving:
            from integrations.testing.demo import start_demo_providers

            providers = start_demo_providers()
            sys.stdout.write(providers.describe() + "\n")

    @staticmethod
    def _register_lms_sources() -> None:
        # POST /api/import/lms lives in courses, which cannot import this layer; it dispatches
        # canvas and moodle through courses.lms_sources, filled here.
        from courses import lms_sources
        from integrations.lms import services as lms_services
        from integrations.lms import sources

        for source in (sources.CanvasSource(), sources.MoodleSource()):
            sources.register(source)
            lms_sources.register(source.key, lms_services.import_handler(source.key))
