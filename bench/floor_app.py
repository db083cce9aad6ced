"""The floor: a bare Django + DRF app with one endpoint doing one query, served by `make bench`
beside the project with the same gunicorn settings, PostgreSQL and Redis-free.

Every endpoint of the project is reported as a share of this one's throughput in the same run:
it is what the framework costs with nothing of the project on top (no sessions, middleware,
authentication, logging or templates), so the share says how near the framework's floor an
endpoint is. One module is the whole app: settings, the view, the URLs and the WSGI entry.

Run: `gunicorn bench.floor_app:application` with DATABASE_URL set (bench/bench_wrk.py does).
"""

from __future__ import annotations

import django
import environ
from django.conf import settings

if not settings.configured:
    env = environ.Env()
    settings.configure(
        DEBUG=False,
        SECRET_KEY="floor-" + "0" * 40,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["rest_framework"],
        MIDDLEWARE=[],
        # Persistent connections as the project's web tier has them (CONN_MAX_AGE).
        DATABASES={
            "default": {**env.db_url("DATABASE_URL"), "CONN_MAX_AGE": env.int("CONN_MAX_AGE", 0)}
        },
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": [],
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "UNAUTHENTICATED_USER": None,
        },
        USE_TZ=True,
    )
    django.setup()

from django.db import connection
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class FloorApi(APIView):
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            (server_time,) = cursor.fetchone()
        return Response({"status": "ok", "server_time": server_time.isoformat()})


urlpatterns = [path("floor", FloorApi.as_view())]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
