"""Account flows end to end: sign-up with verification, login by email, password reset, email
change and the second factor. Mail goes through Django's SMTP backend to a real SMTP server on
127.0.0.1 (the `smtp` fixture); the tests read the delivered messages and follow their links."""

import base64
import hashlib
import hmac
import re
import struct
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, AuditAction, AuditEvent, User, UserPreferences
from accounts.selectors import email_is_deliverable
from accounts.tests.factories import ApiTokenFactory, UserFactory
from planner.testing.smtp import Mailbox

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "plum-orbit-canyon-47"
# Pinned so that link lifetimes are measured from a known instant, whatever the real clock.
START = datetime(2026, 11, 11, 15, 0, tzinfo=UTC)
# Per-response randomness that is not about the account: the CSRF token (form field and htmx
# header) and the CSP nonce.
PER_RESPONSE = re.compile(
    r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"|nonce="[^"]+"'
)


@pytest.fixture
def at_start():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def signup(client, email, password=NEW_PASSWORD, **extra):
    return client.post(
        reverse("accounts:signup"),
        {
            "email": email,
            "full_name": "Grace Hopper",
            "timezone": "America/Chicago",
            "password1": password,
            "password2": password,
            **extra,
        },
    )


def log_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def only_link(message, fragment: str) -> str:
    links = [link for link in Mailbox.links(message) if fragment in link]
    assert len(links) == 1, Mailbox.text(message)
    return path_of(links[0])


def verification_link(smtp, email) -> str:
    (message,) = smtp.sent_to(email)
    return only_link(message, "/accounts/confirm-email/")


def logged_in_as(client) -> str | None:
    return client.session.get(SESSION_KEY)


# --- sign-up: verified before the first login ----------------------------------------------


def test_signup_creates_an_unverified_student_and_mails_a_verification_link(client, smtp):
    response = signup(client, "Grace@Example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert logged_in_as(client) is None

    user = User.objects.get(email="grace@example.org")
    assert (user.full_name, user.timezone) == ("Grace Hopper", "America/Chicago")
    assert UserPreferences.objects.for_user(user).count() == 1
    assert user.is_verified is False and email_is_deliverable(user) is False

    (message,) = smtp.messages
    assert smtp.recipients[0] == ["grace@example.org"]
    assert message["Subject"].startswith("[Study Planner]")
    assert Mailbox.text(message).startswith("Hello from the Study Planner!")
    link = verification_link(smtp, "grace@example.org")

    # Until the link is followed, the password alone does not let the student in.
    smtp.clear()
    assert log_in(client, "grace@example.org", NEW_PASSWORD).status_code == 302
    assert logged_in_as(client) is None

    page = client.get(link)
    assert page.status_code == 200
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert user.is_verified is True and email_is_deliverable(user) is True

    response = log_in(client, "GRACE@example.org", NEW_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_as(client) == str(user.pk)
    assert AuditEvent.objects.filter(user=user, action=AuditAction.SIGNED_UP).exists()
    assert AuditEvent.objects.filter(user=user, action=AuditAction.EMAIL_VERIFIED).exists()


def _comparable(response, typed_email: str) -> dict:
    body = PER_RESPONSE.sub("-", response.content.decode()).replace(typed_email, "ADDRESS")
    return {"status": response.status_code, "location": response.get("Location"), "body": body}


def _cookies(response) -> dict:
    # Which cookies are set and how (not their random values).
    return {
        name: {key: morsel[key] for key in ("path", "max-age", "httponly", "samesite", "secure")}
        for name, morsel in response.cookies.items()
    }


def test_signup_with_a_taken_address_is_indistinguishable_from_a_new_one(user, smtp):
    first, second = Client(), Client()
    first.get(reverse("account_signup"))
    second.get(reverse("account_signup"))

    new = signup(first, "newcomer@example.org")
    taken = signup(second, "ada@example.org")

    assert _comparable(taken, "ada@example.org") == _comparable(new, "newcomer@example.org")
    assert _cookies(taken) == _cookies(new)
    # The page each is sent to reads the same, apart from the address the requester typed.
    after_new, after_taken = first.get(new["Location"]), second.get(taken["Location"])
    assert _comparable(after_taken, "ada@example.org") == _comparable(
        after_new, "newcomer@example.org"
    )
    assert _cookies(after_taken) == _cookies(after_new)

    # Neither is logged in; the owner's account is untouched and no second one exists.
    assert logged_in_as(first) is None and logged_in_as(second) is None
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.full_name == "Ada Lovelace"
    assert User.objects.filter(email__iexact="ada@example.org").count() == 1

    # The newcomer gets a verification link; the owner is told someone tried, with a way back
    # in, and no link that would verify anything.
    verification_link(smtp, "newcomer@example.org")
    (notice,) = smtp.sent_to("ada@example.org")
    text = Mailbox.text(notice)
    assert "/accounts/confirm-email/" not in text
    assert reverse("account_reset_password") in text


def test_signup_with_a_taken_address_rejects_a_weak_password_the_same_way(client, user, smtp):
    for email in ("ada@example.org", "newcomer@example.org"):
        response = signup(client, email, password="password123")
        assert response.status_code == 200
        assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="newcomer@example.org").exists()
    assert smtp.messages == []


def test_a_signup_that_loses_the_race_for_an_address_answers_as_for_a_taken_one(
    client, user, smtp, monkeypatch
):
    from allauth.account.internal.flows import manage_email

    # As if the other sign-up committed between the form's check and the save.
    monkeypatch.setattr(manage_email, "email_already_exists", lambda email, **kw: (email, False))
    response = signup(client, "ada@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact="ada@example.org").count() == 1
    assert logged_in_as(client) is None


def test_notices_to_a_taken_address_are_rate_limited(client, user, smtp):
    for _ in range(3):
        assert signup(client, "ada@example.org").status_code == 302
    assert len(smtp.sent_to("ada@example.org")) == 1


# --- verification links: signed, single use, expiring ----------------------------------------


def test_a_verification_link_works_once(client, smtp, at_start):
    signup(client, "grace@example.org")
    link = verification_link(smtp, "grace@example.org")
    assert client.post(link).status_code == 302
    user = User.objects.get(email="grace@example.org")
    assert user.is_verified

    # Spent: the page says so, and a second POST changes nothing.
    again = client.get(link)
    assert again.status_code == 200 and again.context["confirmation"] is None
    assert client.post(link).status_code == 404
    assert EmailAddress.objects.filter(user=user).count() == 1
    assert AuditEvent.objects.filter(user=user, action=AuditAction.EMAIL_VERIFIED).count() == 1


def test_a_verification_link_expires(client, smtp, at_start, settings):
    signup(client, "grace@example.org")
    link = verification_link(smtp, "grace@example.org")
    days = settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS
    at_start.move_to(START + timedelta(days=days, minutes=1))
    page = client.get(link)
    assert page.status_code == 200 and page.context["confirmation"] is None
    client.post(link)
    assert User.objects.get(email="grace@example.org").is_verified is False


def test_a_verification_link_just_before_expiry_still_works(client, smtp, at_start, settings):
    signup(client, "grace@example.org")
    link = verification_link(smtp, "grace@example.org")
    days = settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS
    at_start.move_to(START + timedelta(days=days) - timedelta(minutes=1))
    client.post(link)
    assert User.objects.get(email="grace@example.org").is_verified is True


def test_a_tampered_verification_link_verifies_nothing(client, smtp):
    signup(client, "grace@example.org")
    link = verification_link(smtp, "grace@example.org")
    key = link.rstrip("/").rsplit("/", 1)[1]
    forged = link.replace(key, key[:-2] + ("AA" if not key.endswith("AA") else "BB"))
    page = client.get(forged)
    assert page.status_code == 200 and page.context["confirmation"] is None
    client.post(forged)
    assert User.objects.get(email="grace@example.org").is_verified is False


# --- login by email ---------------------------------------------------------------------------


def test_login_by_email_and_logout(client, user):
    response = log_in(client, "Ada@Example.org")
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_as(client) == str(user.pk)
    assert client.get(reverse("accounts:logout")).status_code == 200  # a confirmation page
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert logged_in_as(client) is None


def test_a_wrong_password_is_refused_and_audited_without_the_address(client, user):
    response = log_in(client, "ada@example.org", "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert logged_in_as(client) is None
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failed.count() == 1
    assert "example.org" not in str(failed.get().detail)


def test_an_unverified_student_is_sent_a_new_link_instead_of_logged_in(client, smtp):
    UserFactory(email="late@example.org", verified=False)
    response = log_in(client, "late@example.org")
    assert response["Location"] == reverse("account_email_verification_sent")
    assert logged_in_as(client) is None
    verification_link(smtp, "late@example.org")


# --- password reset ---------------------------------------------------------------------------


def request_reset(client, email, ip="198.51.100.4"):
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip)


def reset_link(smtp, email) -> str:
    (message,) = smtp.sent_to(email)
    return only_link(message, "/accounts/password/reset/key/")


def set_new_password(client, link, password=NEW_PASSWORD):
    form_page = client.get(link)
    assert form_page.status_code == 302  # the key moves into the session, out of the URL
    return client.post(form_page["Location"], {"password1": password, "password2": password})


def test_password_reset_by_mail_sets_the_password_revokes_tokens_and_tells_the_owner(
    client, user, smtp
):
    key = "raw-key-reset-0123456789abcdefghij"
    ApiTokenFactory(user=user, raw_key=key)
    other_device = Client()
    other_device.force_login(user)

    response = request_reset(client, "ADA@example.org")
    assert response["Location"] == reverse("account_reset_password_done")
    link = reset_link(smtp, "ada@example.org")
    smtp.clear()

    done = set_new_password(client, link)
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    token = ApiToken.objects.get(user=user)
    assert token.revoked_at is not None
    assert other_device.get(reverse("accounts:profile")).status_code == 302
    assert AuditEvent.objects.filter(user=user, action=AuditAction.PASSWORD_RESET).exists()
    # The owner is told their password was reset (ACCOUNT_EMAIL_NOTIFICATIONS).
    (notice,) = smtp.sent_to("ada@example.org")
    assert "password" in notice["Subject"].lower()


def test_a_reset_link_works_once(client, user, smtp):
    request_reset(client, "ada@example.org")
    link = reset_link(smtp, "ada@example.org")
    set_new_password(client, link)
    again = Client().get(link)
    assert again.status_code == 200 and again.context["token_fail"] is True
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_reset_link_expires(client, user, smtp, at_start, settings):
    request_reset(client, "ada@example.org")
    link = reset_link(smtp, "ada@example.org")
    at_start.move_to(START + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))
    page = client.get(link)
    assert page.status_code == 200 and page.context["token_fail"] is True
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_reset_for_an_unknown_address_sends_nothing_and_answers_the_same(client, user, smtp):
    known = request_reset(client, "ada@example.org")
    unknown = request_reset(client, "nobody@example.org")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert smtp.sent_to("nobody@example.org") == []
    assert len(smtp.messages) == 1


def test_password_reset_is_limited_per_address(client, user, smtp, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "2/h/key"}
    answers = [request_reset(client, "ada@example.org", ip=f"198.51.100.{n}") for n in range(4)]
    assert [answer.status_code for answer in answers] == [302, 302, 429, 429]
    assert len(smtp.sent_to("ada@example.org")) == 2
    # Past the limit an unknown address gets the same refusal: the 429 tells nothing.
    for _ in range(2):
        request_reset(client, "nobody@example.org", ip="198.51.100.9")
    refused = request_reset(client, "nobody@example.org", ip="198.51.100.9")
    assert refused.status_code == 429
    assert PER_RESPONSE.sub("-", refused.content.decode()) == PER_RESPONSE.sub(
        "-", answers[-1].content.decode()
    )


def test_password_reset_is_limited_per_ip(client, smtp, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "3/h/ip"}
    for n in range(5):
        UserFactory(email=f"student{n}@example.org")
    answers = [request_reset(client, f"student{n}@example.org") for n in range(5)]
    assert [answer.status_code for answer in answers] == [302, 302, 302, 429, 429]
    assert len(smtp.messages) == 3
    # Another client is not held back by the first one's burst.
    assert request_reset(client, "student4@example.org", ip="192.0.2.99").status_code == 302
    assert len(smtp.messages) == 4


def test_the_configured_reset_limits_are_per_address_and_per_ip(settings):
    rates = settings.ACCOUNT_RATE_LIMITS["reset_password"].split(",")
    assert f"{settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR}/h/key" in rates
    assert f"{settings.PASSWORD_RESET_PER_IP_PER_HOUR}/h/ip" in rates


# --- password change --------------------------------------------------------------------------


def test_password_change_revokes_tokens_and_is_audited(client, user, smtp):
    ApiTokenFactory(user=user, raw_key="raw-key-change-0123456789abcdefghi")
    log_in(client, "ada@example.org")
    response = client.post(
        reverse("accounts:password_change"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not ApiToken.objects.for_user(user).active().exists()
    assert AuditEvent.objects.filter(user=user, action=AuditAction.PASSWORD_CHANGED).exists()
    (notice,) = smtp.sent_to("ada@example.org")
    assert "password" in notice["Subject"].lower()


# --- email change -----------------------------------------------------------------------------


def test_email_change_is_confirmed_by_the_new_address_and_told_to_the_old(client, user, smtp):
    log_in(client, "ada@example.org")
    response = client.post(
        reverse("accounts:email"), {"email": "ada.new@example.org", "action_add": ""}
    )
    assert response.status_code == 302
    # Nothing changes until the new address answers.
    user.refresh_from_db()
    assert user.email == "ada@example.org" and email_is_deliverable(user)
    link = verification_link(smtp, "ada.new@example.org")
    assert smtp.sent_to("ada@example.org") == []

    assert client.post(link).status_code == 302
    user.refresh_from_db()
    assert user.email == "ada.new@example.org"
    assert email_is_deliverable(user)
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "ada.new@example.org"
    ]
    (notice,) = smtp.sent_to("ada@example.org")
    assert "ada.new@example.org" not in str(notice["To"])
    assert AuditEvent.objects.filter(user=user, action=AuditAction.EMAIL_CHANGED).exists()
    # The new address is the login now.
    client.post(reverse("accounts:logout"))
    log_in(client, "ada.new@example.org")
    assert logged_in_as(client) == str(user.pk)


def test_a_change_to_an_address_another_student_holds_never_takes_it(client, user, smtp):
    mallory = UserFactory(email="mallory@example.org")
    log_in(client, "ada@example.org")
    free = client.post(reverse("accounts:email"), {"email": "free@example.org", "action_add": ""})
    taken = client.post(
        reverse("accounts:email"), {"email": "mallory@example.org", "action_add": ""}
    )
    # The same answer as for a free address: the page does not tell who is registered.
    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"])
    # Whatever the holder is sent, following it does not move her address to Ada.
    for message in smtp.sent_to("mallory@example.org"):
        for link in Mailbox.links(message):
            client.post(path_of(link))
    user.refresh_from_db()
    assert user.email == "ada@example.org"
    assert EmailAddress.objects.get(email="mallory@example.org", verified=True).user == mallory
    assert not EmailAddress.objects.filter(
        user=user, email="mallory@example.org", verified=True
    ).exists()


# --- the optional second factor (TOTP) with recovery codes ----------------------------------
# allauth announces a new or removed factor on commit, inside the request (it mails the owner);
# these tests commit for real so that happens where it does in production.
mfa_db = pytest.mark.django_db(transaction=True)


def totp(secret: str, at: datetime, period: int = 30, digits: int = 6) -> str:
    """RFC 6238, written out here so the test does not trust the code it checks."""
    key = base64.b32decode(secret, casefold=True)
    counter = struct.pack(">Q", int(at.timestamp()) // period)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def turn_on_totp(client) -> str:
    # Security settings ask for the password again, whatever the session's age.
    reauth = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert reauth.status_code == 302
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    # The secret is offered for typing in as well as in the QR code.
    assert secret in page.content.decode()
    response = client.post(
        reverse("mfa_activate_totp"), {"code": totp(secret, datetime.now(tz=UTC))}
    )
    assert response.status_code == 302
    return secret


@mfa_db
def test_totp_turned_on_is_asked_for_at_login_and_audited(client, user, at_start):
    log_in(client, "ada@example.org")
    secret = turn_on_totp(client)
    assert AuditEvent.objects.filter(user=user, action=AuditAction.MFA_ENABLED).count() == 1
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    assert len(codes) >= 8
    client.post(reverse("accounts:logout"))

    # The password alone is only the first step.
    at_start.shift(timedelta(minutes=5))
    response = log_in(client, "ada@example.org")
    assert response["Location"] == reverse("mfa_authenticate")
    assert logged_in_as(client) is None
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and logged_in_as(client) is None
    response = client.post(
        reverse("mfa_authenticate"), {"code": totp(secret, datetime.now(tz=UTC))}
    )
    assert response.status_code == 302 and logged_in_as(client) == str(user.pk)


@mfa_db
def test_a_recovery_code_logs_in_once(client, user, at_start):
    log_in(client, "ada@example.org")
    turn_on_totp(client)
    code = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"][0]
    client.post(reverse("accounts:logout"))

    log_in(client, "ada@example.org")
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert logged_in_as(client) == str(user.pk)
    client.post(reverse("accounts:logout"))

    log_in(client, "ada@example.org")
    reused = client.post(reverse("mfa_authenticate"), {"code": code})
    assert reused.status_code == 200 and logged_in_as(client) is None


@mfa_db
def test_totp_turned_off_is_audited_and_login_needs_the_password_only(client, user, at_start):
    log_in(client, "ada@example.org")
    turn_on_totp(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(user=user, action=AuditAction.MFA_DISABLED).count() == 1
    client.post(reverse("accounts:logout"))
    log_in(client, "ada@example.org")
    assert logged_in_as(client) == str(user.pk)


def test_turning_on_totp_needs_the_password_again(client, user):
    # A session alone (say, a borrowed laptop) cannot add a second factor to lock the owner out.
    log_in(client, "ada@example.org")
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    wrong = client.post(reverse("account_reauthenticate"), {"password": "not-it"})
    assert wrong.status_code == 200
    assert client.get(reverse("mfa_activate_totp")).status_code == 302


@mfa_db
def test_the_second_factors_keys_are_sealed_at_rest_and_still_log_in(client, user, at_start):
    from allauth.mfa.models import Authenticator

    log_in(client, "ada@example.org")
    secret = turn_on_totp(client)
    client.get(reverse("mfa_view_recovery_codes"))
    stored = {a.type: a.data for a in Authenticator.objects.filter(user=user)}
    # Neither the TOTP key nor the recovery codes' seed is in the clear in the database.
    assert stored["totp"]["secret"].startswith("enc1:") and secret not in str(stored)
    assert stored["recovery_codes"]["seed"].startswith("enc1:")
    client.post(reverse("accounts:logout"))
    at_start.shift(timedelta(minutes=5))
    log_in(client, "ada@example.org")
    client.post(reverse("mfa_authenticate"), {"code": totp(secret, datetime.now(tz=UTC))})
    assert logged_in_as(client) == str(user.pk)


def test_keys_saved_in_the_clear_are_sealed_and_rotated_with_the_rest(user, settings):
    """A key saved before sealing still works, the migration's step seals it, and a key
    rotation re-seals it under the new key."""
    from allauth.mfa.models import Authenticator
    from django.core.management import call_command

    from accounts import crypto
    from accounts.allauth_adapter import MFAAdapter, mfa_data_sealed

    plain = "JBSWY3DPEHPK3PXP"
    authenticator = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": plain}
    )
    assert MFAAdapter().decrypt(plain) == plain
    sealed = mfa_data_sealed(authenticator.data)
    assert sealed["secret"].startswith("enc1:") and MFAAdapter().decrypt(sealed["secret"]) == plain
    assert mfa_data_sealed(sealed) is None
    Authenticator.objects.filter(pk=authenticator.pk).update(data=sealed)

    old_spec = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY = crypto.generate_key_spec("k2")
    settings.FIELD_ENCRYPTION_OLD_KEYS = [old_spec]
    call_command("rotate_encryption_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    rotated = Authenticator.objects.get(pk=authenticator.pk).data["secret"]
    assert rotated.startswith("enc1:k2:")
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    assert MFAAdapter().decrypt(rotated) == plain
