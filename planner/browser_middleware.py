"""Django's browser-session middleware, skipped by token API calls.

A script calling the API with a Bearer token has no session and no flash messages: its user
comes from the token, inside the API view. These are Django's own middleware, and they answer
every other request exactly as before; a token API call skips them, so it does not pay for a
session store and a message store and their checks of the response. The request still
carries a user, anonymous until the API view authenticates the token (as for a request
without a session cookie), so anything reading `request.user` before the view works as before.

In its own module: planner.middleware is loaded by the logging configuration, before the apps
(and the auth models) are ready.
"""

from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as sessions_middleware

from planner.middleware import is_token_api_call


class TokenApiSkipMixin:
    def __call__(self, request):
        if is_token_api_call(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(TokenApiSkipMixin, sessions_middleware.SessionMiddleware):
    pass


class AuthenticationMiddleware(TokenApiSkipMixin, auth_middleware.AuthenticationMiddleware):
    def __call__(self, request):
        if is_token_api_call(request):
            request.user = AnonymousUser()
            return self.get_response(request)
        return super().__call__(request)


class MessageMiddleware(TokenApiSkipMixin, messages_middleware.MessageMiddleware):
    pass
