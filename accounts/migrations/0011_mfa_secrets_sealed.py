"""Seal the second-factor keys saved in the clear before they were encrypted at rest."""

from django.db import migrations


def seal(apps, schema_editor):
    from accounts.allauth_adapter import mfa_data_sealed

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.order_by("pk").iterator():
        data = mfa_data_sealed(authenticator.data or {})
        if data is not None:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_teacher_role"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
