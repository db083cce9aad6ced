"""Notion sync: connecting a database (picked or created), pushing tasks as rows keyed by the
Planner ID property, and the optional two-way status poll."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import hygiene
from accounts.errors import ApplicationError
from courses.models import Topic
from integrations import planning
from integrations.models import CalendarBlock, IntegrationSettings, NotionTask, OAuthState, Provider
from integrations.notion import client as notion
from integrations.providers import CleanupOutcome
from scheduling.models import StudyTask, TaskStatus

DATABASE_TITLE = "Study Tasks"
NOTION_STATUS_NOT_STARTED = "Not Started"
NOTION_STATUS_IN_PROGRESS = "In Progress"
NOTION_STATUS_COMPLETED = "Completed"
# Notion rounds last_edited_time down to the minute, so an edit in the same minute as the last
# poll looks older than the cursor; re-reading this overlap catches it (duplicates are dropped
# by hash).
POLL_OVERLAP = timedelta(minutes=2)
DIFFICULTY_OPTIONS = ["Easy", "Medium", "Hard", "Exam level"]
# An authorisation not finished within this time is abandoned; its state no longer matches.
OAUTH_STATE_TTL = timedelta(minutes=10)
# Account deletion waits on each request in the page's own request; a short timeout keeps the
# whole cleanup inside the web server's 30-second limit.
CLEANUP_REQUEST_TIMEOUT_MS = 5_000

logger = logging.getLogger(__name__)

PROPERTY_SCHEMA: dict[str, dict] = {
    "Title": {"title": {}},
    "Course": {"select": {}},
    "Topics": {"multi_select": {}},
    "Difficulty": {"select": {"options": [{"name": name} for name in DIFFICULTY_OPTIONS]}},
    "Due Date": {"date": {}},
    "Status": {
        "select": {
            "options": [
                {"name": NOTION_STATUS_NOT_STARTED},
                {"name": NOTION_STATUS_IN_PROGRESS},
                {"name": NOTION_STATUS_COMPLETED},
            ]
        }
    },
    "Duration": {"number": {"format": "number"}},
    "Mastery Impact": {"number": {"format": "number"}},
    "Calendar Link": {"url": {}},
    "Planner ID": {"rich_text": {}},
}

STATUS_TO_NOTION = {
    TaskStatus.PENDING: NOTION_STATUS_NOT_STARTED,
    TaskStatus.SCHEDULED: NOTION_STATUS_NOT_STARTED,
    TaskStatus.IN_PROGRESS: NOTION_STATUS_IN_PROGRESS,
    TaskStatus.COMPLETED: NOTION_STATUS_COMPLETED,
}
NOTION_TO_STATUS = {
    NOTION_STATUS_IN_PROGRESS: TaskStatus.IN_PROGRESS,
    NOTION_STATUS_COMPLETED: TaskStatus.COMPLETED,
}


def notion_client_for(integration: IntegrationSettings) -> notion.NotionClient:
    return notion.build_client(
        token=integration.notion_access_token, rate_key=str(integration.user_id)
    )


# --- connecting --------------------------------------------------------------------------------
def notion_connect(
    *, user, token: str, database_id: str = "", parent_page_id: str = ""
) -> IntegrationSettings:
    """Checks the token, then uses the picked database or creates "Study Tasks" under the
    given page, makes sure its properties exist and stores its data source id."""
    if not database_id and not parent_page_id:
        raise ApplicationError(
            "Pick a database or a page to create one in.",
            field_errors={"database_id": ["Give a database id or a parent page id."]},
        )
    client = notion.build_client(token=token, rate_key=str(user.pk))
    try:
        client.me()
        if database_id:
            database = client.retrieve_database(database_id)
            data_source_id = database["data_sources"][0]["id"]
            _schema_ensure(client=client, data_source_id=data_source_id)
        else:
            database = client.create_database(
                parent_page_id=parent_page_id, title=DATABASE_TITLE, properties=PROPERTY_SCHEMA
            )
            data_source_id = database["data_sources"][0]["id"]
    except notion.NotionDisconnectError as exc:
        raise ApplicationError(exc.message, field_errors={"token": [exc.message]}) from exc
    except notion.NotionNotFoundError as exc:
        message = "Notion could not find it; share it with the integration first."
        field = "database_id" if database_id else "parent_page_id"
        raise ApplicationError(message, field_errors={field: [message]}) from exc
    except notion.NotionError as exc:
        raise ApplicationError(exc.message) from exc
    integration, _ = IntegrationSettings.objects.get_or_create(user=user)
    integration.notion_access_token = token
    integration.notion_database_id = database["id"]
    integration.notion_data_source_id = data_source_id
    integration.notion_enabled = True
    integration.notion_error = ""
    integration.notion_poll_cursor = None
    integration.save()
    return integration


def notion_oauth_start(*, user, redirect_uri: str) -> str:
    """Where to send the student to authorise the app; the state stays server-side."""
    if not notion.oauth_configured():
        raise ApplicationError("Connecting with Notion OAuth is not configured here.")
    state = secrets.token_urlsafe(32)
    with transaction.atomic():
        OAuthState.objects.for_user(user).filter(provider=Provider.NOTION).delete()
        # Notion's flow has no PKCE; the column holds nothing secret here.
        OAuthState.objects.create(
            user=user, provider=Provider.NOTION, state=state, code_verifier=""
        )
    return notion.authorization_url(state=state, redirect_uri=redirect_uri)


def notion_oauth_finish(*, user, state: str, code: str, redirect_uri: str) -> IntegrationSettings:
    """Exchanges the code and keeps the token (encrypted); the integration stays off until the
    student picks or creates the database, as with a pasted token."""
    pending = OAuthState.objects.for_user(user).filter(provider=Provider.NOTION, state=state)
    oauth_state = pending.first()
    if oauth_state is None or oauth_state.created_at < timezone.now() - OAUTH_STATE_TTL:
        raise ApplicationError("This Notion authorisation expired or was not started here.")
    # Consumed before the exchange: a replayed callback can never use it again.
    oauth_state.delete()
    try:
        token = notion.exchange_code(code=code, redirect_uri=redirect_uri)
    except notion.NotionError as exc:
        raise ApplicationError(f"Notion did not accept the authorisation ({exc.message}).") from exc
    integration, _ = IntegrationSettings.objects.get_or_create(user=user)
    integration.notion_access_token = token
    integration.notion_enabled = False
    integration.notion_error = ""
    integration.save()
    return integration


# A student shares a handful of pages with one integration; ten pages of a hundred results
# cover any real workspace and bound the time the page waits on Notion.
NOTION_SEARCH_MAX_PAGES = 10


@dataclass(frozen=True)
class NotionTarget:
    """Somewhere the tasks can go: a database (its id), or a page to create one in."""

    kind: str  # "database" or "page"
    id: str
    title: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def _plain(parts) -> str:
    return "".join(
        str(part.get("plain_text") or (part.get("text") or {}).get("content") or "")
        for part in parts or []
        if isinstance(part, dict)
    ).strip()


def _page_title(page: dict) -> str:
    for value in (page.get("properties") or {}).values():
        if isinstance(value, dict) and value.get("type") == "title":
            return _plain(value.get("title"))
    return ""


def notion_targets_list(*, integration: IntegrationSettings) -> tuple[list[NotionTarget], bool]:
    """The databases and pages shared with the integration, as Notion's search returns them,
    databases first, each sorted by title; True when the list was cut at the search limit.
    Rows of databases are not offered: a "Study Tasks" database belongs under a page.
    Raises ApplicationError with Notion's reason when it cannot be read."""
    client = notion_client_for(integration)
    try:
        sources, more_sources = client.search_all(
            object_type="data_source", max_pages=NOTION_SEARCH_MAX_PAGES
        )
        pages, more_pages = client.search_all(object_type="page", max_pages=NOTION_SEARCH_MAX_PAGES)
    except notion.NotionError as exc:
        message = f"Notion could not list what is shared with this app: {exc.message}"
        raise ApplicationError(message) from exc
    databases: dict[str, NotionTarget] = {}
    for source in sources:
        parent = source.get("parent") or {}
        database_id = parent.get("database_id")
        if not database_id or source.get("in_trash") or database_id in databases:
            continue
        title = _plain(source.get("title")) or "Untitled database"
        databases[database_id] = NotionTarget(kind="database", id=database_id, title=title)
    parents = [
        NotionTarget(kind="page", id=page["id"], title=_page_title(page) or "Untitled page")
        for page in pages
        if page.get("id")
        and not (page.get("in_trash") or page.get("archived"))
        and (page.get("parent") or {}).get("type") not in ("data_source_id", "database_id")
    ]
    ordered = sorted(databases.values(), key=lambda t: t.title.casefold()) + sorted(
        parents, key=lambda t: t.title.casefold()
    )
    return ordered, more_sources or more_pages


