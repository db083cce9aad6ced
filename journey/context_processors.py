"""What the page shell (templates/base.html) shows on every page."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.page_cache import cached_value
from journey import onboarding


@dataclass(frozen=True)
class SetupResume:
    """Where an unfinished setup wizard picks up: "Continue setup (step k of n)"."""

    number: int
    total: int


@dataclass(frozen=True)
class ShellState:
    """What pages read about a student before their body: whether a setup wizard was started
    (and where to resume it) and whether any course exists (None: not read, only the home page
    asks). Cached per student generation (accounts.page_cache): saving the wizard row or a
    course retires it."""

    has_setup: bool
    setup_resume: SetupResume | None
    has_courses: bool | None


def _resume_of(progress) -> SetupResume | None:
    # A student without a wizard row never started one (accounts made before the wizard or by
    # the demo seed); only a started, unfinished setup is offered for resuming.
    if progress is None or progress.is_complete:
        return None
    return SetupResume(
        number=onboarding.STEPS.index(progress.current_step) + 1, total=len(onboarding.STEPS)
    )


SHELL_VALUE = "shell"


def shell_state_of(progress, *, has_courses: bool | None) -> ShellState:
    return ShellState(
        has_setup=progress is not None, setup_resume=_resume_of(progress), has_courses=has_courses
    )


def shell_state(request, *, compute=None) -> ShellState:
    """The signed-in student's shell state, from the cache when warm. A view that needs
    `has_courses` gives its own `compute`, which must read it (and may keep the rows it read)."""
    user = request.user
    if compute is None:

        def compute() -> ShellState:
            return shell_state_of(onboarding.onboarding_find(user=user), has_courses=None)

        keep = None
    else:

        def keep(cached: ShellState) -> bool:
            return cached.has_courses is not None

    state = cached_value(request, name=SHELL_VALUE, compute=compute, keep=keep)
    # The template asks again at render time, with no write in between.
    request.shell_state = state
    return state


def _setup_resume_for(request) -> SetupResume | None:
    user = request.user
    if not user.is_authenticated:
        return None
    match = request.resolver_match
    if match is not None and match.view_name.startswith("journey:onboarding"):
        # The wizard shows its own progress; a link back to itself would only repeat it.
        return None
    state = getattr(request, "shell_state", None)
    if state is None:
        state = shell_state(request)
    return state.setup_resume


def setup_resume(request) -> dict:
    """Lazy: the template calls it once, where the shell renders the link, so pages that do not
    extend base.html (JSON, partials) never pay for it."""
    return {"setup_resume": lambda: _setup_resume_for(request)}
