"""How the account flows (django-allauth) fit this product: sign-ups go through the accounts
service, and the client address is the one the audit trail and the lockout see."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.signup import prevent_enumeration
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from django.core.exceptions import PermissionDenied

from accounts import crypto
from accounts.audit import client_ip
from accounts.errors import ApplicationError
from accounts.models import User
from accounts.services import user_signup


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # The service is the one way a student is created: it normalises the address, checks
        # the password policy and the profile fields, and gives the student default preferences.
        if not commit:
            return super().save_user(request, user, form, commit=False)
        data = form.cleaned_data
        try:
            return user_signup(
                email=data["email"],
                password=data["password1"],
                full_name=data.get("full_name", ""),
                timezone=data.get("timezone") or "UTC",
            )
        except ApplicationError:
            # Lost a race with another sign-up of the same address (the form checked it was
            # free): answer as for a taken address, which tells the requester nothing.
            if not User.objects.filter(email__iexact=data["email"]).exists():
                raise
            raise ImmediateHttpResponse(prevent_enumeration(request, email=data["email"])) from None

    def get_client_ip(self, request) -> str:
        # The same address the audit trail and axes record (AUDIT_TRUST_X_FORWARDED_FOR), so a
        # rate limit and a lockout count the same client.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client address.")
        return ip


class MFAAdapter(DefaultMFAAdapter):
    """The second factor's keys (the TOTP secret, the recovery codes' seed) are sealed at rest
    with the same AES-GCM keys as provider tokens, so a database copy alone cannot mint codes,
    and `rotate_encryption_key` re-seals them with the rest."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return reveal(encrypted_text)


def reveal(stored: str) -> str:
    """A stored second-factor key in the clear. Keys saved before they were sealed are in the
    clear already until the migration seals them; a sealed one that cannot be opened raises."""
    if stored.startswith(f"{crypto.CIPHERTEXT_PREFIX}:"):
        return crypto.decrypt(stored)
    return stored


# The keys of an authenticator's data that hold a secret (TOTP, recovery codes).
MFA_SECRET_KEYS = ("secret", "seed")


def mfa_data_sealed(data: dict) -> dict | None:
    """The authenticator data with every secret sealed under the current key, or None when
    nothing changes (all already sealed under it). For the migration and key rotation."""
    current = crypto.current_key().key_id
    changed = dict(data)
    for name in MFA_SECRET_KEYS:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            continue
        sealed = value.startswith(f"{crypto.CIPHERTEXT_PREFIX}:")
        if not sealed or crypto.key_id_of(value) != current:
            changed[name] = crypto.encrypt(reveal(value))
    return changed if changed != data else None
