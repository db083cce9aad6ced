"""What the management commands that work student by student share."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def users_for_option(email: str | None):
    """Every user, in email order, or only the one whose email `--user` named."""
    users = get_user_model().objects.order_by("email")
    if email:
        users = users.filter(email__iexact=email.strip())
        if not users.exists():
            raise CommandError(f"No user with email {email}.")
    return users
