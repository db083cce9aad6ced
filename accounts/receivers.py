"""How the accounts layer reacts to login events, from Django's auth and from axes, and to the
account flows of allauth (sign-up, verification, email and password changes, second factor)."""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.audit import USERNAME_DIGEST_KEY, audit_forget_username, audit_record, username_digest
from accounts.models import AuditAction, User
from accounts.session_user import session_user_retire

# A failed login is not tied to an account (the name may not exist); the attempted username is
# kept only as a keyed digest (see accounts.audit.username_digest), never as typed.
ATTEMPTED_USERNAME_MAX_LENGTH = 254


def _attempted_username(credentials: dict | None) -> str:
    credentials = credentials or {}
    username = credentials.get("username") or credentials.get("email") or ""
    return username_digest(str(username)[:ATTEMPTED_USERNAME_MAX_LENGTH])


def _path(request) -> str:
    return getattr(request, "path", "") if request is not None else ""


@receiver(user_logged_in, dispatch_uid="accounts_audit_login_succeeded")
def audit_login_succeeded(sender, request, user, **kwargs):
    audit_record(action=AuditAction.LOGIN_SUCCEEDED, user=user, detail={"path": _path(request)})


@receiver(user_login_failed, dispatch_uid="accounts_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials` with stars; only the attempted
    # username is read from it, so nothing else the client typed is stored.
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        detail={
            USERNAME_DIGEST_KEY: _attempted_username(credentials),
            "path": _path(request),
        },
    )


@receiver(user_locked_out, dispatch_uid="accounts_audit_login_locked_out")
def audit_login_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit_record(
        action=AuditAction.LOGIN_LOCKED_OUT,
        detail={
            USERNAME_DIGEST_KEY: username_digest(
                str(username or "")[:ATTEMPTED_USERNAME_MAX_LENGTH]
            ),
            "path": _path(request),
        },
    )


@receiver(post_delete, sender=User, dispatch_uid="accounts_audit_forget_deleted_username")
def audit_forget_deleted_username(sender, instance, **kwargs):
    # In the deleting transaction: if the deletion rolls back, so does the forgetting.
    audit_forget_username(email=instance.email)


# --- allauth's account flows ----------------------------------------------------------------
# No address is written into these rows: the trail outlives a deleted account, its email must
# not (see audit_forget_username).


@receiver(account_signals.user_signed_up, dispatch_uid="accounts_audit_signed_up")
def audit_signed_up(sender, request, user, **kwargs):
    audit_record(action=AuditAction.SIGNED_UP, user=user, detail={"path": _path(request)})


@receiver(account_signals.email_confirmed, dispatch_uid="accounts_audit_email_verified")
def audit_email_verified(sender, request, email_address, **kwargs):
    audit_record(
        action=AuditAction.EMAIL_VERIFIED,
        user=email_address.user,
        detail={"primary": bool(email_address.primary)},
    )


@receiver(account_signals.email_changed, dispatch_uid="accounts_audit_email_changed")
def audit_email_changed(sender, request, user, from_email_address=None, **kwargs):
    audit_record(action=AuditAction.EMAIL_CHANGED, user=user, detail={"path": _path(request)})


@receiver(account_signals.password_changed, dispatch_uid="accounts_audit_password_changed")
def audit_password_changed(sender, request, user, **kwargs):
    audit_record(action=AuditAction.PASSWORD_CHANGED, user=user, detail={"path": _path(request)})


@receiver(account_signals.password_reset, dispatch_uid="accounts_audit_password_reset")
def audit_password_reset(sender, request, user, **kwargs):
    audit_record(action=AuditAction.PASSWORD_RESET, user=user, detail={"path": _path(request)})


def _authenticator_detail(authenticator) -> dict:
    return {"type": str(authenticator.type)}


@receiver(mfa_signals.authenticator_added, dispatch_uid="accounts_audit_mfa_added")
def audit_mfa_added(sender, request, user, authenticator, **kwargs):
    # Recovery codes come with the first factor; the factor itself is what turns 2FA on.
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        return
    audit_record(
        action=AuditAction.MFA_ENABLED, user=user, detail=_authenticator_detail(authenticator)
    )


@receiver(mfa_signals.authenticator_removed, dispatch_uid="accounts_audit_mfa_removed")
def audit_mfa_removed(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        return
    audit_record(
        action=AuditAction.MFA_DISABLED, user=user, detail=_authenticator_detail(authenticator)
    )


@receiver(mfa_signals.authenticator_reset, dispatch_uid="accounts_audit_mfa_reset")
def audit_mfa_reset(sender, request, user, authenticator, **kwargs):
    audit_record(
        action=AuditAction.MFA_RECOVERY_CODES_REGENERATED,
        user=user,
        detail=_authenticator_detail(authenticator),
    )


def session_user_on_user_row(sender, instance, **kwargs) -> None:
    # A password change, a deactivation, any edit: the cached session user is read again.
    session_user_retire(user_id=instance.pk)


post_save.connect(session_user_on_user_row, sender=User, dispatch_uid="accounts.session_user_saved")
post_delete.connect(
    session_user_on_user_row, sender=User, dispatch_uid="accounts.session_user_deleted"
)
