"""Error types the sync services raise to their callers (tasks, views)."""

import contextlib
from collections.abc import Iterator


class TransientSyncError(Exception):
    """The provider asked us to slow down or failed on its side: retry later."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class SyncBusyError(Exception):
    """Another worker holds this student's sync lock for the provider."""


class ProviderDisconnectedError(Exception):
    """The provider no longer accepts our credentials: the connection is dropped and the
    student is told why (`message`), instead of retrying."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ProviderSyncError(Exception):
    """The provider refused the run for a reason a retry will not fix."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@contextlib.contextmanager
def provider_errors_translated(
    *, retryable: type[Exception], disconnected: type[Exception], base: type[Exception]
) -> Iterator[None]:
    """A provider client's own error types become the ones the generic sync run understands.

    Order matters: the retryable and disconnected types are subclasses of the client's base error.
    """
    try:
        yield
    except retryable as exc:
        raise TransientSyncError(str(exc), retry_after=exc.retry_after) from exc
    except disconnected as exc:
        raise ProviderDisconnectedError(exc.message) from exc
    except base as exc:
        raise ProviderSyncError(str(exc)) from exc
