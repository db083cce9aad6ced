"""Keep one production process running: restart it when it exits, stop it when told to.

    python -m planner.supervise -- celery -A planner worker --queues mastery ...

A Procfile runner (honcho, foreman) stops every process as soon as one exits, so a worker
that gives up on a lost broker would take the web tier and beat down with it. Each Procfile
line runs under this loop instead: the command is restarted after a short backoff that grows
while it keeps failing fast, and SIGTERM or SIGINT is passed on to it and ends the loop. On a
real host systemd or Kubernetes plays this part (Restart=always, restartPolicy: Always).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

# The first restart is quick (a worker that lost its broker should be back within seconds);
# a command that keeps crashing at once backs off up to half a minute between tries.
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
# A run this long counts as healthy: the next crash starts the backoff again from the bottom.
HEALTHY_RUN_S = 60.0
# How long the command has to stop after SIGTERM before it is killed.
STOP_TIMEOUT_S = 30.0


def log(message: str) -> None:
    print(f"supervise: {message}", file=sys.stderr, flush=True)


def supervise(command: list[str]) -> int:
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    backoff = FIRST_BACKOFF_S
    returncode = 0
    while not stopping:
        started = time.monotonic()
        child = subprocess.Popen(command)  # noqa: S603 - the operator's own command line
        log(f"started {command[0]} (pid {child.pid})")
        returncode = child.wait()
        if stopping:
            break
        if time.monotonic() - started >= HEALTHY_RUN_S:
            backoff = FIRST_BACKOFF_S
        log(f"{command[0]} (pid {child.pid}) exited with {returncode}; restart in {backoff:.0f} s")
        deadline = time.monotonic() + backoff
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        backoff = min(backoff * 2, MAX_BACKOFF_S)
    if child is not None and child.poll() is None:
        try:
            returncode = child.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            returncode = child.wait()
    return returncode


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m planner.supervise -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    return supervise(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
