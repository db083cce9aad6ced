"""Staff reach every model of the product through the admin, and every page of it loads."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from accounts.tests.factories import UserFactory

PRODUCT_APPS = {"journey", "accounts", "courses", "mastery", "scheduling", "integrations"}


def product_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in PRODUCT_APPS and not model.__name__.startswith("Historical")
    ]


def test_every_product_model_is_in_the_admin():
    missing = [m._meta.label for m in product_models() if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.django_db
def test_every_changelist_and_add_page_answers_for_staff(client, user):
    staff = UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)
    client.force_login(staff)
    for model in product_models():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        # Queue and audit models are read-only by design: their add page is forbidden.
        assert add.status_code in (200, 403), opts.label
