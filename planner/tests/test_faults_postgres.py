"""PostgreSQL restarted under load: requests in flight fail cleanly and the service recovers.

The app runs in a real gunicorn against a PRIVATE PostgreSQL cluster (own port, own data
directory, started here), because the test stops that server: the machine's shared PostgreSQL is
never touched. Client threads write grades and read API lists and pages while the cluster goes
down and comes back. Celery publishes to a real Redis broker with no worker, as production's web
tier does, so every recompute a committed grade enqueued is still in the queue to be counted.
"""

import base64
import contextlib
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from conftest import redis_available, redis_url, require
from planner import views
from planner.api import RETRY_AFTER_SECONDS, UNAVAILABLE_DETAIL
from planner.testing.clock import command as clock_command
from planner.testing.services import free_port
from planner.testing.workers import celery_worker
from planner.tests.faults import FaultOutcome, report_fault

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_BIN_DIR = Path(os.environ.get("PG_BIN_DIR", "/usr/lib/postgresql/15/bin"))
# A Redis database of its own: the session's Celery worker consumes the default one and would
# take (and drop) the recomputes this test counts.
FAULT_REDIS_DB = 13
APP_DATABASE = "planner_fault"
# Two workers of four threads: in-flight requests in both processes when the server goes away.
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4
WRITER_THREADS = 4
READER_THREADS = 2
# Long enough that every kind of request surely meets the database down, short enough to keep
# the test quick; a real restart is the same outage, only shorter.
OUTAGE_SECONDS = 1.5
# Enough grades before the outage that writes are surely in flight when it starts.
WRITES_BEFORE_OUTAGE = 12
WRITES_AFTER_OUTAGE_PER_WRITER = 3
STARTUP_TIMEOUT_S = 40
LOAD_DEADLINE_S = 30
HTTP_TIMEOUT_S = 20
DRAIN_TIMEOUT_S = 60
LEAKED_INTERNALS = ("Traceback", "OperationalError", "InterfaceError", "psycopg", 'File "/')


# --- The error answers, through the real request stack (no services needed) --------------------


def _lost_database(request):
    raise OperationalError("terminating connection due to administrator command")


def _bug(request):
    raise ValueError("a programming error with internals: /srv/app/secret.py")


class _LostDatabaseApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise OperationalError("the database system is shutting down")


# This module doubles as the URLconf of the tests below: the app's routes plus views that fail.
handler500 = views.server_error
urlpatterns = [
    path("api/lost-database", _LostDatabaseApi.as_view()),
    path("api/raw-lost-database", _lost_database),
    path("api/bug", _bug),
    path("lost-database", _lost_database),
    path("bug", _bug),
    path("", include("planner.urls")),
]
FAILING_URLS = pytest.mark.urls(__name__)


@pytest.fixture
def plain_client():
    return Client(raise_request_exception=False)


@FAILING_URLS
@pytest.mark.parametrize("url", ["/api/lost-database", "/api/raw-lost-database"])
def test_api_answers_503_json_while_the_database_is_away(plain_client, url):
    response = plain_client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {"detail": UNAVAILABLE_DETAIL}


@FAILING_URLS
def test_page_answers_503_page_while_the_database_is_away(plain_client):
    response = plain_client.get("/lost-database")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.content.decode()
    assert "Back in a moment" in body
    assert not any(text in body for text in LEAKED_INTERNALS)


@FAILING_URLS
def test_other_errors_are_a_plain_500_without_internals(plain_client):
    page = plain_client.get("/bug")
    assert page.status_code == 500
    assert "Something went wrong" in page.content.decode()
    assert "secret.py" not in page.content.decode()
    api = plain_client.get("/api/bug")
    assert api.status_code == 500
    assert api.json() == {"detail": "Internal server error."}
    assert "Retry-After" not in page and "Retry-After" not in api


# --- A private PostgreSQL cluster ---------------------------------------------------------------