def notion_is_awaiting_database(integration: IntegrationSettings) -> bool:
    """Authorised through OAuth, but no database picked yet."""
    return bool(integration.notion_access_token) and not integration.notion_enabled


def _schema_ensure(*, client: notion.NotionClient, data_source_id: str) -> None:
    """Adds the properties this app writes that the data source lacks (one request if any)."""
    existing = client.retrieve_data_source(data_source_id).get("properties", {})
    missing = {name: spec for name, spec in PROPERTY_SCHEMA.items() if name not in existing}
    title_name = next((n for n, p in existing.items() if p.get("type") == "title"), None)
    if title_name and title_name != "Title":
        # A database has exactly one title property; ours is renamed rather than added.
        missing.pop("Title", None)
        missing[title_name] = {"name": "Title"}
    if missing:
        client.update_data_source(data_source_id, properties=missing)


def notion_pushed_remove(*, integration: IntegrationSettings, deadline: float) -> CleanupOutcome:
    """Before the account goes: every row we added is moved to Notion's trash (the student can
    still restore it there for 30 days). The database stays: it may be the student's own.
    Stops at `deadline` and says what is left; never raises."""
    mappings = list(
        NotionTask.objects.for_user(integration.user).exclude(notion_page_id="").order_by("pk")
    )
    if not mappings or not integration.notion_access_token:
        return CleanupOutcome(removed=0)
    client = notion.build_client(
        token=integration.notion_access_token,
        rate_key=str(integration.user_id),
        timeout_ms=CLEANUP_REQUEST_TIMEOUT_MS,
    )
    removed, problem = 0, ""
    for mapping in mappings:
        if time.monotonic() > deadline:
            problem = "there was no time left"
            break
        try:
            client.update_page(mapping.notion_page_id, in_trash=True)
        except notion.NotionNotFoundError:
            pass  # already deleted or no longer shared: nothing of ours to remove
        except Exception as exc:  # any failure must leave the deletion going
            logger.warning("trashing Notion rows of %s failed: %s", integration.user_id, exc)
            problem = (
                "Notion no longer accepts this app's access"
                if isinstance(exc, notion.NotionDisconnectError)
                else "Notion could not be reached"
            )
            break
        removed += 1
    left = len(mappings) - removed
    if not left:
        return CleanupOutcome(removed=removed)
    return CleanupOutcome(
        removed=removed,
        remaining=(
            f"{left} study task row{'s' if left != 1 else ''} stay in your Notion database "
            f"because {problem}: delete the rows whose “Planner ID” is filled in."
        ),
    )


