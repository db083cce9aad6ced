"""Failed-login audit rows stored the typed address; keep only its keyed digest from now on."""

from django.db import migrations


def digest_attempted_usernames(apps, schema_editor):
    from accounts.audit import ATTEMPTED_LOGIN_ACTIONS, USERNAME_DIGEST_KEY, username_digest

    AuditEvent = apps.get_model("accounts", "AuditEvent")
    rows = AuditEvent.objects.filter(
        action__in=[str(action) for action in ATTEMPTED_LOGIN_ACTIONS],
        detail__has_key="username",
    )
    for event in rows.iterator(chunk_size=500):
        event.detail[USERNAME_DIGEST_KEY] = username_digest(event.detail.pop("username"))
        event.save(update_fields=["detail"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_failedtask")]

    operations = [migrations.RunPython(digest_attempted_usernames, migrations.RunPython.noop)]
