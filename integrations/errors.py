"""Error types the sync services raise to their callers (tasks, views)."""


class TransientSyncError(Exception):
    """The provider asked us to slow down or failed on its side: retry later."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class SyncBusyError(Exception):
    """Another worker holds this student's sync lock for the provider."""