def notion_disconnect(*, integration: IntegrationSettings, message: str = "") -> None:
    integration.notion_enabled = False
    integration.notion_access_token = ""
    integration.notion_error = message
    integration.save()


# --- rows ------------------------------------------------------------------------------------
def _text(value: str) -> list[dict]:
    return [{"type": "text", "text": {"content": value[:2000]}}]


def calendar_link(block: CalendarBlock | None) -> str | None:
    if block is None or not block.is_synced or not block.google_event_id:
        return None
    eid = base64.urlsafe_b64encode(
        f"{block.google_event_id} {block.google_calendar_id}".encode()
    ).decode()
    return f"https://www.google.com/calendar/event?eid={eid.rstrip('=')}"


def page_properties(
    *, task: StudyTask, topics_by_id: dict[str, Topic], block: CalendarBlock | None
) -> dict:
    topics = [topics_by_id[str(tid)] for tid in task.topic_ids if str(tid) in topics_by_id]
    if task.scheduled_start:
        due = {"start": task.scheduled_start.isoformat(), "end": task.scheduled_end.isoformat()}
    elif task.assessment_id:
        due = {"start": task.assessment.due_date.isoformat()}
    else:
        due = None
    return {
        "Title": {"title": _text(task.title)},
        "Course": {"select": {"name": task.course.code.replace(",", " ")}},
        # Notion forbids commas in option names.
        "Topics": {"multi_select": [{"name": t.name.replace(",", " ")[:100]} for t in topics]},
        "Difficulty": {"select": {"name": task.get_difficulty_display()}},
        "Due Date": {"date": due},
        "Status": {"select": {"name": STATUS_TO_NOTION.get(task.status, "Not Started")}},
        "Duration": {"number": task.estimated_duration_min},
        "Mastery Impact": {"number": task.expected_mastery_gain},
        "Calendar Link": {"url": calendar_link(block)},
        "Planner ID": {"rich_text": _text(str(task.pk))},
    }


