"""`{{ task.pk|task_url:"scheduling:task_start" }}`: the same URL as `{% url %}`, for pages
that list many blocks (the week shows a card with four actions for every block of seven days).

A block's action URLs differ only in its id, so each is reversed once, with a stand-in id, and
the id is put in its place; reversing every one of them was a fifth of the week's render time.
"""

from functools import lru_cache
from uuid import UUID

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

# A well-formed id no block has: the pattern accepts it, and it appears nowhere else in a path.
_STAND_IN = UUID("00000000-0000-4000-8000-00000000beef")


@lru_cache(maxsize=64)
def _pattern(view_name: str, urlconf: str | None, script_prefix: str) -> str:
    return reverse(view_name, args=[_STAND_IN], urlconf=urlconf)


@register.filter
def task_url(pk, view_name: str) -> str:
    # The prefix and the URLconf are in the key: either can change per request.
    pattern = _pattern(view_name, get_urlconf(), get_script_prefix())
    return pattern.replace(str(_STAND_IN), str(pk))