@dataclass
class PrivatePostgres:
    root: Path
    port: int
    run_as: list[str]

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        self.run(str(PG_BIN_DIR / "pg_ctl"), "-D", str(self.data_dir), *args)

    def run(self, *command: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - fixed argv, no shell
            [*self.run_as, *command], check=True, capture_output=True, timeout=60, **kwargs
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            # The host never crashes in this test, so durability to disk buys nothing here.
            " -c fsync=off -c full_page_writes=off"
        )
        self.pg_ctl("start", "-w", "-t", "30", "-l", str(self.log_path), "-o", options)

    def stop(self, mode: str) -> None:
        self.pg_ctl("stop", "-w", "-t", "30", "-m", mode)

    def server_log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    from django.db import connection

    # The app's schema comes from the PostgreSQL test database (see _copy_schema).
    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL or CI=true)")
    require((PG_BIN_DIR / "initdb").exists(), f"needs PostgreSQL server binaries in {PG_BIN_DIR}")
    run_as: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="planner-pgfault-"))
    if os.geteuid() == 0:
        # initdb refuses to run as root; the cluster belongs to the postgres OS user.
        require(shutil.which("runuser") is not None, "needs runuser to start PostgreSQL as root")
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    cluster = PrivatePostgres(root=root, port=free_port(), run_as=run_as)
    try:
        cluster.run(
            str(PG_BIN_DIR / "initdb"),
            "-D",
            str(cluster.data_dir),
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def _copy_schema(*, source: dict, cluster: PrivatePostgres, database: str) -> None:
    """The test database's migrated schema (and its migration ledger) into the private cluster:
    the same result as `migrate`, in a second instead of a quarter of a minute."""
    env = {**os.environ}
    if source.get("PASSWORD"):
        env["PGPASSWORD"] = source["PASSWORD"]
    connect = [
        f"--host={source.get('HOST') or '127.0.0.1'}",
        f"--port={source.get('PORT') or 5432}",
        f"--username={source.get('USER') or 'postgres'}",
    ]
    psql = [
        str(PG_BIN_DIR / "psql"),
        "--quiet",
        "--no-psqlrc",
        "--set=ON_ERROR_STOP=1",
        f"--dbname={cluster.url(database)}",
    ]
    dump = [str(PG_BIN_DIR / "pg_dump"), *connect, "--no-owner", "--no-privileges"]
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [str(PG_BIN_DIR / "createdb"), f"--maintenance-db={cluster.url('postgres')}", database],
        check=True,
        capture_output=True,
        timeout=60,
    )
    for part in (["--schema-only"], ["--data-only", "--table=django_migrations"]):
        schema = subprocess.run(  # noqa: S603
            [*dump, *part, source["NAME"]], env=env, check=True, capture_output=True, timeout=60
        )
        subprocess.run(  # noqa: S603
            psql, input=schema.stdout, check=True, capture_output=True, timeout=60
        )


# --- The app in gunicorn ------------------------------------------------------------------------


@dataclass
class AppServer:
    port: int
    token: str
    session_key: str
    broker_url: str
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# Production settings but for static files: serving them from the finders spares a
# collectstatic into the checkout, and static files play no part in a database outage.
SETTINGS_OVERRIDE = """
from planner.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
"""

SETUP_SCRIPT = """
import json
from django.test import Client
from accounts.services import api_token_create, user_signup
user = user_signup(
    email="restart@example.org", password="a-long-Passphrase-91", full_name="Rita Restart",
    timezone="Europe/Berlin",
)
token, key = api_token_create(user=user, name="fault test")
browser = Client()
browser.force_login(user)
print(json.dumps({"token": key, "session": browser.cookies["sessionid"].value}))
"""


def _fault_broker_url() -> str:
    parts = urlsplit(redis_url())
    return urlunsplit(parts._replace(path=f"/{FAULT_REDIS_DB}"))


