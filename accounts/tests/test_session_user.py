"""The session's user from the cache (accounts/session_user.py, accounts/backends.py): a warm
page loads no user row, and every change to the user (a password change, a deactivation, an
edit, a deletion) is seen on the next request, in every session. Sessions signed in under the
library backends' names stay signed in (accounts/sessions.py)."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import page_cache
from accounts.models import User
from accounts.sessions import RENAMED_BACKENDS, renamed
from courses.tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "plum-orbit-canyon-47"
PAGE = "courses:list"


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.SESSION_USER_CACHE_ENABLED = True
    cache.clear()
    yield
    cache.clear()


def user_reads(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(PAGE)).status_code == 200
    return sum('FROM "accounts_user"' in query["sql"] for query in captured.captured_queries)


def signed_in(client) -> bool:
    return client.get(reverse(PAGE)).status_code == 200


@pytest.fixture
def browser(user):
    CourseFactory(user=user)
    client = Client()
    client.force_login(user)
    return client


def test_a_warm_page_reads_no_user_row(browser):
    assert user_reads(browser) == 1
    assert user_reads(browser) == 0


def test_the_page_shows_the_users_edit_at_once(browser, user):
    browser.get(reverse(PAGE))
    user.full_name = "Augusta Ada King"
    user.save()
    html = browser.get(reverse("accounts:profile")).content.decode()
    assert "Augusta Ada King" in html


def test_a_password_change_signs_out_the_other_sessions(browser, user):
    assert signed_in(browser)
    assert signed_in(browser)  # warm
    changer = Client()
    changer.force_login(user)
    response = changer.post(
        reverse("accounts:password_change"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert signed_in(changer)
    assert not signed_in(browser)


def test_a_deactivated_user_is_signed_out_at_once(browser, user):
    assert signed_in(browser)
    assert signed_in(browser)
    user.is_active = False
    user.save()
    assert not signed_in(browser)


def test_a_deleted_user_is_signed_out(browser, user):
    assert signed_in(browser)
    User.objects.filter(pk=user.pk).delete()
    assert not signed_in(browser)


def test_one_users_row_never_serves_another(browser, user, other_user):
    CourseFactory(user=other_user)
    browser.get(reverse(PAGE))
    other = Client()
    other.force_login(other_user)
    html = other.get(reverse("accounts:profile")).content.decode()
    assert other_user.email in html
    assert user.email not in html


def test_with_the_cache_off_every_page_reads_the_user(browser, settings):
    settings.SESSION_USER_CACHE_ENABLED = False
    assert user_reads(browser) == 1
    assert user_reads(browser) == 1


@pytest.mark.parametrize("old", sorted(RENAMED_BACKENDS))
def test_a_session_signed_in_under_a_librarys_backend_stays_signed_in(old):
    data = renamed({SESSION_KEY: "id", BACKEND_SESSION_KEY: old})
    assert data[BACKEND_SESSION_KEY] == RENAMED_BACKENDS[old]


def test_a_login_names_the_caching_backend(client, user):
    response = client.post(reverse("accounts:login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.EmailBackend"


@pytest.mark.parametrize("old", sorted(RENAMED_BACKENDS))
def test_a_stored_session_under_an_old_name_is_still_signed_in(user, settings, old):
    settings.SESSION_ENGINE = "accounts.sessions"
    CourseFactory(user=user)
    client = Client()
    client.force_login(user, backend=old)
    assert signed_in(client)
    assert signed_in(client)


@pytest.mark.usefixtures("page_cache_on")
def test_a_warm_page_reads_its_generation_with_the_user(browser, user, monkeypatch):
    browser.get(reverse("scheduling:week"))
    batched, alone = [], []
    real_get_many = cache.get_many

    def get_many(keys, *args, **kwargs):
        batched.append(keys)
        return real_get_many(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", get_many)
    monkeypatch.setattr(page_cache, "student_generation", lambda user_id: alone.append(user_id))
    assert browser.get(reverse("scheduling:week")).status_code == 200
    assert any(f"pages:generation:{user.pk}" in keys for keys in batched)
    assert alone == []


@pytest.mark.usefixtures("page_cache_on")
def test_a_write_in_the_request_rereads_the_generation_it_got_with_the_user(user):
    stored = page_cache.retirement_mark()
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=user.pk)
    page_cache.remember_generation(request.user, 12345, retired=stored)
    assert page_cache.request_generation(request) == 12345
    page_cache.student_pages_invalidate(user_id=user.pk)
    assert page_cache.request_generation(request) not in (None, 12345)
