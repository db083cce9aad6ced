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


def key_of(request):
    """The cache key of `part`'s part for this request's student and generation."""
    return page_cache._part_key(
        request.user, name="test", key="k", generation=page_cache.request_generation(request)
    )


def test_a_warm_part_is_not_rendered_again(user):
    render = Renders()
    assert part(request_of(user), render) == "<p>part</p>"
    assert part(request_of(user), render) == "<p>part</p>"
    assert render.calls == 1


def test_a_request_that_finds_the_part_rendering_serves_that_copy(user, monkeypatch):
    request = request_of(user)
    key = key_of(request)
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
    key = key_of(request)
    cache.add(f"{key}:rendering", 1)
    part(request, Renders())
    assert cache.get(f"{key}:rendering") == 1


class PartReads:
    """Counts the reads of cached parts from the shared cache."""

    def __init__(self, monkeypatch):
        self.keys = []
        real = cache.get

        def get(key, *args, **kwargs):
            if key.startswith("pages:part:"):
                self.keys.append(key)
            return real(key, *args, **kwargs)

        monkeypatch.setattr(cache, "get", get)


def test_a_warm_part_is_served_from_the_process_without_a_cache_read(user, monkeypatch):
    render = Renders()
    part(request_of(user), render)
    reads = PartReads(monkeypatch)
    assert part(request_of(user), render) == "<p>part</p>"
    assert reads.keys == []
    assert render.calls == 1


def test_a_retired_part_is_not_served_from_the_process(user):
    render = Renders()
    part(request_of(user), render)
    student_pages_invalidate(user_id=user.pk)
    render.html = "<p>after the write</p>"
    assert part(request_of(user), render) == "<p>after the write</p>"
    assert render.calls == 2


def test_a_part_another_process_rendered_is_kept_by_this_one(user, monkeypatch):
    request = request_of(user)
    key = key_of(request)
    cache.set(key, {"html": "<p>theirs</p>", "expires_at": None})
    render = Renders("<p>mine</p>")
    assert part(request, render) == "<p>theirs</p>"
    reads = PartReads(monkeypatch)
    assert part(request_of(user), render) == "<p>theirs</p>"
    assert reads.keys == []
    assert render.calls == 0


def test_the_process_copy_goes_stale_with_the_part(user):
    due = datetime(2026, 12, 2, 18, 30, tzinfo=UTC)
    calls = []

    def render(extra):
        calls.append(1)
        return f"<p>render {len(calls)}</p>", due

    assert part(request_of(user), render) == "<p>render 1</p>"
    assert part(request_of(user), render) == "<p>render 1</p>"
    later = cached_part(request_of(user), name="test", key="k", render=render, now=due)
    assert later == "<p>render 2</p>"


def test_the_process_keeps_at_most_its_limit_and_drops_the_oldest(user, settings, monkeypatch):
    settings.PAGE_CACHE_LOCAL_CHARS = 30
    first, second = Renders("<p>" + "a" * 15 + "</p>"), Renders("<p>" + "b" * 15 + "</p>")
    cached_part(request_of(user), name="first", key="k", render=first, now=NOW)
    cached_part(request_of(user), name="second", key="k", render=second, now=NOW)
    reads = PartReads(monkeypatch)
    # The second fits beside nothing else: the first was dropped from the process and comes
    # from the shared cache, still unrendered.
    cached_part(request_of(user), name="second", key="k", render=second, now=NOW)
    assert reads.keys == []
    cached_part(request_of(user), name="first", key="k", render=first, now=NOW)
    assert len(reads.keys) == 1
    assert (first.calls, second.calls) == (1, 1)


def test_a_part_larger_than_the_limit_is_never_kept_by_the_process(user, settings, monkeypatch):
    settings.PAGE_CACHE_LOCAL_CHARS = 5
    render = Renders()
    part(request_of(user), render)
    reads = PartReads(monkeypatch)
    assert part(request_of(user), render) == "<p>part</p>"
    assert len(reads.keys) == 1
    assert render.calls == 1


def test_a_cached_value_is_served_from_the_process_until_the_next_write(user, monkeypatch):
    computed = []

    def compute():
        computed.append(1)
        return ("answer", len(computed))

    cached_value(request_of(user), name="test", compute=compute)
    value_reads = []
    real = cache.get
    monkeypatch.setattr(
        cache,
        "get",
        lambda key, *a, **k: (
            (key.startswith("pages:value:") and value_reads.append(key)) or real(key, *a, **k)
        ),
    )
    assert cached_value(request_of(user), name="test", compute=compute) == ("answer", 1)
    assert value_reads == []
    student_pages_invalidate(user_id=user.pk)
    assert cached_value(request_of(user), name="test", compute=compute) == ("answer", 2)
