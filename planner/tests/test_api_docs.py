"""The API documentation works offline: every asset it loads is served by this app."""

import re

import pytest

ASSET_RE = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_local_assets(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assets = ASSET_RE.findall(html)
    assert assets, "the docs page should reference its assets"
    for asset in assets:
        assert not asset.startswith(("http://", "https://", "//")), f"external asset {asset}"
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts
    for script in scripts:
        assert client.get(script).status_code == 200, script


def test_schema_is_served_as_openapi_json(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Adaptive Study Planner API"
