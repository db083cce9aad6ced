import time

from django.core.management.base import BaseCommand

from integrations.testing.demo import start_demo_providers


class Command(BaseCommand):
    help = "Run the fake Google Calendar and Notion servers on fixed loopback ports."

    def add_arguments(self, parser):
        parser.add_argument("--google-port", type=int, default=8765)
        parser.add_argument("--notion-port", type=int, default=8766)

    def handle(self, *args, google_port: int, notion_port: int, **options):
        providers = start_demo_providers(google_port=google_port, notion_port=notion_port)
        self.stdout.write(providers.describe())
        self.stdout.write(
            "Point the app at them with:\n"
            f"  GOOGLE_API_ENDPOINT={providers.google.base_url} "
            f"GOOGLE_TOKEN_URI={providers.google.base_url}/token "
            f"GOOGLE_AUTH_URI={providers.google.base_url}/o/oauth2/auth "
            f"GOOGLE_REVOKE_URI={providers.google.base_url}/revoke "
            f"NOTION_BASE_URL={providers.notion.base_url} OAUTHLIB_INSECURE_TRANSPORT=1"
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            providers.google.stop()
            providers.notion.stop()
