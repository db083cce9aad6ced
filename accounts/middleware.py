"""Request middleware owned by the accounts layer."""

from accounts.audit import reset_request_origin, set_request_origin
from accounts.coalesce import coalescing


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


class CoalescingMiddleware:
    """One request is one unit of work for `accounts.coalesce`: the follow-ups it asks for
    (a replan per student, a dashboard retirement per student) run once each, before the
    response leaves, however many rows asked for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with coalescing():
            return self.get_response(request)
