"""accounts.page_cache below the pages: one render per part at a time, a request's generation
read once and re-read after a write, and the small cached values of the page shell."""

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from accounts import page_cache
from accounts.page_cache import cached_part, cached_value, student_pages_invalidate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]

NOW = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


class Renders:
    """A part's render that counts its calls."""

    def __init__(self, html="<p>part</p>"):
        self.html = html
        self.calls = 0

    def __call__(self, extra):
        self.calls += 1
        return self.html, None


def part(request, render):
    return cached_part(request, name="test", key="k", render=render, now=NOW)


def test_a_warm_part_is_not_rendered_again(user):
    render = Renders()
    assert part(request_of(user), render) == "<p>part</p>"
    assert part(request_of(user), render) == "<p>part</p>"
    assert render.calls == 1


def test_a_request_that_finds_the_part_rendering_serves_that_copy(user, monkeypatch):
    request = request_of(user)
    key = page_cache._part_key(
        user, name="test", key="k", generation=page_cache.request_generation(request)
    )
    # Another request of the same student is rendering this part.
    cache.add(f"{key}:rendering", 1)

    def other_request_finishes(seconds):
        cache.set(key, {"html": "<p>theirs</p>", "expires_at": None})

    monkeypatch.setattr(page_cache.time, "sleep", other_request_finishes)
    mine = Renders("<p>mine</p>")
    assert part(request, mine) == "<p>theirs</p>"
    assert mine.calls == 0


def test_a_render_lock_left_behind_only_delays_the_part(user, monkeypatch):
    monkeypatch.setattr(page_cache, "RENDER_WAIT_SECONDS", 0)
    request = request_of(user)
    render = Renders()
    generation = page_cache.request_generation(request)
    # Every key of this student and generation looks locked: the render goes ahead anyway.
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)
    assert part(request, render) == "<p>part</p>"
    assert render.calls == 1
    assert page_cache.request_generation(request) == generation


def test_a_failed_render_releases_its_lock(user):
    def failing(extra):
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        part(request_of(user), failing)
    render = Renders()
    assert part(request_of(user), render) == "<p>part</p>"
    assert render.calls == 1


def test_a_request_reads_the_generation_once_and_again_after_a_write(user, monkeypatch):
    request = request_of(user)
    reads = []
    real = page_cache.student_generation
    monkeypatch.setattr(
        page_cache, "student_generation", lambda user_id: reads.append(user_id) or real(user_id)
    )
    first = page_cache.request_generation(request)
    assert page_cache.request_generation(request) == first
    assert len(reads) == 1
    student_pages_invalidate(user_id=user.pk)
    assert page_cache.request_generation(request) != first
    assert len(reads) == 2


def test_a_cached_value_lasts_until_the_students_next_write(user, other_user):
    computed = []

    def compute():
        computed.append(1)
        return {"answer": len(computed)}

    assert cached_value(request_of(user), name="test", compute=compute) == {"answer": 1}
    assert cached_value(request_of(user), name="test", compute=compute) == {"answer": 1}
    # Another student's value is their own.
    assert cached_value(request_of(other_user), name="test", compute=compute) == {"answer": 2}
    student_pages_invalidate(user_id=user.pk)
    assert cached_value(request_of(user), name="test", compute=compute) == {"answer": 3}


def test_a_cached_value_the_caller_cannot_use_is_computed_again(user):
    cached_value(request_of(user), name="test", compute=lambda: {"full": False})
    value = cached_value(
        request_of(user),
        name="test",
        compute=lambda: {"full": True},
        keep=lambda cached: cached["full"],
    )
    assert value == {"full": True}
    assert cached_value(request_of(user), name="test", compute=lambda: None) == {"full": True}


def test_with_the_cache_off_values_are_read_live(user, settings):
    settings.DASHBOARD_CACHE_ENABLED = False
    answers = iter([1, 2])
    assert cached_value(request_of(user), name="test", compute=lambda: next(answers)) == 1
    assert cached_value(request_of(user), name="test", compute=lambda: next(answers)) == 2


def test_a_request_that_waited_in_vain_leaves_the_others_lock(user, monkeypatch):
    monkeypatch.setattr(page_cache, "RENDER_WAIT_SECONDS", 0)
    request = request_of(user)
    key = page_cache._part_key(
        user, name="test", key="k", generation=page_cache.request_generation(request)
    )
    cache.add(f"{key}:rendering", 1)
    part(request, Renders())
    assert cache.get(f"{key}:rendering") == 1