@pytest.fixture(scope="module")
def app_server(private_postgres, django_db_setup) -> Iterator[AppServer]:
    from django.db import connection

    broker_url = _fault_broker_url()
    require(redis_available(broker_url), f"needs Redis at {broker_url}")
    import redis

    broker = redis.Redis.from_url(broker_url)
    for queue in ("mastery", "planning", "sync"):
        broker.delete(queue)

    _copy_schema(source=connection.settings_dict, cluster=private_postgres, database=APP_DATABASE)
    settings_dir = private_postgres.root / "settings"
    settings_dir.mkdir()
    (settings_dir / "fault_settings.py").write_text(SETTINGS_OVERRIDE)
    encryption_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(settings_dir), str(REPO_ROOT)]),
        "DJANGO_SETTINGS_MODULE": "fault_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEY": f"k1:{encryption_key}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": private_postgres.url(APP_DATABASE),
        # Persistent connections, as production runs: every one of them dies in the restart.
        "CONN_MAX_AGE": "60",
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
    }
    port = free_port()
    log_path = private_postgres.root / "gunicorn.log"
    command = [
        *clock_command("gunicorn"),
        "planner.wsgi:application",
        f"--workers={GUNICORN_WORKERS}",
        f"--threads={GUNICORN_THREADS}",
        f"--bind=127.0.0.1:{port}",
        "--timeout=30",
        "--graceful-timeout=5",
        "--log-level=info",
        # One import in the master, then fork: the workers are up in half the time.
        "--preload",
    ]
    with open(log_path, "ab") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches the workers
        )
    try:
        # The student is created while gunicorn boots: neither waits for the other.
        setup = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "shell", "-c", SETUP_SCRIPT],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        credentials = json.loads(setup.stdout.strip().splitlines()[-1])
        server = AppServer(
            port=port,
            token=credentials["token"],
            session_key=credentials["session"],
            broker_url=broker_url,
            log_path=log_path,
            process=process,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while _booted_workers(server.log()) < GUNICORN_WORKERS or not _is_up(port):
            assert process.poll() is None, f"gunicorn exited:\n{server.log()[-3000:]}"
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{server.log()[-3000:]}"
            time.sleep(0.2)
        yield server
    finally:
        # The master and its workers, at once: nothing is in flight any more, and even a quick
        # shutdown waits seconds for the master.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for queue in ("mastery", "planning", "sync"):
            broker.delete(queue)
        # The app's sessions and cache entries (Django's ":1:" key prefix) would otherwise stay
        # for weeks in this Redis database, one set per run.
        for key in broker.scan_iter(":1:*"):
            broker.delete(key)


def _booted_workers(log: str) -> int:
    return log.count("Booting worker with pid")


def _is_up(port: int) -> bool:
    try:
        return _request(port, "GET", "/healthz").status == 200
    except (OSError, http.client.HTTPException):
        return False


# --- A small HTTP client that keeps every outcome ----------------------------------------------


@dataclass
class Outcome:
    kind: str  # "write", "api-read", "page", "healthz", "readyz"
    started: float
    finished: float = 0.0
    status: int | None = None
    body: str = ""
    headers: dict = field(default_factory=dict)
    transport_error: str | None = None


@dataclass
class Reply:
    status: int
    body: str
    headers: dict


def _request(port: int, method: str, path: str, *, body=None, headers=None) -> Reply:
    # A fresh connection per request: a reset then can only come from the server side.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)
    try:
        payload = json.dumps(body) if body is not None else None
        all_headers = {"Host": "127.0.0.1", **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        return Reply(response.status, text, {k.lower(): v for k, v in response.getheaders()})
    finally:
        connection.close()


class LoadClient:
    def __init__(self, server: AppServer):
        self.server = server
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()

    def api(self, method: str, path: str, body=None) -> Reply:
        headers = {"Authorization": f"Bearer {self.server.token}", "Accept": "application/json"}
        return _request(self.server.port, method, path, body=body, headers=headers)

    def page(self, path: str) -> Reply:
        headers = {"Cookie": f"sessionid={self.server.session_key}", "Accept": "text/html"}
        return _request(self.server.port, "GET", path, headers=headers)

    def record(self, kind: str, call) -> Outcome:
        outcome = Outcome(kind=kind, started=time.monotonic())
        try:
            reply = call()
        except (OSError, http.client.HTTPException) as exc:
            outcome.transport_error = repr(exc)
        else:
            outcome.status, outcome.body, outcome.headers = reply.status, reply.body, reply.headers
        outcome.finished = time.monotonic()
        with self._lock:
            self.outcomes.append(outcome)
        return outcome


# --- The test -----------------------------------------------------------------------------------


@pytest.mark.services
# Marked so the test database is migrated: its schema is what the private cluster is given.
@pytest.mark.django_db(transaction=True)
def test_postgres_restart_under_load_fails_cleanly_and_recovers(app_server, private_postgres):
    client = LoadClient(app_server)
    course, assessment, topic = _create_course(client)
    markers_before = _recompute_markers(private_postgres)

    stop = threading.Event()
    outage = {"down_at": None, "up_at": None}
    successes_after_outage: dict[int, int] = {}

    def grade_body(writer: int, n: int) -> dict:
        return {
            "course": course,
            "assessment": assessment,
            "score": (writer * 7 + n) % 100,
            "time_spent_min": 20,
            "completed_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        }

    def writer(number: int) -> None:
        successes_after_outage[number] = 0
        n = 0
        while not stop.is_set():
            n += 1
            body = grade_body(number, n)
            outcome = client.record(
                "write", lambda body=body: client.api("POST", "/api/performance", body)
            )
            if outcome.status == 201 and outage["up_at"] and outcome.started > outage["up_at"]:
                successes_after_outage[number] += 1

    grades_list = f"/api/performance?course={course}"

    def reader(number: int) -> None:
        page = "/" if number % 2 == 0 else "/mastery/"
        while not stop.is_set():
            client.record("api-read", lambda: client.api("GET", grades_list))
            client.record("page", lambda: client.page(page))

    def prober() -> None:
        while not stop.is_set():
            client.record("healthz", lambda: _request(app_server.port, "GET", "/healthz"))
            client.record("readyz", lambda: _request(app_server.port, "GET", "/readyz"))
            time.sleep(0.02)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITER_THREADS)]
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(READER_THREADS)]
    threads.append(threading.Thread(target=prober))
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + LOAD_DEADLINE_S
        while _count(client, "write", 201) < WRITES_BEFORE_OUTAGE:
            assert time.monotonic() < deadline, _summary(client)
            time.sleep(0.05)
        # The restart, stretched so the outage is surely seen: fast shutdown terminates every
        # backend, so the transactions in flight are cut off mid-way.
        outage["down_at"] = time.monotonic()
        private_postgres.stop("fast")
        time.sleep(OUTAGE_SECONDS)
        private_postgres.start()
        outage["up_at"] = time.monotonic()
        while min(successes_after_outage.values()) < WRITES_AFTER_OUTAGE_PER_WRITER:
            assert time.monotonic() < deadline, (
                f"no recovery after the restart: {_summary(client)}\n"
                f"{app_server.log()[-3000:]}\n{private_postgres.server_log()}"
            )
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=HTTP_TIMEOUT_S + 5)

    outcomes = client.outcomes
    summary = _summary(client)

    # No worker crashed or hung: every request got an HTTP answer from the same two workers.
    resets = [o for o in outcomes if o.transport_error]
    assert not resets, f"{len(resets)} requests got no HTTP answer, e.g. {resets[:3]}"
    assert app_server.process.poll() is None
    log = app_server.log()
    assert _booted_workers(log) == GUNICORN_WORKERS, log[-3000:]
    assert "WORKER TIMEOUT" not in log

    # Every answer is a success or a clean 503, and the outage was really met.
    allowed = {
        "write": {201, 503},
        "api-read": {200, 503},
        "page": {200, 503},
        "healthz": {200},
        "readyz": {200, 503},
    }
    unexpected = [o for o in outcomes if o.status not in allowed[o.kind]]
    assert not unexpected, (
        f"{summary}; e.g. {[(o.kind, o.status, o.body[:300]) for o in unexpected[:3]]}"
    )
    for kind in ("write", "api-read", "page", "readyz"):
        assert _count(client, kind, 503) > 0, f"the outage was not seen by {kind}: {summary}"
    for outcome in outcomes:
        if outcome.status != 503:
            continue
        assert not any(text in outcome.body for text in LEAKED_INTERNALS), outcome.body[:2000]
        if outcome.kind != "readyz":
            assert outcome.headers.get("retry-after", "").isdigit(), outcome
        if outcome.kind in {"write", "api-read"}:
            assert outcome.headers["content-type"].startswith("application/json")
            assert json.loads(outcome.body) == {"detail": UNAVAILABLE_DETAIL}
        elif outcome.kind == "page":
            assert outcome.headers["content-type"].startswith("text/html")
            assert "Back in a moment" in outcome.body
        else:
            assert json.loads(outcome.body) == {
                "ready": False,
                "checks": {"database": "unavailable", "redis": "ok"},
                "failed": ["database"],
            }
    not_ready = [o for o in outcomes if o.kind == "readyz" and o.status == 503]
    # A probe already on its way when the server stopped may fail, so answers are placed by when
    # they arrived: ready until the outage began.
    early = [o.body for o in not_ready if o.finished < outage["down_at"]]
    assert not early, f"not ready before the outage: {early[:3]}\n{app_server.log()[-3000:]}"

    # Recovered without a gunicorn restart: the same workers answer everything again.
    assert client.api("GET", grades_list).status == 200
    assert client.page("/").status == 200
    assert _request(app_server.port, "GET", "/readyz").status == 200

    # No partial writes: exactly the answered 201s are stored, each whole.
    created_ids = {
        json.loads(o.body)["id"] for o in outcomes if o.kind == "write" and o.status == 201
    }
    _assert_only_whole_records(app_server, private_postgres, created_ids, topic)
    # The recompute marker is written in the grade's own transaction: one per stored grade.
    assert _recompute_markers(private_postgres) - markers_before == len(created_ids)

    # The work queued across the outage completes: a worker folds every stored grade, once.
    with celery_worker(
        broker_url=app_server.broker_url,
        database_url=private_postgres.url(APP_DATABASE),
        queues="mastery",
    ):
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while _recompute_markers(private_postgres) or _queued(app_server, "mastery"):
            assert time.monotonic() < deadline, "the queued recomputes were not all done"
            time.sleep(0.2)
    _assert_mastery_folds(private_postgres, created_ids, topic)
    writes = [o for o in outcomes if o.kind == "write"]
    recovered_at = min(
        o.finished for o in writes if o.status == 201 and o.finished > outage["up_at"]
    )
    report_fault(
        FaultOutcome(
            fault=f"PostgreSQL restarted ({OUTAGE_SECONDS} s down; errors are 503 + Retry-After)",
            sent=len(writes),
            arrived=len(created_ids),
            duplicates=0,  # _assert_only_whole_records: exactly the answered 201s are stored
            errors=sum(1 for o in writes if o.status != 201),
            recovery_s=recovered_at - outage["up_at"],
        )
    )


