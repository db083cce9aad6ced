"""The project's URLs plus the feed route the lead includes at the root."""

from django.urls import include, path

from planner.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("", include("scheduling.feed_urls"))]
