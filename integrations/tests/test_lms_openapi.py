"""The OpenAPI schema documents the seed's request shape of POST /api/import/lms."""

import json

from django.core.management import call_command


def test_schema_documents_lms_type_and_credentials(tmp_path, db):
    target = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(target), "--validate")
    schema = json.loads(target.read_text())

    operation = schema["paths"]["/api/import/lms"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    lms_type = request["properties"]["lms_type"]
    lms_type_schema = (
        schema["components"]["schemas"][lms_type["allOf"][0]["$ref"].rsplit("/", 1)[1]]
        if "allOf" in lms_type
        else lms_type
    )
    assert set(lms_type_schema["enum"]) >= {"canvas", "moodle", "ics"}
    # Request components carry drf-spectacular's "Request" suffix (COMPONENT_SPLIT_REQUEST).
    credentials_ref = request["properties"]["credentials"]["allOf"][0]["$ref"]
    credentials = schema["components"]["schemas"][credentials_ref.rsplit("/", 1)[1]]
    variants = {
        option["$ref"].rsplit("/", 1)[1]: set(
            schema["components"]["schemas"][option["$ref"].rsplit("/", 1)[1]]["required"]
        )
        for option in credentials["oneOf"]
    }
    assert variants == {
        "CanvasCredentialsRequest": {"base_url", "access_token"},
        "MoodleCredentialsRequest": {"base_url", "token"},
        "IcsCredentialsRequest": {"url"},
    }
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    result = schema["components"]["schemas"][response["$ref"].rsplit("/", 1)[1]]
    assert {o["$ref"].rsplit("/", 1)[1] for o in result["oneOf"]} == {
        "LmsImportReport",
        "LmsApiImportReport",
    }
