"""The session engine: Django's cached_db, reading the backend names sessions were signed in
under before accounts.backends as those classes (see RENAMED_BACKENDS)."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends import cached_db

RENAMED_BACKENDS = {
    "allauth.account.auth_backends.AuthenticationBackend": "accounts.backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend": "accounts.backends.AdminBackend",
}


def renamed(data: dict) -> dict:
    backend = data.get(BACKEND_SESSION_KEY)
    if backend in RENAMED_BACKENDS:
        data[BACKEND_SESSION_KEY] = RENAMED_BACKENDS[backend]
    return data


class SessionStore(cached_db.SessionStore):
    def load(self):
        return renamed(super().load())
