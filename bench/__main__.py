"""`make bench`: every benchmark module's rows, printed as one table from one run.

Figures are ratios or counts measured in the same run wherever possible, because absolute
times on a shared machine are noisy.
"""

import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path

import django

BENCH_DIR = Path(__file__).resolve().parent


def print_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def print_endpoint_summary(results: list[dict]) -> None:
    """Rows that name an endpoint and a column (the load and query benches) also appear
    pivoted, one line per endpoint, so the web figures read at a glance."""
    columns: list[str] = []
    by_endpoint: dict[str, dict[str, str]] = {}
    for row in results:
        if "endpoint" not in row or "column" not in row:
            continue
        if row["column"] not in columns:
            columns.append(row["column"])
        by_endpoint.setdefault(row["endpoint"], {})[row["column"]] = str(row["value"])
    if not by_endpoint:
        return
    print(
        "Endpoints (bench_wrk: x floor = endpoint req/s / floor req/s of the slice just before, 8"
    )
    print(
        "wrk connections; bench_queries: PostgreSQL's EXPLAIN ANALYZE times of the slowest query)"
    )
    print_table(
        ("endpoint", *columns),
        [(name, *(cells.get(c, "") for c in columns)) for name, cells in by_endpoint.items()],
    )
    print()


def bench_modules() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules([str(BENCH_DIR)]) if m.name.startswith("bench_")]
    wanted = sys.argv[1:]
    return [n for n in sorted(names) if not wanted or any(w in n for w in wanted)]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    django.setup()
    rows: list[tuple[str, str, str, str]] = []
    pivotable: list[dict] = []
    failures = 0
    for name in bench_modules():
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name} …", file=sys.stderr, flush=True)
        try:
            results = module.run()
        except Exception:
            failures += 1
            traceback.print_exc()
            rows.append((name, "FAILED", "", ""))
            continue
        pivotable += results
        for row in results:
            rows.append(
                (
                    name.removeprefix("bench_"),
                    str(row["name"]),
                    str(row["value"]),
                    str(row.get("unit") or row.get("note") or ""),
                )
            )
    print_endpoint_summary(pivotable)
    print_table(("suite", "measure", "value", "unit"), rows)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
