"""Response headers every page and API answer carries.

- `Permissions-Policy` on every response: the app uses no camera, microphone, location, payment
  or sensor API, so none may be used by it or by anything it frames. A script injected despite
  the CSP gains nothing there.
- `Cache-Control: no-store` on every response to an authenticated request (session or API token):
  a student's plan, grades or a freshly created token must not be kept by a shared computer's
  browser cache or an intermediate proxy.
"""

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
