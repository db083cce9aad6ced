from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from accounts.timezones import user_zone


def test_a_users_zone_comes_from_their_profile():
    assert user_zone(SimpleNamespace(timezone="America/Chicago")) == ZoneInfo("America/Chicago")


def test_a_zone_name_gives_that_zone():
    assert user_zone("Asia/Kolkata") == ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize("name", ["", None, "Mars/Olympus_Mons", "../etc/passwd"])
def test_a_missing_or_unknown_zone_is_utc_not_an_error(name):
    assert user_zone(name) == ZoneInfo("UTC")
    assert user_zone(SimpleNamespace(timezone=name)) == ZoneInfo("UTC")
