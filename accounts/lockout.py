"""The response to a locked-out login attempt: a page for people, JSON for programs."""

import math

from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render

LOCKED_OUT_STATUS = 429
LOCKED_OUT_MESSAGE = (
    "Too many failed attempts to log in to this account from your network. "
    "Please wait and try again, or reset your password."
)


def _wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith("/api/")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or ("application/json" in accept and "text/html" not in accept)
    )


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After, so clients know when to try again."""
    cool_off = get_cool_off(request)
    retry_after_seconds = math.ceil(cool_off.total_seconds()) if cool_off else None
    if _wants_json(request):
        body = {"detail": LOCKED_OUT_MESSAGE, "code": "locked_out"}
        if retry_after_seconds is not None:
            body["retry_after_seconds"] = retry_after_seconds
        response = JsonResponse(body, status=LOCKED_OUT_STATUS)
    else:
        minutes = math.ceil(retry_after_seconds / 60) if retry_after_seconds else None
        response = render(
            request,
            "accounts/lockout.html",
            {"message": LOCKED_OUT_MESSAGE, "minutes": minutes},
            status=LOCKED_OUT_STATUS,
        )
    if retry_after_seconds is not None:
        response["Retry-After"] = str(retry_after_seconds)
    return response


def lockout_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the email typed, normalised as logins compare it, so changing
    its case does not buy an attacker a fresh set of attempts."""
    credentials = credentials or {}
    # allauth authenticates with `email`; Django's admin login with `username`; allauth's login
    # form posts the address as `login`.
    username = credentials.get("username") or credentials.get("email")
    if username is None and request is not None:
        post = getattr(request, "POST", {})
        username = post.get("login") or post.get("username")
    if username is None:
        return None
    return str(username).strip().lower()
