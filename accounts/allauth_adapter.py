"""How the account flows (django-allauth) fit this product: sign-ups go through the accounts
service, and the client address is the one the audit trail and the lockout see."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.signup import prevent_enumeration
from allauth.core.exceptions import ImmediateHttpResponse
from django.core.exceptions import PermissionDenied

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
