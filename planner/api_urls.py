"""The API root: each app contributes its own routes under /api/."""

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from planner.floor import PingApi

# The docs pages inject <style> elements at run time (Redoc's styled-components, the bundled
# pages' own <style> blocks) and Redoc searches in a blob: worker. They show no student data, so
# only they relax style-src; scripts stay 'self' (Swagger's init script is served separately).
API_DOCS_CSP = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        API_DOCS_CSP(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("redoc/", API_DOCS_CSP(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    path("ping", PingApi.as_view(), name="ping"),
    path("", include("accounts.api.urls")),
    path("", include("courses.api.urls")),
    path("", include("mastery.api.urls")),
    path("", include("scheduling.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("journey.api.urls")),
    path("", include("journey.classes.api_urls")),
]
