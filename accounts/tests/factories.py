import factory

from accounts.models import User, UserPreferences


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
