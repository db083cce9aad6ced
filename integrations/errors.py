"""Error types the sync services raise to their callers (tasks, views)."""


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