def _create_course(client: LoadClient) -> tuple[str, str, str]:
    today = timezone.localdate()
    course = client.api(
        "POST",
        "/api/courses",
        {
            "name": "Thermodynamics",
            "code": "PHY-210",
            "semester": "Fall",
            "start_date": (today - timedelta(days=30)).isoformat(),
            "end_date": (today + timedelta(days=90)).isoformat(),
        },
    )
    assert course.status == 201, course.body
    course_id = json.loads(course.body)["id"]
    topic = client.api("POST", f"/api/courses/{course_id}/topics", {"name": "Entropy"})
    assert topic.status == 201, topic.body
    topic_id = json.loads(topic.body)["id"]
    assessment = client.api(
        "POST",
        f"/api/courses/{course_id}/assessments",
        {
            "name": "Weekly quiz",
            "type": "quiz",
            "weight_percent": 10,
            "due_date": (timezone.now() + timedelta(days=20)).isoformat(),
            "max_score": 100,
            "topic_ids": [topic_id],
        },
    )
    assert assessment.status == 201, assessment.body
    return course_id, json.loads(assessment.body)["id"], topic_id


def _assert_only_whole_records(server, cluster, created_ids: set[str], topic_id: str) -> None:
    import psycopg
    import redis

    from mastery.models import PerformanceRecord

    records = PerformanceRecord._meta.db_table
    history = PerformanceRecord.history.model._meta.db_table
    with psycopg.connect(cluster.url(APP_DATABASE)) as db:
        stored = dict(db.execute(f"SELECT id::text, attempt_number FROM {records}").fetchall())  # noqa: S608
        history_rows = db.execute(
            f"SELECT id::text, history_type FROM {history}"  # noqa: S608
        ).fetchall()
    assert set(stored) == created_ids, (
        f"{len(stored)} stored against {len(created_ids)} answered 201: "
        f"stored only {set(stored) - created_ids}, answered only {created_ids - set(stored)}"
    )
    # Attempt numbers are handed out under a lock inside the transaction: a rolled-back grade
    # leaves no gap and no duplicate.
    assert sorted(stored.values()) == list(range(1, len(stored) + 1))
    # The audit history is written in the same transaction: one "created" row per record.
    assert sorted(history_rows) == sorted((record_id, "+") for record_id in stored)
    # A recompute is published on commit only, and not once per grade: a grade committed while
    # the student's recompute waits in the queue joins it (it folds every pending topic when it
    # starts). Each one queued is for this topic and, where it names its grade, a stored one.
    broker = redis.Redis.from_url(server.broker_url)
    queued = [_task_args(message) for message in broker.lrange("mastery", 0, -1)]
    assert queued
    assert len(queued) < len(stored)
    assert all(args[1] == [topic_id] for args in queued)
    assert {args[2] for args in queued if args[2] is not None} <= set(stored)


