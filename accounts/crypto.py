"""AES-GCM encryption of secrets at rest: provider tokens and the second factor's keys.

Keys come from FIELD_ENCRYPTION_KEY ("<key id>:<urlsafe base64 of 32 bytes>"), never from
SECRET_KEY. Each ciphertext carries its key id so old keys (FIELD_ENCRYPTION_OLD_KEYS) can
still decrypt while `rotate_encryption_key` re-encrypts under the current one.
"""

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

CIPHERTEXT_PREFIX = "enc1"
NONCE_BYTES = 12  # the size AES-GCM is specified for


class EncryptionError(Exception):
    """A key is missing or wrong, or a stored value is not our ciphertext."""


@dataclass(frozen=True)
class EncryptionKey:
    key_id: str
    secret: bytes


def parse_key(spec: str) -> EncryptionKey:
    key_id, sep, encoded = (spec or "").partition(":")
    if not sep or not key_id or not encoded:
        raise EncryptionError("An encryption key must look like '<key id>:<base64 key>'.")
    try:
        secret = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError as exc:
        raise EncryptionError("The encryption key is not valid base64.") from exc
    if len(secret) != 32:
        raise EncryptionError("The encryption key must decode to 32 bytes (AES-256).")
    return EncryptionKey(key_id=key_id, secret=secret)


def current_key() -> EncryptionKey:
    return parse_key(settings.FIELD_ENCRYPTION_KEY)


def known_keys() -> dict[str, EncryptionKey]:
    keys = [parse_key(spec) for spec in settings.FIELD_ENCRYPTION_OLD_KEYS]
    keys.append(current_key())
    return {key.key_id: key for key in keys}


def generate_key_spec(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def encrypt(plaintext: str, key: EncryptionKey | None = None) -> str:
    key = key or current_key()
    nonce = os.urandom(NONCE_BYTES)
    # The key id is authenticated data, so a ciphertext cannot be relabelled to another key.
    sealed = AESGCM(key.secret).encrypt(nonce, plaintext.encode(), key.key_id.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode()
    return f"{CIPHERTEXT_PREFIX}:{key.key_id}:{body}"


def key_id_of(ciphertext: str) -> str:
    prefix, _, rest = ciphertext.partition(":")
    if prefix != CIPHERTEXT_PREFIX:
        raise EncryptionError("The stored value is not an encrypted secret.")
    return rest.partition(":")[0]


def decrypt(ciphertext: str) -> str:
    key_id = key_id_of(ciphertext)
    body = ciphertext.split(":", 2)[2]
    key = known_keys().get(key_id)
    if key is None:
        raise EncryptionError(f"No encryption key with id {key_id!r} is configured.")
    try:
        raw = base64.urlsafe_b64decode(body)
        return (
            AESGCM(key.secret)
            .decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key_id.encode())
            .decode()
        )
    except (InvalidTag, ValueError) as exc:
        raise EncryptionError("The secret could not be decrypted with the configured key.") from exc