def _hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def notion_tasks_push(
    *, client: notion.NotionClient, integration: IntegrationSettings, task_ids: list[str]
) -> None:
    user = integration.user
    tasks = {
        str(task.pk): task
        for task in StudyTask.objects.for_user(user)
        .filter(pk__in=task_ids)
        .select_related("course", "assessment", "calendar_block")
    }
    mappings = {
        str(row.study_task_id): row
        for row in NotionTask.objects.for_user(user).filter(study_task_id__in=task_ids)
    }
    topic_ids = {str(tid) for task in tasks.values() for tid in task.topic_ids}
    topics_by_id = {str(t.pk): t for t in Topic.objects.filter(pk__in=topic_ids)}
    unmapped = [
        task_id
        for task_id in tasks
        if task_id not in mappings or not mappings[task_id].notion_page_id
    ]
    # A crash after an earlier create but before its mapping was saved left a row carrying the
    # Planner ID; one listing finds all such rows, so a retry never creates a second one.
    existing_rows = _rows_by_planner_id(client, integration) if unmapped else {}
    for task_id in task_ids:
        task, mapping = tasks.get(task_id), mappings.get(task_id)
        if task is None or task.status == TaskStatus.SKIPPED:
            if mapping is not None:
                _row_trash(client=client, mapping=mapping)
            continue
        _row_upsert(
            client=client,
            integration=integration,
            task=task,
            mapping=mapping,
            topics_by_id=topics_by_id,
            existing_page_id=existing_rows.get(task_id, ""),
        )
    # As in Google Calendar: a skip sends no plan change for the skipped task, so every run
    # also trashes the rows of tasks skipped since their push, and those of deleted tasks.
    stale = NotionTask.objects.for_user(user).filter(
        Q(study_task__isnull=True) | Q(study_task__status=TaskStatus.SKIPPED)
    )
    for mapping in stale:
        _row_trash(client=client, mapping=mapping)


def _rows_by_planner_id(client: notion.NotionClient, integration: IntegrationSettings) -> dict:
    rows = client.query_all(
        integration.notion_data_source_id,
        filter={"property": "Planner ID", "rich_text": {"is_not_empty": True}},
    )
    found = {}
    for row in rows:
        planner_id = "".join(
            part.get("plain_text") or part.get("text", {}).get("content", "")
            for part in row["properties"].get("Planner ID", {}).get("rich_text", [])
        )
        found.setdefault(planner_id, row["id"])
    return found


def _row_trash(*, client: notion.NotionClient, mapping: NotionTask) -> None:
    if mapping.notion_page_id:
        with contextlib.suppress(notion.NotionNotFoundError):  # already gone
            client.update_page(mapping.notion_page_id, in_trash=True)
    mapping.delete()


