"""Collapse repeated follow-up calls made inside one unit of work into one call per key.

A replan saves hundreds of blocks, and each save would retire the student's cached dashboard
panels; an import of fifty grades would ask for fifty replans. Inside `coalescing()` such calls
go through `call_once(key, ...)` and run once per key when the outermost scope ends (after the
transactions inside it have committed and their on-commit work has run). Outside any scope
`call_once` calls at once, so code that is not in a scope behaves as before.

The state is per thread: a request or a task is one unit of work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

_state = threading.local()


@contextmanager
def coalescing() -> Iterator[None]:
    if getattr(_state, "pending", None) is not None:
        yield  # nested: the outermost scope runs the calls
        return
    _state.pending = {}
    try:
        yield
    finally:
        # Calls made while flushing (a replan's own follow-ups) are coalesced too.
        while _state.pending:
            pending, _state.pending = _state.pending, {}
            for function, kwargs in pending.values():
                function(**kwargs)
        _state.pending = None


def call_once(key: Hashable, function: Callable[..., Any], **kwargs: Any) -> None:
    pending = getattr(_state, "pending", None)
    if pending is None:
        function(**kwargs)
    else:
        pending.setdefault(key, (function, kwargs))
