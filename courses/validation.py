from urllib.parse import urlparse

from accounts.ranges import range_errors

RESOURCE_TYPES = ("video", "reading", "exercise")


def resource_links_errors(links: object) -> list[str]:
    """Problems with a topic's resource links: [{"type": "video|reading|exercise", "url": ...}]."""
    if not isinstance(links, list):
        return ["Resource links must be a list."]
    errors = []
    for position, link in enumerate(links, start=1):
        if not isinstance(link, dict):
            errors.append(f"Link {position} must be an object with a type and a url.")
            continue
        if link.get("type") not in RESOURCE_TYPES:
            errors.append(f"Link {position}: type must be one of {', '.join(RESOURCE_TYPES)}.")
        url = link.get("url")
        parsed = urlparse(url) if isinstance(url, str) else None
        if not parsed or parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors.append(f"Link {position}: url must be an http(s) address.")
    return errors


COURSE_DATES_MESSAGE = "The end date must be after the start date."


def course_dates_errors(start_date, end_date) -> dict[str, list[str]]:
    """`{"end_date": [...]}` unless the course ends after it starts.

    The model, the forms, the API and the CSV import all check this; the database holds it
    too (the `course_end_after_start` constraint).
    """
    return range_errors(start_date, end_date, field="end_date", order_message=COURSE_DATES_MESSAGE)
