"""Local demo: the fake Google and Notion servers, with settings pointed at them, so "Connect
Google Calendar" works on a laptop with no Google project and no network."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings

from integrations.testing.fake_google import FakeGoogle
from integrations.testing.fake_notion import FakeNotion

# Accepted only by the fake Notion server of the local demo.
DEMO_NOTION_TOKEN = "secret_demo_notion_token"  # noqa: S105
DEMO_CLIENT_ID = "demo-client.apps.googleusercontent.com"
DEMO_NOTION_CLIENT_ID = "demo-notion-client"
DEMO_NOTION_CLIENT_SECRET = "demo-notion-secret"  # noqa: S105 - accepted only by the demo fake


@dataclass
class DemoProviders:
    google: FakeGoogle
    notion: FakeNotion
    notion_parent_page_id: str

    def describe(self) -> str:
        return (
            f"Fake Google Calendar at {self.google.base_url}/ (open it to see the events)\n"
            f"Fake Notion at {self.notion.base_url}: click Connect with Notion (or paste token "
            f"{DEMO_NOTION_TOKEN}), then create the database in page "
            f"{self.notion_parent_page_id}"
        )


def start_demo_providers(*, google_port: int = 0, notion_port: int = 0) -> DemoProviders:
    google = FakeGoogle(port=google_port).start()
    notion = FakeNotion(port=notion_port).start()
    notion.add_token(DEMO_NOTION_TOKEN)
    parent_page_id = notion.add_parent_page()
    settings.GOOGLE_API_ENDPOINT = google.base_url
    settings.GOOGLE_TOKEN_URI = f"{google.base_url}/token"
    settings.GOOGLE_AUTH_URI = f"{google.base_url}/o/oauth2/auth"
    settings.GOOGLE_REVOKE_URI = f"{google.base_url}/revoke"
    settings.GOOGLE_CLIENT_ID = settings.GOOGLE_CLIENT_ID or DEMO_CLIENT_ID
    settings.GOOGLE_CLIENT_SECRET = settings.GOOGLE_CLIENT_SECRET or "demo-secret"
    settings.NOTION_BASE_URL = notion.base_url
    # "Connect with Notion" (OAuth) against the fake too; its consent page asks for one click.
    settings.NOTION_AUTH_URI = f"{notion.base_url}/v1/oauth/authorize"
    settings.NOTION_CLIENT_ID = settings.NOTION_CLIENT_ID or DEMO_NOTION_CLIENT_ID
    settings.NOTION_CLIENT_SECRET = settings.NOTION_CLIENT_SECRET or DEMO_NOTION_CLIENT_SECRET
    notion.add_oauth_client(settings.NOTION_CLIENT_ID, settings.NOTION_CLIENT_SECRET)
    # oauthlib refuses plain http; the fakes only listen on loopback.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    return DemoProviders(google=google, notion=notion, notion_parent_page_id=parent_page_id)
