"""The Procfile runs the web tier, one worker per Celery queue and exactly one beat, each under
the supervisor that restarts it, so one exit never stops the others."""

import shlex
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from planner.testing.services import wait_for

PROCFILE = Path(settings.BASE_DIR) / "Procfile"


SUPERVISED = ["python", "-m", "planner.supervise", "--"]


def supervised_processes() -> dict[str, list[str]]:
    rows = {}
    for line in PROCFILE.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, command = line.split(":", 1)
        assert name not in rows, f"{name} is declared twice"
        rows[name.strip()] = shlex.split(command)
    return rows


def processes() -> dict[str, list[str]]:
    """Each process's own command, under its supervisor."""
    return {name: argv[len(SUPERVISED) :] for name, argv in supervised_processes().items()}


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_web_is_gunicorn_on_the_wsgi_app():
    web = processes()["web"]
    assert web[:2] == ["gunicorn", "planner.wsgi"]
    assert "--workers" in web and "--threads" in web


def test_one_worker_per_queue_and_exactly_one_beat():
    commands = list(processes().values())
    workers = [argv for argv in commands if argv[:4] == ["celery", "-A", "planner", "worker"]]
    beats = [argv for argv in commands if "beat" in argv and argv[0] == "celery"]
    assert len(beats) == 1
    served = sorted(option(argv, "--queues") for argv in workers)
    queues = sorted({route["queue"] for route in settings.CELERY_TASK_ROUTES.values()})
    assert served == queues == ["mastery", "notify", "planning", "sync"]
    hostnames = [option(argv, "--hostname") for argv in workers]
    assert len(set(hostnames)) == len(hostnames)


def test_every_process_runs_under_the_supervisor():
    for name, argv in supervised_processes().items():
        assert argv[: len(SUPERVISED)] == SUPERVISED, name


def test_the_supervisor_restarts_a_command_that_exits_and_stops_on_sigterm(tmp_path):
    runs = tmp_path / "runs"
    # The command records each run and exits at once, as a worker that lost its broker did.
    command = f"open({str(runs)!r}, 'a').write('run\\n')"
    supervisor = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "planner.supervise", "--", sys.executable, "-c", command],
        cwd=settings.BASE_DIR,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: runs.exists() and runs.read_text().count("run") >= 2,
            what="the command to be restarted",
            deadline_s=30,
        )
        assert supervisor.poll() is None
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=30)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
    assert "exited with 0; restart in 1 s" in supervisor.stderr.read()
