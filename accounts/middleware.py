"""Request middleware owned by the accounts layer."""

from accounts.audit import reset_request_origin, set_request_origin


class AuditRequestMiddleware:
    """Holds the client IP and user agent for `audit_record` while the request is served.

    A contextvar rather than a thread-local: it is reset after each response, so a worker
    thread never carries one request's origin into the next."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_request_origin(request)
        try:
            return self.get_response(request)
        finally:
            reset_request_origin(token)
