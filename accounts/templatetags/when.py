"""The one way a page writes a time or a date (see accounts/timeformat.py): in the student's
time zone, with their 12- or 24-hour clock, day and month names in the active language.

    {% load when %}
    {{ task.scheduled_start|clock:user }}       13:15  or  1:15 PM
    {{ task.scheduled_start|day_clock:user }}   Wed 11 Nov, 13:15
    {{ assessment.due_date|day:user }}          Wed 11 Nov
    {{ board.today|long_day:user }}             Wednesday 11 November
    {{ token.expires_at|full_date:user }}       11 Nov 2026
    {{ token.last_used_at|full_date_clock:user }}  11 Nov 2026, 13:15

Machine-readable values (<time datetime="…">) stay ISO 8601 with `|date:'c'`.
"""

from django import template

from accounts import timeformat

register = template.Library()

for _name in (
    "clock",
    "day",
    "day_clock",
    "long_day",
    "full_date",
    "full_date_clock",
    "is_past_day",
):
    register.filter(_name, getattr(timeformat, _name))
