"""Query benchmark: the SQL behind each load-tested endpoint, timed by PostgreSQL itself.

Against the same scaled database as bench_load (10,000 performance records), each endpoint is
requested once through Django's test client, with a real bearer token or session, and its SQL
captured. Every captured statement is then run again under
`EXPLAIN (ANALYZE, BUFFERS)` several times (writes inside a transaction that is rolled back),
which gives the server's own execution time without network or Python in the way.

Per endpoint the table shows the number of queries per request, the slowest query's p95
execution time ("query p95 ms", the target is under 100 ms), and the single slowest run
("query max ms"). The plans of the slowest queries are written to bench/out/query_plans.txt.
The dashboard's fragment cache is switched off here so that every query it can run is seen.

Run: `.venv/bin/python -m bench bench_queries` (needs PostgreSQL and Redis).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

from bench import loadkit

# Twenty runs make the p95 the second slowest, not simply the slowest.
REPEATS = 20
SLOW_PLANS_PER_ENDPOINT = 3
TARGET_MS = 100.0
PLANS_FILE = loadkit.OUT_DIR / "query_plans.txt"
EXPLAINABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _explain(cursor, sql: str, *, text: bool = False):
    from django.db import transaction

    options = "ANALYZE, BUFFERS" if text else "ANALYZE, BUFFERS, FORMAT JSON"
    # A rolled-back savepoint lets writes be measured without changing anything.
    with transaction.atomic():
        cursor.execute(f"EXPLAIN ({options}) {sql}")
        rows = cursor.fetchall()
        transaction.set_rollback(True)
    if text:
        return "\n".join(row[0] for row in rows)
    plan = rows[0][0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]


def capture() -> None:
    """In the child process: request, capture, explain; print one JSON line."""
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from bench.bench_load import ENDPOINT_NAMES, FLOOR, targets
    from journey.demo import DEMO_EMAIL

    seed = json.loads(os.environ["BENCH_SEED"])
    browser = Client()
    browser.force_login(User.objects.get(email=DEMO_EMAIL))
    api = Client(headers={"Authorization": f"Bearer {seed['token']}"})
    report = []
    plans_out = []
    with connection.cursor() as cursor:
        for target in [FLOOR, *targets(seed)]:
            client = api if target.auth == "token" else browser

            def request(client=client, target=target):
                return client.generic(
                    target.method,
                    target.path,
                    data=target.body or "",
                    content_type="application/json",
                )

            request()  # warm: sessions, caches and plans as a running server would have them
            with transaction.atomic():
                with CaptureQueriesContext(connection) as captured:
                    response = request()
                transaction.set_rollback(True)
            if response.status_code != target.expect:
                raise RuntimeError(f"{target.path} answered {response.status_code}")
            per_query = []
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith(EXPLAINABLE):
                    continue
                samples = [_explain(cursor, sql)["Execution Time"] for _ in range(REPEATS)]
                per_query.append((_p95(samples), max(samples), sql))
            per_query.sort(key=lambda item: item[0], reverse=True)
            name = ENDPOINT_NAMES[target.label]
            report.append(
                {
                    "endpoint": name,
                    "queries": len(captured.captured_queries),
                    "p95_ms": per_query[0][0] if per_query else 0.0,
                    "max_ms": max((item[1] for item in per_query), default=0.0),
                    "total_p95_ms": sum(item[0] for item in per_query),
                    "over_target": sum(1 for item in per_query if item[0] >= TARGET_MS),
                }
            )
            for p95_ms, _, sql in per_query[:SLOW_PLANS_PER_ENDPOINT]:
                plans_out.append(
                    f"=== {name}: p95 {p95_ms:.3f} ms over {REPEATS} runs\n{sql}\n\n"
                    f"{_explain(cursor, sql, text=True)}\n"
                )
    loadkit.OUT_DIR.mkdir(exist_ok=True)
    PLANS_FILE.write_text("\n".join(plans_out))
    print(json.dumps(report))


def run() -> list[dict]:
    problem = loadkit.services_problem()
    if problem:
        return [{"name": "query benchmark", "value": "FAILED", "unit": problem}]
    # Reuses the database bench_load just built (same scale); builds it when run alone.
    seed = loadkit.prepare(fresh=False)
    completed = subprocess.run(
        [loadkit.PYTHON, "-m", "bench.bench_queries", "--capture"],
        cwd=loadkit.ROOT,
        env=loadkit.app_env(DASHBOARD_CACHE_ENABLED="false", BENCH_SEED=json.dumps(seed)),
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(completed.stderr)
    loadkit.flush_bench_redis()
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    rows = []
    for item in report:
        endpoint = item["endpoint"]
        rows += [
            {
                "name": f"{endpoint}: queries per request",
                "value": item["queries"],
                "unit": "queries",
                "endpoint": endpoint,
                "column": "queries",
            },
            {
                "name": f"{endpoint}: slowest query p95 (EXPLAIN ANALYZE)",
                "value": round(item["p95_ms"], 2),
                "unit": "ms",
                "endpoint": endpoint,
                "column": "query p95 ms",
            },
            {
                "name": f"{endpoint}: slowest query max",
                "value": round(item["max_ms"], 2),
                "unit": "ms",
                "endpoint": endpoint,
                "column": "query max ms",
            },
            {
                "name": f"{endpoint}: all its queries, sum of p95",
                "value": round(item["total_p95_ms"], 2),
                "unit": "ms",
                "endpoint": endpoint,
                "column": "SQL sum ms",
            },
        ]
    rows.append(
        {
            "name": f"queries at or over {TARGET_MS:.0f} ms (p95), all endpoints",
            "value": sum(item["over_target"] for item in report),
            "unit": f"queries (target 0); plans of the slowest in {PLANS_FILE.relative_to(loadkit.ROOT)}",
        }
    )
    return rows


if __name__ == "__main__":
    if "--capture" in sys.argv:
        capture()
    else:
        for row in run():
            print(f"{row['name']}: {row['value']} {row['unit']}")
