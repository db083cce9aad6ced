"""The secret calendar feed, at the site root: include with `path("", include(...))`."""

from django.urls import path

from scheduling.feeds import calendar_feed

urlpatterns = [
    path("calendar/<str:token>.ics", calendar_feed, name="scheduling_feed"),
]
