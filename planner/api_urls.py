"""The API root: each app contributes its own routes under /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include("accounts.api.urls")),
    path("", include("courses.api.urls")),
    path("", include("mastery.api.urls")),
    path("", include("scheduling.api.urls")),
    path("", include("integrations.api.urls")),
]
