from django.contrib import admin
from django.urls import include, path

from journey.views import HomeView
from planner import health, views

# Never a traceback: 503 with Retry-After while the database is away, else a plain 500.
handler500 = views.server_error

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include(("planner.api_urls", "api"), namespace="api")),
    # allauth's account and two-factor pages first: the earlier reset-link path in accounts.urls
    # would otherwise also match allauth's reset links.
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("courses/", include("courses.urls")),
    # Mounted at the root: each holds its app's pages under /mastery/ or /plan/ and the
    # root paths students bookmarked (/grades/, /stats/).
    path("", include("mastery.urls")),
    path("", include("scheduling.urls")),
    path("integrations/", include("integrations.urls")),
    path("", include("journey.urls")),
    path("", include("journey.classes.urls")),
    path("", include("scheduling.feed_urls")),
]
