import hashlib

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken

# Writes of last_used_at are throttled so a busy script does not turn every read into a write.
LAST_USED_RESOLUTION_SECONDS = 60


def hash_token_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` with a personal API token (hashed at rest, expiring)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Malformed token.") from None
        # The hash is unique: a plain lookup, without the ordering first() would add to every
        # authenticated call (compiling and sorting for a single row).
        try:
            token = ApiToken.objects.select_related("user").get(key_hash=hash_token_key(key))
        except ApiToken.DoesNotExist:
            token = None
        now = timezone.now()
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is inactive.")
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
