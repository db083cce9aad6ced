"""Verification moves to allauth's EmailAddress: every student gets a primary address row,
verified when `is_verified` said so, and the boolean column goes (one source of truth)."""

from django.db import migrations


def addresses_from_users(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    existing = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(
                user_id=user.pk, email=user.email.lower(), primary=True, verified=user.is_verified
            )
            for user in User.objects.only("pk", "email", "is_verified").iterator()
            if user.pk not in existing
        ],
        batch_size=1000,
    )


def users_from_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    verified = EmailAddress.objects.filter(primary=True, verified=True).values("user_id")
    User.objects.filter(pk__in=verified).update(is_verified=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_preferences_time_format"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.RunPython(addresses_from_users, users_from_addresses),
        migrations.RemoveField(model_name="user", name="is_verified"),
    ]
