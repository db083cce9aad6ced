"""The Procfile runs the web tier, one worker per Celery queue and exactly one beat."""

import shlex
from pathlib import Path

from django.conf import settings

PROCFILE = Path(settings.BASE_DIR) / "Procfile"


def processes() -> dict[str, list[str]]:
    rows = {}
    for line in PROCFILE.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, command = line.split(":", 1)
        assert name not in rows, f"{name} is declared twice"
        rows[name.strip()] = shlex.split(command)
    return rows


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
    assert served == queues == ["mastery", "planning", "sync"]
    hostnames = [option(argv, "--hostname") for argv in workers]
    assert len(set(hostnames)) == len(hostnames)
