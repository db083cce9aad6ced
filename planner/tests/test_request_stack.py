"""What every request pays around its view, and the cheap paths through it.

A token API call does its token lookup and its own work, nothing for a session; the CSP header
is built once per process yet keeps its per-response nonce; the page shell's links are the
paths `{% url %}` gives.
"""

import pytest
from csp.utils import build_policy
from django.template import engines
from django.test import override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from accounts.tests.factories import ApiTokenFactory, UserFactory, UserPreferencesFactory
from planner.tests.test_security_headers import NONCE_RE, STRICT_POLICY, policy_of, without_nonce

PING = reverse("api:ping")
RAW_KEY = "stack-key-0123456789abcdefghijklmnopqrstuv"


@pytest.fixture
def bearer(user):
    ApiTokenFactory(user=user, raw_key=RAW_KEY)
    return {"HTTP_AUTHORIZATION": f"Bearer {RAW_KEY}"}


def test_token_ping_is_the_token_lookup_carrying_its_own_fact(
    anon_api_client, user, bearer, django_assert_num_queries
):
    UserPreferencesFactory(user=user)
    anon_api_client.get(PING, **bearer)  # the first use records last_used_at; a minute holds it
    with django_assert_num_queries(1) as captured:
        response = anon_api_client.get(PING, **bearer)
    assert response.status_code == 200
    (query,) = captured.captured_queries
    assert 'FROM "accounts_apitoken"' in query["sql"]
    assert 'FROM "accounts_userpreferences"' in query["sql"]  # the subquery


def _prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_postgresql_plans_the_token_lookup_once_per_connection(
    require_postgres, anon_api_client, user, bearer, django_assert_num_queries
):
    UserPreferencesFactory(user=user)
    anon_api_client.get(PING, **bearer)
    token_reads = [s for s in _prepared_statements() if 'FROM "accounts_apitoken"' in s]
    assert len(token_reads) == 1
    for _ in range(3):
        with django_assert_num_queries(1) as captured:
            assert anon_api_client.get(PING, **bearer).data["email"] == user.email
    # The log shows the values sent, not the server's $1 placeholders.
    assert bearer["HTTP_AUTHORIZATION"] not in captured.captured_queries[0]["sql"]
    assert "$1" not in captured.captured_queries[0]["sql"]
    assert [s for s in _prepared_statements() if 'FROM "accounts_apitoken"' in s] == token_reads
    # Every other query keeps client-side binding and is never prepared.
    assert all('FROM "accounts_apitoken"' in s for s in _prepared_statements())


def test_a_prepared_token_lookup_survives_a_change_to_its_tables(
    require_postgres, anon_api_client, user, bearer
):
    from django.db import connection

    anon_api_client.get(PING, **bearer)
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE "accounts_user" ADD COLUMN "probe_column" integer')
    try:
        assert anon_api_client.get(PING, **bearer).status_code == 200
        other = ApiTokenFactory(user=UserFactory(email="bo@example.org"), raw_key=RAW_KEY + "x")
        response = anon_api_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {RAW_KEY}x")
        assert response.data["email"] == other.user.email
    finally:
        with connection.cursor() as cursor:
            cursor.execute('ALTER TABLE "accounts_user" DROP COLUMN "probe_column"')


def test_token_call_does_no_session_work_even_with_a_session_cookie(
    anon_api_client, user, other_user, bearer, django_assert_num_queries
):
    # A script that also carries someone's session cookie: the middleware loads neither that
    # session nor its user (a Redis read and a user query), and the answer is the token's.
    anon_api_client.force_login(other_user)
    anon_api_client.get(PING, **bearer)
    with django_assert_num_queries(1):
        response = anon_api_client.get(PING, **bearer)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies
    assert response["Cache-Control"] == "no-store"


def test_session_api_call_still_reads_the_session(client, user):
    client.force_login(user)
    response = client.get(PING)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert "Cookie" in response["Vary"]


