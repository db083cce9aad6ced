"""A second factor turned on before its keys were sealed keeps working after the migration that
seals them, and is no longer in the clear in the database."""

import pytest

from accounts.allauth_adapter import MFAAdapter
from accounts.tests.factories import UserFactory
from planner.testing.migrations import migrate_to

BEFORE = [("accounts", "0010_teacher_role"), ("mfa", "0003_authenticator_type_uniq")]
AFTER = [("accounts", "0011_mfa_secrets_sealed")]


@pytest.mark.django_db(transaction=True)
def test_keys_saved_in_the_clear_are_sealed_by_the_migration():
    user = UserFactory()
    old_apps = migrate_to(BEFORE)
    OldAuthenticator = old_apps.get_model("mfa", "Authenticator")
    totp = OldAuthenticator.objects.create(
        user_id=user.pk, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    codes = OldAuthenticator.objects.create(
        user_id=user.pk,
        type="recovery_codes",
        data={"seed": "00112233445566778899", "used_mask": 0},
    )
    new_apps = migrate_to(AFTER)
    Authenticator = new_apps.get_model("mfa", "Authenticator")
    sealed_totp = Authenticator.objects.get(pk=totp.pk).data
    sealed_codes = Authenticator.objects.get(pk=codes.pk).data
    assert sealed_totp["secret"].startswith("enc1:")
    assert MFAAdapter().decrypt(sealed_totp["secret"]) == "JBSWY3DPEHPK3PXP"
    assert MFAAdapter().decrypt(sealed_codes["seed"]) == "00112233445566778899"
    assert sealed_codes["used_mask"] == 0
