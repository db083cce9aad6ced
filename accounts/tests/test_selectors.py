import pytest

from accounts.selectors import email_is_deliverable
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_verified_active_address_is_deliverable():
    assert email_is_deliverable(UserFactory(is_verified=True)) is True


def test_an_unverified_address_is_not_deliverable():
    assert email_is_deliverable(UserFactory(is_verified=False)) is False


def test_an_inactive_user_is_not_sent_to():
    assert email_is_deliverable(UserFactory(is_verified=True, is_active=False)) is False