def test_each_page_gets_its_own_nonce_in_the_policy_django_csp_builds(logged_in_client):
    page = reverse("accounts:profile")
    first, second = logged_in_client.get(page), logged_in_client.get(page)
    nonces = []
    for response in (first, second):
        (nonce,) = NONCE_RE.findall(response["Content-Security-Policy"])
        assert f'nonce="{nonce}"' in response.content.decode()
        assert policy_of(response) == policy_of_text(build_policy(nonce=nonce))
        assert without_nonce(policy_of(response)) == STRICT_POLICY
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_a_response_without_a_nonce_gets_the_policy_without_one(api_client):
    response = api_client.get(PING)
    assert "nonce" not in response["Content-Security-Policy"]
    assert policy_of(response) == STRICT_POLICY


def test_a_changed_policy_setting_is_served_at_once(api_client):
    api_client.get(PING)  # the strict policy is built and kept
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        response = api_client.get(PING)
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert policy_of(api_client.get(PING)) == STRICT_POLICY


def policy_of_text(text: str) -> dict[str, set[str]]:
    return policy_of({"Content-Security-Policy": text})


SHELL_NAMES = ["home", "accounts:preferences", "scheduling:week", "journey:notifications_badge"]


def render_shell_urls() -> list[str]:
    source = "{% load shell %}" + "|".join(f"{{% shell_url '{n}' %}}" for n in SHELL_NAMES)
    return engines["django"].from_string(source).render({}).split("|")


def test_shell_links_are_the_paths_url_gives():
    assert render_shell_urls() == [reverse(name) for name in SHELL_NAMES]


def test_shell_links_follow_the_script_prefix():
    render_shell_urls()
    set_script_prefix("/planner/")
    try:
        assert render_shell_urls() == [reverse(name) for name in SHELL_NAMES]
        assert render_shell_urls()[0] == "/planner/"
    finally:
        clear_script_prefix()
    assert render_shell_urls()[0] == "/"


def test_the_page_shell_links_every_page_of_the_menu(logged_in_client):
    html = logged_in_client.get(reverse("accounts:profile")).content.decode()
    for name in ("home", "scheduling:week", "accounts:preferences", "mastery:decks"):
        assert f'href="{reverse(name)}"' in html


def test_a_token_call_skips_the_session_and_message_middleware(anon_api_client, bearer):
    from django.test import RequestFactory

    from planner.browser_middleware import (
        AuthenticationMiddleware,
        MessageMiddleware,
        SessionMiddleware,
    )

    seen = {}

    def view(request):
        seen.update(
            session=hasattr(request, "session"),
            messages=hasattr(request, "_messages"),
            user=request.user.is_authenticated,
        )
        from django.http import HttpResponse

        return HttpResponse()

    stack = SessionMiddleware(AuthenticationMiddleware(MessageMiddleware(view)))
    stack(RequestFactory().get(PING, **bearer))
    assert seen == {"session": False, "messages": False, "user": False}
    stack(RequestFactory().get("/plan/", **bearer))
    assert seen["session"] and seen["messages"]


@pytest.mark.parametrize("path", ["/api/no-such-endpoint", "/api/courses/not-a-uuid"])
def test_a_token_call_to_a_missing_api_path_is_a_plain_404(anon_api_client, bearer, path):
    response = anon_api_client.get(path, **bearer)
    assert response.status_code == 404


def test_a_token_write_is_attributed_to_the_tokens_owner_in_the_history(
    anon_api_client, user, bearer
):
    from courses.models import Course

    response = anon_api_client.post(
        "/api/courses",
        {
            "name": "History",
            "code": "HIS 101",
            "semester": "Fall 2026",
            "start_date": "2026-08-24",
            "end_date": "2026-12-18",
        },
        format="json",
        **bearer,
    )
    assert response.status_code == 201, response.content
    course = Course.objects.get(pk=response.json()["id"])
    assert course.history.get().history_user == user


def test_a_bearer_header_outside_the_api_still_reads_the_session(client, user, bearer):
    client.force_login(user)
    response = client.get("/plan/", **bearer)
    assert response.status_code == 200
