"""The audit trail: who did what, from where, recorded through the real login page and API,
read-only in the admin and never holding a secret."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.audit import audit_record, username_digest
from accounts.models import AuditAction, AuditEvent
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
BROWSER = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "StudyBrowser/1.0"}


def test_outside_a_request_the_origin_is_empty(user):
    event = audit_record(action=AuditAction.TOKEN_REVOKED, user=user, detail={"name": "x"})
    assert (event.ip_address, event.user_agent) == (None, "")
    assert event.user_id_snapshot == user.pk and event.detail == {"name": "x"}


def test_a_secret_key_in_the_detail_is_refused(user):
    with pytest.raises(ValueError):
        audit_record(action=AuditAction.TOKEN_CREATED, user=user, detail={"Token": "abc"})
    with pytest.raises(ValueError):
        audit_record(action="not_an_action", user=user)
    assert not AuditEvent.objects.exists()


def test_login_failure_and_success_are_recorded_with_ip_and_user_agent(client, user):
    login = reverse("accounts:login")
    client.post(login, {"login": user.email, "password": "wrong-guess"}, **BROWSER)
    response = client.post(login, {"login": user.email, "password": PASSWORD}, **BROWSER)
    assert response.status_code == 302
    failed, succeeded = AuditEvent.objects.order_by("id")
    assert failed.action == AuditAction.LOGIN_FAILED and failed.user is None
    # The attempted address is kept only as a keyed digest, never as typed.
    assert failed.detail == {"username_digest": username_digest(user.email), "path": login}
    assert user.email not in str(failed.detail)
    assert succeeded.action == AuditAction.LOGIN_SUCCEEDED and succeeded.user == user
    for event in (failed, succeeded):
        assert (event.ip_address, event.user_agent) == ("203.0.113.7", "StudyBrowser/1.0")


def test_the_user_agent_is_cut_to_the_column(client, user):
    client.post(
        reverse("accounts:login"),
        {"login": user.email, "password": PASSWORD},
        HTTP_USER_AGENT="x" * 5000,
    )
    assert len(AuditEvent.objects.get().user_agent) == 256


@pytest.mark.parametrize(("trusted", "expected"), [(False, "10.0.0.9"), (True, "198.51.100.4")])
def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(
    client, user, settings, trusted, expected
):
    settings.AUDIT_TRUST_X_FORWARDED_FOR = trusted
    client.post(
        reverse("accounts:login"),
        {"login": user.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR="198.51.100.4, 10.0.0.1",
    )
    assert AuditEvent.objects.get().ip_address == expected


def test_token_created_and_revoked_through_the_api(api_client, user):
    created = api_client.post("/api/tokens", {"name": "laptop"}, format="json", **BROWSER)
    assert created.status_code == 201
    raw_key = created.json()["key"]
    token_id = created.json()["id"]
    assert api_client.delete(f"/api/tokens/{token_id}", **BROWSER).status_code == 204
    # Revoking again changes nothing, so it records nothing.
    assert api_client.delete(f"/api/tokens/{token_id}", **BROWSER).status_code == 204
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == [AuditAction.TOKEN_CREATED, AuditAction.TOKEN_REVOKED]
    for event in events:
        assert event.user == user and event.ip_address == "203.0.113.7"
        assert event.detail == {"token_id": token_id, "name": "laptop"}
        assert raw_key not in str(event.detail) and raw_key[:8] not in str(event.detail)


def test_token_created_on_the_page_is_recorded(logged_in_client, user):
    response = logged_in_client.post(
        reverse("accounts:api_tokens"), {"name": "script", "expires_in_days": 30}, **BROWSER
    )
    assert response.status_code in (200, 302)
    event = AuditEvent.objects.get(action=AuditAction.TOKEN_CREATED)
    assert event.user == user and event.user_agent == "StudyBrowser/1.0"


# --- the admin ----------------------------------------------------------------------------------
@pytest.fixture
def events(user, other_user):
    audit_record(action=AuditAction.LOGIN_SUCCEEDED, user=user)
    audit_record(action=AuditAction.DATA_EXPORTED, user=other_user)
    audit_record(action=AuditAction.LOGIN_FAILED, detail={"username": "nobody@example.org"})


def staff_with_view_permission():
    staff = UserFactory(email="staff@example.org", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return staff


def test_staff_read_the_trail_filtered_and_searched_but_cannot_change_it(client, events, user):
    client.force_login(staff_with_view_permission())
    changelist = reverse("admin:accounts_auditevent_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    # Three events, plus the staff member's own login.
    assert page.context["cl"].result_count == 4
    by_action = client.get(changelist, {"action__exact": "login_failed"})
    assert by_action.context["cl"].result_count == 1
    by_email = client.get(changelist, {"q": user.email})
    assert by_email.context["cl"].result_count == 1
    # A failed login is found by the address typed, though only its digest is stored.
    by_attempted = client.get(changelist, {"q": "Nobody@example.org"})
    assert by_attempted.context["cl"].result_count == 1
    by_id = client.get(changelist, {"q": str(user.pk)})
    assert by_id.context["cl"].result_count == 1
    event = AuditEvent.objects.filter(user=user).get()
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    detail = client.get(reverse("admin:accounts_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200 and b'name="action"' not in detail.content
    delete = reverse("admin:accounts_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.count() == 4


def test_a_student_cannot_open_the_trail(logged_in_client, events):
    response = logged_in_client.get(reverse("admin:accounts_auditevent_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url
