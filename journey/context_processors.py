"""What the page shell (templates/base.html) shows on every page."""

from __future__ import annotations

from dataclasses import dataclass

from journey import onboarding

# The view did not read the wizard row (None is a real answer: no row).
NOT_READ = object()


@dataclass(frozen=True)
class SetupResume:
    """Where an unfinished setup wizard picks up: "Continue setup (step k of n)"."""

    number: int
    total: int


def _setup_resume_for(request) -> SetupResume | None:
    user = request.user
    if not user.is_authenticated:
        return None
    match = request.resolver_match
    if match is not None and match.view_name.startswith("journey:onboarding"):
        # The wizard shows its own progress; a link back to itself would only repeat it.
        return None
    progress = getattr(request, "onboarding_progress", NOT_READ)
    if progress is NOT_READ:
        progress = onboarding.onboarding_find(user=user)
    # A student without a wizard row never started one (accounts made before the wizard or by
    # the demo seed); only a started, unfinished setup is offered for resuming.
    if progress is None:
        return None
    if progress.is_complete:
        return None
    return SetupResume(
        number=onboarding.STEPS.index(progress.current_step) + 1, total=len(onboarding.STEPS)
    )


def setup_resume(request) -> dict:
    """Lazy: the template calls it once, where the shell renders the link, so pages that do not
    extend base.html (JSON, partials) never pay the query."""
    return {"setup_resume": lambda: _setup_resume_for(request)}
