"""The page shell's tags (templates/base.html and its includes).

`{% shell_url 'name' %}`: the shell renders some twenty-five links on every page, none with
arguments, and Django's `{% url %}` reverses each one anew (tens of microseconds each, a
millisecond or two a page). The same name always reverses to the same path for a given URLconf
and script prefix, so the path is kept per process under that key; the key changes whenever
either does, and changing the ROOT_URLCONF setting (as tests do) empties it.

`{% shell_header %}`: the header (brand, "Continue setup", the "More" menu, the main
navigation) is the same text for everyone in the same state: signed in or not, the setup step
to resume, the current page. It is rendered once per process for each state and kept, with a
placeholder for the CSRF token of its logout form that each response fills with its own.
"""

from functools import lru_cache
from types import SimpleNamespace

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe

from accounts.page_cache import CSRF_PLACEHOLDER

register = template.Library()

HEADER_TEMPLATE = "includes/_shell_header.html"


@lru_cache(maxsize=256)
def _reverse(urlconf: str | None, prefix: str, name: str) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def shell_url(name: str) -> str:
    """The path of an argument-free URL name, as `{% url name %}` gives it."""
    return _reverse(get_urlconf(), get_script_prefix(), name)


# Bounded by the pages times the setup steps; a few hundred short strings per process.
@lru_cache(maxsize=1024)
def _header(engine, urlconf, prefix, is_signed_in: bool, resume, view_name) -> str:
    context = template.Context(
        {
            "user": SimpleNamespace(is_authenticated=is_signed_in),
            "setup_resume": resume,
            "request": SimpleNamespace(resolver_match=SimpleNamespace(view_name=view_name)),
            "csrf_token": CSRF_PLACEHOLDER,
        }
    )
    # The file's final newline is the editor's: base.html has its own after the tag.
    return engine.get_template(HEADER_TEMPLATE).render(context).removesuffix("\n")


@register.simple_tag(takes_context=True)
def shell_header(context) -> str:
    request = context.get("request")
    user = context.get("user")
    is_signed_in = bool(user is not None and user.is_authenticated)
    resume = context.get("setup_resume") if is_signed_in else None
    if callable(resume):
        resume = resume()
    match = getattr(request, "resolver_match", None)
    html = _header(
        context.template.engine,
        get_urlconf(),
        get_script_prefix(),
        is_signed_in,
        resume,
        match.view_name if match is not None else None,
    )
    if CSRF_PLACEHOLDER in html:
        # The page's own token (the same one its other forms and hx-headers carry).
        html = html.replace(CSRF_PLACEHOLDER, str(context.get("csrf_token")))
    return mark_safe(html)  # noqa: S308 - rendered by our own template, escaped there


@receiver(setting_changed)
def _forget_paths(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()
        _header.cache_clear()
    if setting == "TEMPLATES":
        _header.cache_clear()
