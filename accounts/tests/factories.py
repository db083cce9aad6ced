from datetime import timedelta

import factory
from django.utils import timezone

from accounts.authentication import hash_token_key
from accounts.models import ApiToken, User, UserPreferences


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"student{n}@example.org")
    full_name = factory.Faker("name")
    school_name = "State University"
    timezone = "America/New_York"
    password = factory.django.Password("correct-horse-battery")


class UserPreferencesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserPreferences

    user = factory.SubFactory(UserFactory)


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token stored as the app stores it; pass raw_key=... to know the key it accepts."""

    class Meta:
        model = ApiToken

    class Params:
        raw_key = factory.Sequence(lambda n: f"test-key-{n}-0123456789abcdefghijklmnop")

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"script {n}")
    prefix = factory.LazyAttribute(lambda token: token.raw_key[:8])
    key_hash = factory.LazyAttribute(lambda token: hash_token_key(token.raw_key))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
