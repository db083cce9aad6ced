"""Response headers every page and API answer carries.

- `Permissions-Policy` on every response: the app uses no camera, microphone, location, payment
  or sensor API, so none may be used by it or by anything it frames. A script injected despite
  the CSP gains nothing there.
- `Cache-Control: no-store` on every response to an authenticated request (session or API token):
  a student's plan, grades or a freshly created token must not be kept by a shared computer's
  browser cache or an intermediate proxy.
- `Content-Security-Policy` (django-csp), with the policy string built once per process instead
  of on every response.
"""

from functools import cache

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

NO_STORE = "no-store"
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "bluetooth",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


def _is_authenticated(request) -> bool:
    # DRF's token authentication sets request.user on the Django request as well, so by the
    # time the response comes back both kinds of login are visible here.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if _is_authenticated(request):
            # Replaces whatever a view set (a max-age included): a private answer is never stored.
            response["Cache-Control"] = NO_STORE
        return response


# Stands in for the nonce in the cached policy; base64 never produces it.
_NONCE_SLOT = "{nonce}"
# A view's own policy (csp_update, csp_replace, csp_exempt and the like) takes django-csp's path.
_PER_RESPONSE_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt",
    "_csp_exempt_ro",
)


@cache
def _cached_policy() -> tuple[str, str, tuple[str, ...]] | None:
    """(the policy without a nonce, the policy with the nonce slot, excluded path prefixes), or
    None when a report-only policy is configured: that one takes django-csp's own path."""
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
    if not policy or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None):
        return None
    prefixes = tuple(policy.get("EXCLUDE_URL_PREFIXES") or ())
    return build_policy(), build_policy(nonce=_NONCE_SLOT), prefixes


@receiver(setting_changed)
def _forget_cached_policy(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _cached_policy.cache_clear()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware: the same header, the same nonce rules, but the policy string is
    built once, not per response (building it copies and sorts every directive)."""

    def process_response(self, request, response):
        cached = _cached_policy()
        if (
            cached is None
            or any(hasattr(response, name) for name in _PER_RESPONSE_POLICY)
            # django-csp leaves Django's debug error pages without a policy.
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        plain, with_slot, excluded = cached
        if HEADER not in response and not request.path_info.startswith(excluded):
            nonce = getattr(request, "_csp_nonce", None)
            response[HEADER] = with_slot.replace(_NONCE_SLOT, nonce) if nonce else plain
        if getattr(request, "_csp_nonce", None) is None:
            # As django-csp: a nonce asked for after the header is written is an error.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
