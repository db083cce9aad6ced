"""The authentication backends that load a session's user (axes's, first in the list, only
refuses locked-out logins), each as its library ships it but for one thing: the session's user
is read through accounts.session_user, from the cache when warm.

Sessions signed in before these classes named the library classes; accounts.sessions reads
those names as these, so nobody is signed out by the change.
"""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend

from accounts.session_user import session_user_get


class CachedSessionUserMixin:
    def get_user(self, user_id):
        user = session_user_get(
            user_id, load=lambda: super(CachedSessionUserMixin, self).get_user(user_id)
        )
        # A stored row is checked like a loaded one (a deactivation also retires it).
        return user if user is not None and self.user_can_authenticate(user) else None


class EmailBackend(CachedSessionUserMixin, AuthenticationBackend):
    """allauth: logs students in by email, and refuses an unverified one."""


class AdminBackend(CachedSessionUserMixin, ModelBackend):
    """Django's own, for the admin."""
