from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
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

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        """A primary address, verified unless `verified=False`: most tests are about students
        who finished sign-up; the sign-up tests make their own through the pages."""
        if not create:
            return
        EmailAddress.objects.update_or_create(
            user=user,
            email=user.email,
            defaults={"primary": True, "verified": extracted is None or bool(extracted)},
        )


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
