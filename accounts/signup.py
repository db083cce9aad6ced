"""Sign-up and password reset that never tell a stranger whether an address has an account.

Sign-up with an address that already has an account gives the requester the same answer as a
new sign-up (the same validation, the same redirect and message), while the owner of the
address gets an email saying someone tried, with links to log in or reset the password. Nobody
is logged in as the existing owner. The password is still hashed, so the two paths take about
the same time.

Password-reset requests always answer with the same "sent" page (Django does that); here they
are also throttled per address and per client IP, and past either limit nothing is sent, so a
burst cannot flood a mailbox.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.views import PasswordResetView
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.mail import send_mail
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse

from accounts import limits
from accounts.audit import client_ip
from accounts.errors import ApplicationError
from accounts.models import User
from accounts.services import user_signup

logger = logging.getLogger(__name__)

LIMIT_WINDOW_SECONDS = 3600
# One notice an hour is all an owner needs to learn that someone tried their address; more
# would let anyone flood a mailbox through the sign-up form.
SIGNUP_NOTICES_PER_ADDRESS_PER_HOUR = 1
SIGNUP_NOTICE_SUBJECT = "Someone tried to sign up with your email address"


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _validate_like_a_new_signup(*, email: str, password: str, profile: dict) -> None:
    """The checks `user_signup` makes, minus uniqueness: a weak password or a bad field gets
    the same error whether or not the address has an account."""
    candidate = User(email=email, **profile)
    try:
        candidate.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        raise ApplicationError(
            "The account could not be created.",
            field_errors={
                ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
                for field, messages in exc.message_dict.items()
            },
        ) from exc
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise ApplicationError(
            "The password is too weak.", field_errors={"password": exc.messages}
        ) from exc


def _send_existing_account_notice(*, email: str, site_url: str) -> None:
    verdict = limits.hit(
        "signup-notice",
        email,
        limit=SIGNUP_NOTICES_PER_ADDRESS_PER_HOUR,
        window_seconds=LIMIT_WINDOW_SECONDS,
    )
    if not verdict.allowed:
        return
    base = site_url.rstrip("/")
    body = render_to_string(
        "accounts/signup_existing_email.txt",
        {
            "email": email,
            "login_url": base + reverse("accounts:login"),
            "reset_url": base + reverse("accounts:password_reset"),
        },
    )
    send_mail(SIGNUP_NOTICE_SUBJECT, body, None, [email])


def signup_request(*, email: str, password: str, site_url: str, **profile) -> User | None:
    """The new student, or None when the address already had an account (its owner is told
    by email). Raises ApplicationError for the same bad input in both cases."""
    normalized = User.objects.normalize_email(email).lower()
    if not User.objects.filter(email__iexact=normalized).exists():
        try:
            return user_signup(email=email, password=password, **profile)
        except ApplicationError:
            # Lost a race with another sign-up of the same address: answer as for an
            # existing one. Any other error is the requester's to fix.
            if not User.objects.filter(email__iexact=normalized).exists():
                raise
    _validate_like_a_new_signup(email=normalized, password=password, profile=profile)
    make_password(password)  # the cost a new account pays, so timing does not tell
    _send_existing_account_notice(email=normalized, site_url=site_url)
    return None


class ThrottledPasswordResetView(PasswordResetView):
    """Django's reset view, sending nothing past PASSWORD_RESET_PER_ADDRESS_PER_HOUR for one
    address or PASSWORD_RESET_PER_IP_PER_HOUR for one client, with the same answer."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        per_address = limits.hit(
            "password-reset-address",
            email,
            limit=_limit("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", 3),
            window_seconds=LIMIT_WINDOW_SECONDS,
        )
        per_ip = limits.hit(
            "password-reset-ip",
            client_ip(self.request) or "unknown",
            limit=_limit("PASSWORD_RESET_PER_IP_PER_HOUR", 20),
            window_seconds=LIMIT_WINDOW_SECONDS,
        )
        if per_address.allowed and per_ip.allowed:
            return super().form_valid(form)
        logger.info("Password reset request over its limit; nothing sent")
        return HttpResponseRedirect(self.get_success_url())
