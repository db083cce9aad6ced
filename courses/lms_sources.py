"""The LMSs `POST /api/import/lms` can read through their API, beyond the iCalendar feed.

Reading Canvas or Moodle writes courses AND grades (mastery), so it lives in the integrations
layer, above this one. Courses must not import it; instead integrations registers one handler
per `lms_type` here at ready(), and the import view dispatches through this registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# (user, credentials) -> the JSON body of a successful import; raises ApplicationError.
LmsImportHandler = Callable[..., dict[str, Any]]

_handlers: dict[str, LmsImportHandler] = {}


def register(lms_type: str, handler: LmsImportHandler) -> None:
    _handlers[lms_type] = handler


def unregister(lms_type: str) -> None:
    _handlers.pop(lms_type, None)


def get(lms_type: str) -> LmsImportHandler | None:
    return _handlers.get(lms_type)


def registered_types() -> Mapping[str, LmsImportHandler]:
    return dict(_handlers)