def _queued(server: AppServer, queue: str) -> int:
    import redis

    return redis.Redis.from_url(server.broker_url).llen(queue)


def _assert_mastery_folds(cluster: PrivatePostgres, created_ids: set[str], topic_id: str) -> None:
    import psycopg

    from mastery.models import MasteryObservation, MasteryRecord

    observations = MasteryObservation._meta.db_table
    mastery = MasteryRecord._meta.db_table
    with psycopg.connect(cluster.url(APP_DATABASE)) as db:
        observed = db.execute(
            f"SELECT performance_record_id::text FROM {observations} WHERE topic_id = %s",  # noqa: S608
            [topic_id],
        ).fetchall()
        counted = db.execute(
            f"SELECT observation_count FROM {mastery} WHERE topic_id = %s",  # noqa: S608
            [topic_id],
        ).fetchall()
    assert sorted(row[0] for row in observed) == sorted(created_ids)
    assert counted == [(len(created_ids),)]


def _recompute_markers(cluster: PrivatePostgres) -> int:
    import psycopg

    from mastery.models import MasteryRecomputeRequest

    table = MasteryRecomputeRequest._meta.db_table
    with psycopg.connect(cluster.url(APP_DATABASE)) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def _task_args(message: bytes) -> list:
    envelope = json.loads(message)
    body = envelope["body"]
    if envelope["properties"].get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args, _kwargs, _embed = json.loads(body)
    return args


def _count(client: LoadClient, kind: str, status: int) -> int:
    return sum(1 for o in list(client.outcomes) if o.kind == kind and o.status == status)


def _summary(client: LoadClient) -> str:
    counts: dict[tuple[str, object], int] = {}
    for outcome in list(client.outcomes):
        key = (outcome.kind, outcome.status or outcome.transport_error)
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(
        f"{kind} {status}: {n}" for (kind, status), n in sorted(counts.items(), key=str)
    )
