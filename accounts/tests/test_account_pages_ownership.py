"""The email and two-factor pages act only on the student who is logged in: another student's
addresses and authenticators can be neither seen nor changed, whatever is posted."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ACCOUNT_PAGES = [
    "account_email",
    "account_change_password",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
]


@pytest.fixture
def mallory(db):
    mallory = UserFactory(email="mallory@example.org")
    EmailAddress.objects.create(
        user=mallory, email="mallory.second@example.org", verified=False, primary=False
    )
    TOTP.activate(mallory, generate_totp_secret())
    RecoveryCodes.activate(mallory)
    return mallory


@pytest.fixture
def ada_client(user):
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    # Security pages ask for the password again; answered, as a careful owner would.
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
    return client


def mallory_state(mallory):
    return (
        sorted(
            EmailAddress.objects.filter(user=mallory).values_list("email", "primary", "verified")
        ),
        sorted(Authenticator.objects.filter(user=mallory).values_list("pk", "type", "data")),
    )


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_email_page_lists_only_the_students_own_addresses(ada_client, mallory):
    html = ada_client.get(reverse("account_email")).content.decode()
    assert "ada@example.org" in html
    assert "mallory" not in html


@pytest.mark.parametrize("action", ["action_remove", "action_primary", "action_send"])
@pytest.mark.parametrize("address", ["mallory@example.org", "mallory.second@example.org"])
def test_posting_another_students_address_changes_and_sends_nothing(
    ada_client, user, mallory, smtp, action, address
):
    before = mallory_state(mallory)
    response = ada_client.post(reverse("account_email"), {"email": address, action: ""})
    assert response.status_code in (200, 302)
    assert mallory_state(mallory) == before
    assert smtp.sent_to(address) == []
    user.refresh_from_db()
    assert user.email == "ada@example.org"


def test_the_two_factor_pages_show_nothing_of_another_student(ada_client, mallory):
    index = ada_client.get(reverse("mfa_index"))
    assert index.status_code == 200
    assert index.context["authenticators"].get("totp") is None
    codes = RecoveryCodes(Authenticator.objects.get(user=mallory, type="recovery_codes"))
    for name in ("mfa_view_recovery_codes", "mfa_download_recovery_codes"):
        response = ada_client.get(reverse(name))
        assert response.status_code in (302, 404)
        for code in codes.get_unused_codes():
            assert code not in response.content.decode()


def test_turning_off_two_factor_touches_only_ones_own(ada_client, mallory):
    before = mallory_state(mallory)
    response = ada_client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code in (302, 404)
    ada_client.post(reverse("mfa_generate_recovery_codes"))
    assert mallory_state(mallory) == before


def test_the_email_page_costs_the_same_for_one_address_or_several(
    ada_client, user, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Warm first: the page shell's cached state is read from the cache on every later visit.
    ada_client.get(reverse("account_email"))
    with CaptureQueriesContext(connection) as one:
        assert ada_client.get(reverse("account_email")).status_code == 200
    for n in range(2):
        EmailAddress.objects.create(user=user, email=f"ada{n}@example.org", verified=n == 0)
    with django_assert_num_queries(len(one.captured_queries)):
        html = ada_client.get(reverse("account_email")).content.decode()
    assert "ada1@example.org" in html
