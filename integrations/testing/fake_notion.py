"""A stateful fake of the Notion API (version 2025-09-03) for the real notion-client SDK:
databases with one data source each, data source schema updates, pages created, updated,
trashed and queried with filters, and last_edited_time rounded down to the minute as Notion
does."""

from __future__ import annotations

import base64
import html
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from integrations.testing._http import FakeServer, Request, Response

API_PREFIX = "/v1/"
OAUTH_AUTHORIZE_PATH = "/v1/oauth/authorize"
OAUTH_APPROVE_PATH = "/v1/oauth/approve"
OAUTH_TOKEN_PATH = "/v1/oauth/token"  # noqa: S105 - a URL path, not a secret


def _error(status: int, code: str, message: str = "") -> Response:
    return Response(
        status, {"object": "error", "status": status, "code": code, "message": message or code}
    )


def _iso_minute(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:00.000Z")
    )


def _plain_text(value: dict) -> str:
    for key in ("title", "rich_text"):
        if key in value:
            return "".join(part.get("text", {}).get("content", "") for part in value[key])
    return ""


def _search_title(item: dict) -> str:
    if item.get("object") == "data_source":
        return "".join(part.get("plain_text", "") for part in item.get("title") or [])
    for value in (item.get("properties") or {}).values():
        if value.get("type") == "title":
            return "".join(part.get("plain_text", "") for part in value.get("title") or [])
    return ""


