"""Re-encrypt every stored secret (provider tokens, second-factor keys) under the current
FIELD_ENCRYPTION_KEY.

Rotation: set the new key as FIELD_ENCRYPTION_KEY, move the old one to
FIELD_ENCRYPTION_OLD_KEYS, run this command, then drop the old key.
"""

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from accounts import crypto
from accounts.allauth_adapter import mfa_data_sealed
from integrations.models import IntegrationSettings

SECRET_COLUMNS = ("google_access_token", "google_refresh_token", "notion_access_token")


class Command(BaseCommand):
    help = (
        "Re-encrypt provider tokens and second-factor keys under the current key "
        "(or print a new key with --generate)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generate", metavar="KEY_ID", help="print a new key spec and exit")

    def handle(self, *args, generate=None, **options):
        if generate:
            self.stdout.write(crypto.generate_key_spec(generate))
            return
        current = crypto.current_key()
        table = IntegrationSettings._meta.db_table
        rotated = 0
        with transaction.atomic():
            # Lock first, in primary-key order, so a concurrent token refresh waits for us.
            list(IntegrationSettings.objects.select_for_update().order_by("pk").values("pk"))
            # Raw values: the field would decrypt on read and hide which key sealed them.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, {', '.join(SECRET_COLUMNS)} FROM {table} ORDER BY id"  # noqa: S608
                )
                raw_rows = cursor.fetchall()
            for pk, *values in raw_rows:
                updates = {}
                for column, value in zip(SECRET_COLUMNS, values, strict=True):
                    if value and crypto.key_id_of(value) != current.key_id:
                        updates[column] = crypto.decrypt(value)
                if updates:
                    # The field encrypts on save, under the current key.
                    IntegrationSettings.objects.filter(pk=pk).update(**updates)
                    rotated += 1
            for authenticator in Authenticator.objects.select_for_update().order_by("pk"):
                data = mfa_data_sealed(authenticator.data or {})
                if data is not None:
                    Authenticator.objects.filter(pk=authenticator.pk).update(data=data)
                    rotated += 1
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted {rotated} row(s) under key {current.key_id!r}.")
        )
