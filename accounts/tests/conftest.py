import pytest

from accounts.signals import preferences_changed


@pytest.fixture
def preferences_events():
    """Every preferences_changed sent during the test, as the user ids it carried."""
    received: list = []

    def receiver(sender, user_id, **kwargs):
        received.append(user_id)

    preferences_changed.connect(receiver, weak=False)
    yield received
    preferences_changed.disconnect(receiver)
