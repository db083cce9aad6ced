"""Composed reads about accounts that other apps ask for."""

from __future__ import annotations

from allauth.account.models import EmailAddress


def email_is_deliverable(user) -> bool:
    """May the product send mail (other than the verification itself) to this user's address?

    Only to an active student's verified primary address: an unverified one may belong to
    someone else, who never asked for the planner's mail. allauth's EmailAddress is the source
    of truth; `user.email` follows the primary address when a change is verified.
    """
    if user is None or not user.is_active:
        return False
    return email_is_verified(user)


def email_is_verified(user) -> bool:
    """Is the user's login address their verified primary address?"""
    if user.pk is None or not user.email:
        return False
    return EmailAddress.objects.filter(
        user_id=user.pk, email__iexact=user.email, primary=True, verified=True
    ).exists()
