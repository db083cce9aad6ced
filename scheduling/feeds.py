"""The study plan as an RFC 5545 calendar, served at a secret, revocable URL."""

from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from scheduling.models import CalendarFeedToken, StudyTask, TaskStatus
from scheduling.services import hash_feed_token

# Calendar apps poll the feed; a month of history is enough to look back on.
FEED_PAST_DAYS = 30
# Stable across replans: a moved block keeps its UID, so subscribers update it in place.
UID_DOMAIN = "study-planner"
FEED_STATUSES = (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED)
# Suggested refresh interval for subscribers (RFC 7986 REFRESH-INTERVAL, and the common X-).
REFRESH_INTERVAL = timedelta(hours=1)


def build_calendar(user, tasks) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Adaptive Study Planner//Study plan//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Study plan")
    calendar.add("x-wr-timezone", user.timezone or "UTC")
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    for task in tasks:
        event = Event()
        event.add("uid", f"{task.pk}@{UID_DOMAIN}")
        event.add("dtstamp", task.updated_at)
        event.add("last-modified", task.updated_at)
        event.add("dtstart", task.scheduled_start)
        event.add("dtend", task.scheduled_end)
        event.add("summary", task.title)
        description = task.reason
        if task.status == TaskStatus.COMPLETED:
            description = f"Completed. {description}"
        event.add("description", description)
        event.add("categories", [task.course.code or task.course.name])
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


@require_GET
def calendar_feed(request, token: str):
    """No session: the token is the credential. Unknown or revoked tokens are a 404."""
    feed = (
        CalendarFeedToken.objects.active()
        .select_related("user")
        .filter(token_hash=hash_feed_token(token), user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404("No such calendar feed.")
    now = timezone.now()
    tasks = (
        StudyTask.objects.for_user(feed.user)
        .filter(status__in=FEED_STATUSES, scheduled_start__isnull=False)
        .filter(
            scheduled_end__gte=now - timedelta(days=FEED_PAST_DAYS),
            scheduled_start__lte=now + timedelta(days=settings.PLANNING_HORIZON_DAYS * 2),
        )
        .select_related("course")
        .order_by("scheduled_start", "id")
    )
    response = HttpResponse(
        build_calendar(feed.user, tasks), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="study-plan.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