def _row_upsert(
    *,
    client: notion.NotionClient,
    integration: IntegrationSettings,
    task: StudyTask,
    mapping: NotionTask | None,
    topics_by_id: dict[str, Topic],
    existing_page_id: str,
) -> None:
    block = getattr(task, "calendar_block", None)
    properties = page_properties(task=task, topics_by_id=topics_by_id, block=block)
    digest = _hash(properties)
    if mapping is None:
        mapping = NotionTask(
            user=integration.user,
            study_task=task,
            notion_database_id=integration.notion_database_id,
        )
    elif mapping.is_synced and mapping.notion_page_id and mapping.content_hash == digest:
        return
    data_source_id = integration.notion_data_source_id
    try:
        mapping.notion_page_id = mapping.notion_page_id or existing_page_id
        if not mapping.notion_page_id:
            page = client.create_page(data_source_id=data_source_id, properties=properties)
            mapping.notion_page_id = page["id"]
            _mark_synced(mapping, properties, digest)
            return
        update = dict(properties)
        if integration.notion_two_way_sync:
            update.pop("Status")  # Notion owns Status when two-way sync is on
        client.update_page(mapping.notion_page_id, properties=update)
    except notion.NotionNotFoundError:
        mapping.notion_page_id = ""
        mapping.is_synced = False
        mapping.sync_error = "The Notion row was deleted or is no longer shared; it was unlinked."
        mapping.save()
        return
    except notion.NotionValidationError as exc:
        _schema_ensure(client=client, data_source_id=data_source_id)
        mapping.is_synced = False
        mapping.sync_error = f"Notion rejected the row ({exc.message}); the schema was re-read."
        mapping.save()
        return
    _mark_synced(mapping, properties, digest)


def _mark_synced(mapping: NotionTask, properties: dict, digest: str) -> None:
    mapping.notion_properties = {
        "Status": properties["Status"]["select"]["name"],
        "Due Date": (properties["Due Date"]["date"] or {}).get("start"),
    }
    mapping.content_hash = digest
    mapping.is_synced, mapping.last_sync_at, mapping.sync_error = True, timezone.now(), None
    mapping.save()


# --- two-way status ----------------------------------------------------------------------------
def _parse_time(value: str) -> datetime:
    return hygiene.clamp_moment(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _row_status(page: dict) -> str:
    status = ((page.get("properties") or {}).get("Status") or {}).get("select") or {}
    return status.get("name") or NOTION_STATUS_NOT_STARTED


def notion_status_pull(*, client: notion.NotionClient, integration: IntegrationSettings) -> int:
    """Applies status edits and trashed rows since the last poll; returns how many applied."""
    query: dict = {"in_trash": True}
    if integration.notion_poll_cursor:
        since = integration.notion_poll_cursor - POLL_OVERLAP
        query["filter"] = {
            "timestamp": "last_edited_time",
            "last_edited_time": {"on_or_after": since.isoformat()},
        }
    pages = client.query_all(integration.notion_data_source_id, **query)
    mappings = {
        row.notion_page_id: row
        for row in NotionTask.objects.for_user(integration.user)
        .filter(notion_page_id__in=[page["id"] for page in pages])
        .select_related("study_task")
    }
    applied = 0
    newest = integration.notion_poll_cursor
    with transaction.atomic():
        for page in pages:
            edited = _parse_time(page["last_edited_time"])
            newest = max(newest, edited) if newest else edited
            mapping = mappings.get(page["id"])
            if mapping is None or mapping.study_task is None:
                continue
            trashed = bool(page.get("in_trash") or page.get("archived"))
            status = _row_status(page)
            pulled_hash = _hash({"status": status, "trashed": trashed})
            if pulled_hash == mapping.pulled_status_hash:
                continue  # re-read in the overlap, already applied
            mapping.pulled_status_hash = pulled_hash
            mapping.save(update_fields=["pulled_status_hash", "updated_at"])
            applied += _apply_row(mapping=mapping, status=status, trashed=trashed)
        integration.notion_poll_cursor = newest
        integration.save(update_fields=["notion_poll_cursor", "updated_at"])
    return applied


def _apply_row(*, mapping: NotionTask, status: str, trashed: bool) -> int:
    task = mapping.study_task
    if trashed:
        if task.status != TaskStatus.SKIPPED:
            planning.study_task_skip(task=task)
            planning.plan_replan_request(user_id=task.user_id)
        mapping.delete()
        return 1
    wanted = NOTION_TO_STATUS.get(status)
    if wanted is None or task.status == wanted or task.status == TaskStatus.COMPLETED:
        return 0
    planning.study_task_set_status(task=task, status=wanted)
    if wanted == TaskStatus.COMPLETED:
        planning.plan_replan_request(user_id=task.user_id)
    return 1
