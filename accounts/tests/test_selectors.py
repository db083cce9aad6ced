import pytest
from allauth.account.models import EmailAddress

from accounts.selectors import email_is_deliverable
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_verified_primary_address_is_deliverable():
    user = UserFactory()
    assert email_is_deliverable(user) is True
    assert user.is_verified is True


def test_an_unverified_address_is_not_deliverable():
    user = UserFactory(verified=False)
    assert email_is_deliverable(user) is False
    assert user.is_verified is False


def test_an_inactive_user_is_not_sent_to():
    assert email_is_deliverable(UserFactory(is_active=False)) is False


def test_a_verified_address_that_is_not_the_login_is_not_enough():
    # A second, verified address does not make an unverified login address deliverable.
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email="other@example.org", verified=True, primary=False)
    assert email_is_deliverable(user) is False


def test_a_user_without_any_address_row_is_not_deliverable():
    user = UserFactory()
    EmailAddress.objects.filter(user=user).delete()
    assert email_is_deliverable(user) is False
