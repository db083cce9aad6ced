import hashlib

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken
from accounts.prepared import PreparedRead

# Writes of last_used_at are throttled so a busy script does not turn every read into a write.
LAST_USED_RESOLUTION_SECONDS = 60


def hash_token_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# Every API call makes this lookup: compiled once, it costs about its database round trip.
# The hash is unique, so no ordering or LIMIT is needed for a single row.
_token_with_user = PreparedRead(
    lambda key_hash: ApiToken.objects.select_related("user").filter(key_hash=key_hash),
    field=ApiToken._meta.get_field("key_hash"),
    sentinel="-" * 64,  # never a hash: hashes are hexadecimal
)


def api_token_for_key(key: str, *, read: PreparedRead = _token_with_user) -> ApiToken | None:
    """The token whose key this is (any state), with its user loaded, or None. `read` may be
    another compiled lookup of the token by its hash that also reads more (the ping's)."""
    tokens = read.objects(hash_token_key(key))
    return tokens[0] if tokens else None


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
        # A view may read what it needs in the same round trip as the token (the ping does):
        # its `api_token_lookup` gives the token as api_token_for_key does, with more on it.
        view = (getattr(request, "parser_context", None) or {}).get("view")
        lookup = getattr(view, "api_token_lookup", None) or api_token_for_key
        token = lookup(key)
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