class FakeNotion(FakeServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self._init_state()

    def reset(self) -> None:
        """A fresh workspace, keeping the listening socket (module-scoped fixtures)."""
        super().reset()
        with self.lock:
            self._init_state()

    def _init_state(self) -> None:
        # OAuth: the public integration's credentials, and codes waiting for their exchange.
        self.oauth_clients: dict[str, str] = {}
        self.codes: dict[str, dict] = {}
        self.auto_approve = False
        self.tokens: set[str] = set()
        self.parent_pages: set[str] = set()
        self.page_titles: dict[str, str] = {}
        # Notion caps a search page at 100 results; tests lower it to force pagination.
        self.max_search_page_size = 100
        self.databases: dict[str, dict] = {}
        self.data_sources: dict[str, dict] = {}
        self.pages: dict[str, dict] = {}
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    # --- helpers for tests and the demo ----------------------------------------------------
    def add_token(self, token: str) -> None:
        with self.lock:
            self.tokens.add(token)

    def add_parent_page(self, title: str = "Untitled") -> str:
        page_id = str(uuid.uuid4())
        with self.lock:
            self.parent_pages.add(page_id)
            self.page_titles[page_id] = title
        return page_id

    def rows(self, data_source_id: str, *, include_trashed: bool = False) -> list[dict]:
        with self.lock:
            return [
                page
                for page in self.pages.values()
                if page["parent"]["data_source_id"] == data_source_id
                and (include_trashed or not page["in_trash"])
            ]

    def student_set_status(self, page_id: str, status: str) -> None:
        with self.lock:
            page = self.pages[page_id]
            page["properties"]["Status"] = {"type": "select", "select": {"name": status}}
            page["last_edited_time"] = _iso_minute(self.now())

    def student_trash(self, page_id: str, *, flags: tuple[str, ...] = ("in_trash", "archived")):
        """Trashes the row; `flags` picks which of the two page fields say so, as API 2025-09-03
        sends both (`archived` being the deprecated alias) and a later version only in_trash."""
        with self.lock:
            page = self.pages[page_id]
            for flag in flags:
                page[flag] = True
            page["last_edited_time"] = _iso_minute(self.now())

    def add_oauth_client(self, client_id: str, client_secret: str) -> None:
        with self.lock:
            self.oauth_clients[client_id] = client_secret

    # --- routing ---------------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        if request.path == OAUTH_AUTHORIZE_PATH and request.method == "GET":
            return self._consent_page(request)
        if request.path == OAUTH_APPROVE_PATH and request.method == "GET":
            return self._approve(request)
        if request.path == OAUTH_TOKEN_PATH and request.method == "POST":
            return self._token(request)
        if not request.path.startswith(API_PREFIX):
            return _error(404, "invalid_request_url")
        if request.bearer not in self.tokens:
            return _error(401, "unauthorized", "API token is invalid.")
        parts = request.path[len(API_PREFIX) :].strip("/").split("/")
        method = request.method
        if parts == ["users", "me"] and method == "GET":
            return Response(200, {"object": "user", "id": "bot-user", "type": "bot"})
        if parts == ["databases"] and method == "POST":
            return self._create_database(request.json())
        if parts[0] == "databases" and len(parts) == 2 and method == "GET":
            database = self.databases.get(parts[1])
            return Response(200, database) if database else _error(404, "object_not_found")
        if parts[0] == "data_sources" and len(parts) >= 2:
            source = self.data_sources.get(parts[1])
            if source is None:
                return _error(404, "object_not_found")
            if len(parts) == 2 and method == "GET":
                return Response(200, source)
            if len(parts) == 2 and method == "PATCH":
                return self._update_schema(source, request.json())
            if parts[2:] == ["query"] and method == "POST":
                return self._query(source, request.json())
        if parts == ["search"] and method == "POST":
            return self._search(request.json())
        if parts == ["pages"] and method == "POST":
            return self._create_page(request.json())
        if parts[0] == "pages" and len(parts) == 2:
            page = self.pages.get(parts[1])
            if page is None:
                return _error(404, "object_not_found")
            if method == "GET":
                return Response(200, page)
            if method == "PATCH":
                return self._update_page(page, request.json())
        return _error(400, "invalid_request_url")

    # --- databases and data sources -------------------------------------------------------------
    @staticmethod
    def _typed(properties: dict) -> dict:
        return {
            name: dict(spec, id=name, name=name, type=next(iter(spec)))
            for name, spec in properties.items()
        }

    def _create_database(self, body: dict) -> Response:
        parent = body.get("parent", {})
        if parent.get("page_id") not in self.parent_pages:
            return _error(404, "object_not_found", "Parent page not shared with integration.")
        properties = (body.get("initial_data_source") or {}).get("properties") or {}
        if sum(1 for spec in properties.values() if "title" in spec) != 1:
            return _error(400, "validation_error", "A database needs one title property.")
        # Notion answers rich text with its plain_text filled in.
        title = [
            dict(part, plain_text=part.get("plain_text") or (part.get("text") or {}).get("content"))
            for part in body.get("title") or []
        ]
        body = dict(body, title=title)
        database_id, source_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.data_sources[source_id] = {
            "object": "data_source",
            "id": source_id,
            "title": body.get("title", []),
            "parent": {"type": "database_id", "database_id": database_id},
            "properties": self._typed(properties),
            "in_trash": False,
        }
        self.databases[database_id] = {
            "object": "database",
            "id": database_id,
            "title": body.get("title", []),
            "parent": parent,
            "data_sources": [{"id": source_id, "name": "Study Tasks"}],
        }
        return Response(200, self.databases[database_id])

    def add_database(self, properties: dict, title: str = "Untitled database") -> str:
        """A database the student made by hand, shared with the integration."""
        parent = self.add_parent_page()
        with self.lock:
            response = self._create_database(
                {
                    "parent": {"page_id": parent},
                    "title": [{"type": "text", "text": {"content": title}, "plain_text": title}],
                    "initial_data_source": {"properties": properties},
                }
            )
        return response.body["id"]

    def _update_schema(self, source: dict, body: dict) -> Response:
        for name, spec in (body.get("properties") or {}).items():
            if spec is None:
                source["properties"].pop(name, None)
            elif set(spec) == {"name"}:
                source["properties"][spec["name"]] = dict(
                    source["properties"].pop(name), id=spec["name"], name=spec["name"]
                )
            else:
                source["properties"].update(self._typed({name: spec}))
        return Response(200, source)

    # --- pages ------------------------------------------------------------------------------
    def _check_properties(self, source: dict, properties: dict) -> Response | None:
        for name, value in properties.items():
            schema = source["properties"].get(name)
            if schema is None:
                return _error(400, "validation_error", f"{name} is not a property that exists.")
            kind = schema["type"]
            if kind not in value:
                return _error(400, "validation_error", f"{name} is expected to be {kind}.")
        return None

    def _create_page(self, body: dict) -> Response:
        source = self.data_sources.get((body.get("parent") or {}).get("data_source_id", ""))
        if source is None:
            return _error(404, "object_not_found")
        properties = body.get("properties") or {}
        problem = self._check_properties(source, properties)
        if problem:
            return problem
        now = _iso_minute(self.now())
        page_id = str(uuid.uuid4())
        self.pages[page_id] = {
            "object": "page",
            "id": page_id,
            "created_time": now,
            "last_edited_time": now,
            "in_trash": False,
            "archived": False,
            "parent": {"type": "data_source_id", "data_source_id": source["id"]},
            "properties": {
                name: dict(value, type=source["properties"][name]["type"])
                for name, value in properties.items()
            },
        }
        return Response(200, self.pages[page_id])

    def _update_page(self, page: dict, body: dict) -> Response:
        source = self.data_sources[page["parent"]["data_source_id"]]
        properties = body.get("properties") or {}
        problem = self._check_properties(source, properties)
        if problem:
            return problem
        for name, value in properties.items():
            page["properties"][name] = dict(value, type=source["properties"][name]["type"])
        for flag in ("in_trash", "archived"):
            if flag in body:
                page["in_trash"] = page["archived"] = bool(body[flag])
        page["last_edited_time"] = _iso_minute(self.now())
        return Response(200, page)

    def _matches(self, page: dict, condition: dict) -> bool:
        if "and" in condition:
            return all(self._matches(page, part) for part in condition["and"])
        if condition.get("timestamp") == "last_edited_time":
            bound = condition["last_edited_time"]["on_or_after"]
            edited = datetime.fromisoformat(page["last_edited_time"].replace("Z", "+00:00"))
            return edited >= datetime.fromisoformat(bound.replace("Z", "+00:00"))
        value = page["properties"].get(condition.get("property"), {})
        if "rich_text" in condition:
            if condition["rich_text"].get("is_not_empty"):
                return bool(_plain_text(value))
            return _plain_text(value) == condition["rich_text"]["equals"]
        if "select" in condition:
            return (value.get("select") or {}).get("name") == condition["select"]["equals"]
        return False

    def _query(self, source: dict, body: dict) -> Response:
        # `archived` is the deprecated alias of `in_trash` that API 2025-09-03 still accepts.
        include_trashed = bool(body.get("in_trash") or body.get("archived"))
        condition = body.get("filter")
        matching = [
            page
            for page in self.pages.values()
            if page["parent"]["data_source_id"] == source["id"]
            and (include_trashed or not page["in_trash"])
            and (condition is None or self._matches(page, condition))
        ]
        matching.sort(key=lambda page: (page["last_edited_time"], page["id"]))
        offset = int(body.get("start_cursor") or 0)
        size = int(body.get("page_size") or 100)
        window = matching[offset : offset + size]
        has_more = offset + size < len(matching)
        return Response(
            200,
            {
                "object": "list",
                "results": window,
                "has_more": has_more,
                "next_cursor": str(offset + size) if has_more else None,
            },
        )

    # --- search ---------------------------------------------------------------------------
    def _shared_page(self, page_id: str) -> dict:
        title = self.page_titles.get(page_id, "")
        return {
            "object": "page",
            "id": page_id,
            "parent": {"type": "workspace", "workspace": True},
            "in_trash": False,
            "archived": False,
            "last_edited_time": "2026-09-01T10:00:00.000Z",
            "url": f"https://www.notion.so/{page_id.replace('-', '')}",
            "properties": {
                "title": {
                    "id": "title",
                    "type": "title",
                    "title": [{"type": "text", "text": {"content": title}, "plain_text": title}],
                }
            },
        }

    def _search(self, body: dict) -> Response:
        """POST /v1/search as of 2025-09-03: what is shared with the integration (pages,
        database rows among them, and data sources), filtered by `object`, cursor-paginated."""
        wanted = (body.get("filter") or {}).get("value")
        if wanted not in (None, "page", "data_source"):
            return _error(400, "validation_error", "filter.value should be page or data_source.")
        found: list[dict] = []
        if wanted in (None, "page"):
            found += [self._shared_page(page_id) for page_id in sorted(self.parent_pages)]
            found += [page for page in self.pages.values() if not page["in_trash"]]
        if wanted in (None, "data_source"):
            found += list(self.data_sources.values())
        query = str(body.get("query") or "").casefold()
        if query:
            found = [item for item in found if query in _search_title(item).casefold()]
        offset = int(body.get("start_cursor") or 0)
        size = min(int(body.get("page_size") or 100), self.max_search_page_size)
        window = found[offset : offset + size]
        has_more = offset + size < len(found)
        return Response(
            200,
            {
                "object": "list",
                "results": window,
                "has_more": has_more,
                "next_cursor": str(offset + size) if has_more else None,
                "type": "page_or_data_source",
                "page_or_data_source": {},
            },
        )

    # --- OAuth (public integrations) ------------------------------------------------------
    def _consent_page(self, request: Request) -> Response:
        query = request.query
        if query.get("client_id") not in self.oauth_clients or not query.get("redirect_uri"):
            return Response(
                400, "unknown client or missing redirect_uri", content_type="text/plain"
            )
        if query.get("response_type") != "code":
            return Response(400, "response_type must be code", content_type="text/plain")
        approve = OAUTH_APPROVE_PATH + "?" + urlencode(query)
        if self.auto_approve:
            return Response(302, b"", {"Location": approve})
        page = (
            "<!doctype html><html lang='en'><head><title>Fake Notion consent</title></head>"
            "<body><h1>Fake Notion: allow Study Planner to access pages?</h1>"
            f"<p><a href='{html.escape(approve)}'>Allow access</a></p></body></html>"
        )
        return Response(200, page, content_type="text/html; charset=utf-8")

    def _approve(self, request: Request) -> Response:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "client_id": request.query.get("client_id", ""),
            "redirect_uri": request.query.get("redirect_uri", ""),
        }
        params = {"code": code}
        if "state" in request.query:
            params["state"] = request.query["state"]
        return Response(
            302, b"", {"Location": request.query["redirect_uri"] + "?" + urlencode(params)}
        )

    def _basic_client(self, request: Request) -> str | None:
        value = request.headers.get("authorization", "")
        if not value.startswith("Basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(value[len("Basic ") :]).decode().partition(":")
        except ValueError:
            return None
        return client_id if self.oauth_clients.get(client_id) == secret else None

    def _token(self, request: Request) -> Response:
        client_id = self._basic_client(request)
        if client_id is None:
            return _error(401, "invalid_client", "Client authentication failed.")
        body = request.json()
        if body.get("grant_type") != "authorization_code":
            return _error(400, "unsupported_grant_type")
        issued = self.codes.pop(body.get("code", ""), None)
        if (
            issued is None
            or issued["client_id"] != client_id
            or issued["redirect_uri"] != body.get("redirect_uri")
        ):
            return _error(400, "invalid_grant", "Invalid code.")
        token = f"ntn_{secrets.token_urlsafe(18)}"
        self.tokens.add(token)
        workspace_id = str(uuid.uuid4())
        return Response(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "bot_id": str(uuid.uuid4()),
                "workspace_id": workspace_id,
                "workspace_name": "Student workspace",
                "workspace_icon": None,
                "owner": {"type": "user", "user": {"object": "user", "id": str(uuid.uuid4())}},
                "duplicated_template_id": None,
            },
        )
