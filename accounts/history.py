"""Every model's version history: django-simple-history's `HistoricalRecords`, with the manager
class behind `.history` built once per model instead of on every access.

simple_history builds that class with `Manager.from_queryset` each time `.history` is read,
and every save of a tracked model reads it to write its historical row; building a manager
class inspects every method of the queryset, which cost a write more than its own INSERT.
The class is the same every time, so it is kept.
"""

from __future__ import annotations

import threading

from simple_history.manager import HistoryManager as LibraryHistoryManager
from simple_history.models import HistoricalRecords as LibraryHistoricalRecords


class HistoryManager(LibraryHistoryManager):
    _classes: dict[tuple, type] = {}
    _classes_lock = threading.Lock()

    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        key = (cls, queryset_class, class_name)
        manager_class = cls._classes.get(key)
        if manager_class is None:
            with cls._classes_lock:
                manager_class = cls._classes.setdefault(
                    key, super().from_queryset(queryset_class, class_name)
                )
        return manager_class


class HistoricalRecords(LibraryHistoricalRecords):
    def __init__(self, *args, history_manager=HistoryManager, **kwargs):
        super().__init__(*args, history_manager=history_manager, **kwargs)
