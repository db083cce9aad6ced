"""`{% shell_url 'name' %}`: the page shell's links (templates/base.html and its includes).

The shell renders some twenty-five links on every page, none with arguments, and Django's
`{% url %}` reverses each one anew (tens of microseconds each, a millisecond or two a page). The
same name always reverses to the same path for a given URLconf and script prefix, so the path
is kept per process under that key; the key changes whenever either does, and changing the
ROOT_URLCONF setting (as tests do) empties it.
"""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=256)
def _reverse(urlconf: str | None, prefix: str, name: str) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def shell_url(name: str) -> str:
    """The path of an argument-free URL name, as `{% url name %}` gives it."""
    return _reverse(get_urlconf(), get_script_prefix(), name)


@receiver(setting_changed)
def _forget_paths(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()
