import logging

import pytest
from django.core.management import call_command
from django.db import connection

from accounts import crypto
from integrations.models import IntegrationSettings

pytestmark = pytest.mark.django_db

TOKEN = "ya29.a0-very-secret-access-token"
REFRESH = "1//refresh-token-secret"


def raw_row(pk):
    table = IntegrationSettings._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT google_access_token, google_refresh_token, notion_access_token "  # noqa: S608
            f"FROM {table} WHERE id = %s",
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return cursor.fetchone()


def test_tokens_are_ciphertext_in_sql_and_plaintext_in_python(user):
    settings_row = IntegrationSettings.objects.create(
        user=user,
        google_access_token=TOKEN,
        google_refresh_token=REFRESH,
        notion_access_token="secret_notion",
    )
    stored = raw_row(settings_row.pk)
    assert all(value.startswith("enc1:dev:") for value in stored)
    assert not any(secret in value for value in stored for secret in (TOKEN, REFRESH, "notion"))
    fresh = IntegrationSettings.objects.get(pk=settings_row.pk)
    assert (fresh.google_access_token, fresh.google_refresh_token) == (TOKEN, REFRESH)


def test_each_encryption_uses_a_fresh_nonce():
    assert crypto.encrypt(TOKEN) != crypto.encrypt(TOKEN)


def test_wrong_key_raises_instead_of_returning_ciphertext(settings):
    ciphertext = crypto.encrypt(TOKEN)
    settings.FIELD_ENCRYPTION_KEY = "dev:" + crypto.generate_key_spec("x").split(":", 1)[1]
    with pytest.raises(crypto.EncryptionError):
        crypto.decrypt(ciphertext)


def test_unknown_key_id_and_missing_key_raise(settings):
    ciphertext = crypto.encrypt(TOKEN)
    settings.FIELD_ENCRYPTION_KEY = crypto.generate_key_spec("other")
    with pytest.raises(crypto.EncryptionError, match="No encryption key with id 'dev'"):
        crypto.decrypt(ciphertext)
    settings.FIELD_ENCRYPTION_KEY = ""
    with pytest.raises(crypto.EncryptionError):
        crypto.encrypt(TOKEN)


def test_tampered_ciphertext_and_plaintext_values_raise():
    ciphertext = crypto.encrypt(TOKEN)
    tampered = ciphertext[:-4] + ("AAAA" if not ciphertext.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.EncryptionError):
        crypto.decrypt(tampered)
    with pytest.raises(crypto.EncryptionError):
        crypto.decrypt(TOKEN)


def test_rotation_re_encrypts_under_new_key(settings, user):
    row = IntegrationSettings.objects.create(user=user, google_refresh_token=REFRESH)
    old_spec = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY = crypto.generate_key_spec("k2")
    settings.FIELD_ENCRYPTION_OLD_KEYS = [old_spec]
    call_command("rotate_encryption_key")
    assert raw_row(row.pk)[1].startswith("enc1:k2:")
    # The old key is no longer needed once rotated.
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    assert IntegrationSettings.objects.get(pk=row.pk).google_refresh_token == REFRESH


def test_generate_prints_a_usable_key(capsys):
    call_command("rotate_encryption_key", generate="2026q4")
    spec = capsys.readouterr().out.strip()
    assert crypto.parse_key(spec).key_id == "2026q4"


def test_tokens_never_appear_in_logs(user, caplog, settings):
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    row = IntegrationSettings.objects.create(user=user, google_access_token=TOKEN)
    IntegrationSettings.objects.get(pk=row.pk)
    assert "INSERT INTO" in caplog.text  # the SQL, with its parameters, was logged
    assert TOKEN not in caplog.text
    assert repr(row) and TOKEN not in repr(row) and TOKEN not in str(row)
