"""Shared by the fault tests: a private Redis that fails them in CI when redis-server is
missing, and the per-fault report that `make faults` prints as a table.

Each fault test measures the same things: grades sent and arrived, duplicates, errors, and the
time from the end of the fault to a fully caught-up system. With FAULTS_REPORT set to a file
path, `report_fault` appends one JSON line there; `python -m planner.tests.faults FILE` prints
those lines as a table.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from conftest import require
from planner.testing.services import PrivateRedis

FAULTS_REPORT_ENV = "FAULTS_REPORT"


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    require(shutil.which("redis-server") is not None, "needs redis-server on PATH")
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()


@dataclass
class FaultOutcome:
    fault: str
    sent: int
    arrived: int
    duplicates: int
    errors: int
    recovery_s: float


def report_fault(outcome: FaultOutcome) -> None:
    print(f"fault outcome: {json.dumps(asdict(outcome))}")
    path = os.environ.get(FAULTS_REPORT_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as report:
            report.write(json.dumps(asdict(outcome)) + "\n")


COLUMNS = (
    ("fault", "Fault", "{}"),
    ("sent", "Grades sent", "{}"),
    ("arrived", "Arrived", "{}"),
    ("duplicates", "Duplicates", "{}"),
    ("errors", "Errors", "{}"),
    ("recovery_s", "Recovery (s)", "{:.1f}"),
)


def table(rows: list[dict]) -> str:
    cells = [[title for _, title, _ in COLUMNS]]
    cells += [[form.format(row[key]) for key, _, form in COLUMNS] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(COLUMNS))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
        for line in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(path: str) -> int:
    with open(path, encoding="utf-8") as report:
        rows = [json.loads(line) for line in report if line.strip()]
    print(table(rows) if rows else "no fault outcomes were reported")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
