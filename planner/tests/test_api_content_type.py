"""A body the endpoint cannot read (no Content-Type, or one it does not take) is a 400 that
names the content types it accepts, never a 415 the API does not document."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_upload_without_a_content_type_is_a_400_naming_what_is_accepted(api_client):
    response = api_client.generic("POST", "/api/import/csv", b"code,name\n", content_type="")
    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["content_type"]


def test_a_json_endpoint_refuses_a_form_body_with_a_400(api_client):
    response = api_client.generic(
        "PATCH", "/api/me", b"full_name=Ada", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["content_type"] == ["application/json"]
