"""Composed reads of the accounts layer."""

from accounts.models import User


def email_is_deliverable(user: User) -> bool:
    """May anything but the verification itself be emailed to this user's address?

    Only to an active account whose address is verified: an unverified address may belong to
    someone else, who never asked for our mail.
    """
    return bool(user.is_active and user.is_verified and user.email)
