"""A compiled read (accounts/prepared.py) returns what the ORM returns for the same QuerySet."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.authentication import api_token_for_key
from accounts.models import ApiToken, User, UserPreferences
from accounts.prepared import PreparedRead
from accounts.tests.factories import ApiTokenFactory, UserPreferencesFactory

pytestmark = pytest.mark.django_db

KEY = "prepared-key-0123456789abcdefghijklmnopq"


def _columns(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


def test_the_token_lookup_gives_the_orms_token_and_user_in_one_query(user):
    ApiTokenFactory(user=user, raw_key=KEY, last_used_at=timezone.now() - timedelta(hours=1))
    expected = ApiToken.objects.select_related("user").get(prefix=KEY[:8])
    with CaptureQueriesContext(connection) as queries:
        token = api_token_for_key(KEY)
        assert _columns(token) == _columns(expected)
        assert _columns(token.user) == _columns(expected.user)
        assert isinstance(token.user, User) and not token._state.adding
    assert len(queries) == 1
    assert token.expires_at.tzinfo is not None
    assert api_token_for_key(KEY + "x") is None


def test_a_values_read_gives_the_orms_values_for_each_value(user, other_user):
    read = PreparedRead(
        lambda user_id: UserPreferences.objects.filter(user_id=user_id).values_list(
            "updated_at", "weekly_availability"
        ),
        field=UserPreferences._meta.get_field("user").target_field,
        sentinel=uuid.UUID(int=0),
    )
    for owner in (user, other_user):
        UserPreferencesFactory(user=owner)
        expected = list(
            UserPreferences.objects.filter(user=owner).values_list(
                "updated_at", "weekly_availability"
            )
        )
        assert [tuple(row) for row in read.rows(owner.pk)] == expected


def test_a_sentinel_that_is_not_one_parameter_is_refused():
    read = PreparedRead(
        lambda value: ApiToken.objects.filter(prefix="x"),
        field=ApiToken._meta.get_field("prefix"),
        sentinel="never-used",
    )
    with pytest.raises(ValueError):
        read.rows("x")


def test_annotations_come_back_as_attributes_as_the_orm_sets_them(user):
    from django.db.models import OuterRef, Subquery

    older = UserPreferencesFactory(user=user)
    newest = UserPreferencesFactory(user=user)
    UserPreferences.objects.filter(pk=newest.pk).update(
        created_at=older.created_at + timedelta(hours=1),
        updated_at=older.updated_at + timedelta(hours=2),
    )
    ApiTokenFactory(user=user, raw_key=KEY)

    def build(key_hash):
        newest_time = (
            UserPreferences.objects.filter(user_id=OuterRef("user_id"))
            .order_by("-created_at")
            .values("updated_at")[:1]
        )
        return (
            ApiToken.objects.select_related("user")
            .filter(key_hash=key_hash)
            .annotate(preferences_updated_at=Subquery(newest_time))
        )

    read = PreparedRead(build, field=ApiToken._meta.get_field("key_hash"), sentinel="-" * 64)
    expected = build(ApiToken.objects.get(user=user).key_hash).get()
    (token,) = read.objects(expected.key_hash)
    assert token.preferences_updated_at == expected.preferences_updated_at
    assert token.preferences_updated_at.tzinfo is not None
    assert _columns(token.user) == _columns(expected.user)
