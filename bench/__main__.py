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


def bench_modules() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules([str(BENCH_DIR)]) if m.name.startswith("bench_")]
    wanted = sys.argv[1:]
    return [n for n in sorted(names) if not wanted or any(w in n for w in wanted)]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    django.setup()
    rows: list[tuple[str, str, str, str]] = []
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
        for row in results:
            rows.append(
                (
                    name.removeprefix("bench_"),
                    str(row["name"]),
                    str(row["value"]),
                    str(row.get("unit") or row.get("note") or ""),
                )
            )
    headers = ("suite", "measure", "value", "unit")
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
