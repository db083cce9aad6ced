"""Composed reads about accounts that other apps ask for."""

from __future__ import annotations


def email_is_deliverable(user) -> bool:
    """May the product send mail (other than the verification itself) to this user's address?

    Only to a verified primary address: an unverified one may belong to someone else, who never
    asked for the planner's mail.
    """
    if user is None or not getattr(user, "is_active", False) or not user.email:
        return False
    return bool(user.is_verified)
