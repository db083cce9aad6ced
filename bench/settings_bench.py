"""Production settings for the load benchmark, with static files served from the finders.

A real deployment runs collectstatic once per release; the bench would pay for compressing
every bundled asset on each run, and static files are not what it measures. Everything else
is planner.settings as the environment configures it.
"""

from planner.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Nothing is collected, so there is no root for whitenoise to look in.
STATIC_ROOT = None
