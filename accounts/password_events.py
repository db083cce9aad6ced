"""A new password ends every other way in: all of the student's API tokens are revoked.

Django already logs other devices' sessions out on a password change or reset (the session
holds a hash of the password). Tokens do not: a token stolen before the change would keep
working for up to a year. So every save that follows `set_password` (the change and reset
views, the admin, `changepassword`, any service) revokes the user's active tokens in the same
transaction. A hash upgrade at login does not count: Django clears `_password` before that save.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone as dj_timezone

from accounts.audit import audit_record
from accounts.models import ApiToken, AuditAction, User


def api_tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every active token of `user`; returns how many were revoked."""
    now = dj_timezone.now()
    with transaction.atomic():
        tokens = list(ApiToken.objects.for_user(user).active(now).select_for_update())
        for token in tokens:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            audit_record(
                action=AuditAction.TOKEN_REVOKED,
                user=user,
                detail={"token_id": str(token.pk), "name": token.name, "reason": reason},
            )
    return len(tokens)


@receiver(post_save, sender=User, dispatch_uid="accounts_revoke_tokens_on_password_change")
def revoke_tokens_on_password_change(sender, instance, created, **kwargs):
    # `_password` holds the new raw password from set_password until AbstractBaseUser.save
    # has run the validators' password_changed hooks, i.e. during this signal.
    if created or kwargs.get("raw") or getattr(instance, "_password", None) is None:
        return
    api_tokens_revoke_all(user=instance, reason="password_changed")
