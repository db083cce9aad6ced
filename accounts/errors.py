"""The one error type that services raise for broken business rules.

It lives in the lowest layer so every app can raise it; the API maps it to HTTP 400 in one
place (`planner.api.exception_handler`) and views turn it into form errors.
"""


class ApplicationError(Exception):
    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
