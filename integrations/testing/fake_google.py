"""A stateful fake of Google OAuth and Calendar v3, enough for the real google-api-python-client
and google-auth-oauthlib: consent page, token endpoint with PKCE and refresh, revocation,
calendar list, calendars, events with ETags, tombstones and sync tokens, and freeBusy."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import unquote, urlencode

from integrations.testing._http import FakeServer, Request, Response

API_PREFIX = "/calendar/v3/"
EVENT_ID_PATTERN = re.compile(r"^[a-v0-9]{5,1024}$")
ACCESS_TOKEN_SECONDS = 3600
PRIMARY_CALENDAR_ID = "student@example.org"


def _error(status: int, reason: str, message: str = "") -> Response:
    return Response(
        status,
        {"error": {"code": status, "message": message or reason, "errors": [{"reason": reason}]}},
    )


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class FakeGoogle(FakeServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self._init_state()

    def reset(self) -> None:
        """A fresh calendar account, keeping the listening socket (module-scoped fixtures)."""
        super().reset()
        with self.lock:
            self._init_state()

    def _init_state(self) -> None:
        self.seq = 0
        # Sync tokens minted before this sequence number answer 410, as expired ones do.
        self.min_valid_sync_seq = 0
        self.calendars: dict[str, dict] = {
            PRIMARY_CALENDAR_ID: {"id": PRIMARY_CALENDAR_ID, "summary": "Personal", "primary": True}
        }
        self.events: dict[str, dict[str, dict]] = {PRIMARY_CALENDAR_ID: {}}
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.codes: dict[str, dict] = {}
        self.revoked: list[str] = []
        self.auto_approve = False

    # --- helpers for tests and the demo -----------------------------------------------------------
    def issue_tokens(self) -> tuple[str, str]:
        access, refresh = f"ya29.{secrets.token_urlsafe(12)}", f"1//{secrets.token_urlsafe(12)}"
        with self.lock:
            self.access_tokens.add(access)
            self.refresh_tokens.add(refresh)
        return access, refresh

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.min_valid_sync_seq = self.seq + 1

    def add_calendar(self, calendar_id: str, summary: str) -> None:
        with self.lock:
            self.calendars[calendar_id] = {"id": calendar_id, "summary": summary}
            self.events.setdefault(calendar_id, {})

    def add_busy_event(self, calendar_id: str, start: datetime, end: datetime) -> dict:
        with self.lock:
            event_id = secrets.token_hex(8)
            return self._store(
                calendar_id,
                {
                    "id": event_id,
                    "status": "confirmed",
                    "summary": "Busy",
                    "start": {"dateTime": start.isoformat()},
                    "end": {"dateTime": end.isoformat()},
                },
            )

    def student_move_event(
        self, calendar_id: str, event_id: str, start: datetime, end: datetime
    ) -> dict:
        with self.lock:
            event = dict(self.events[calendar_id][event_id])
            event["start"] = {"dateTime": start.isoformat()}
            event["end"] = {"dateTime": end.isoformat()}
            return self._store(calendar_id, event)

    def student_delete_event(self, calendar_id: str, event_id: str) -> dict:
        with self.lock:
            event = dict(self.events[calendar_id][event_id])
            event["status"] = "cancelled"
            return self._store(calendar_id, event)

    def live_events(self, calendar_id: str) -> list[dict]:
        with self.lock:
            return [
                e for e in self.events.get(calendar_id, {}).values() if e["status"] != "cancelled"
            ]

    def calendar_named(self, summary: str) -> dict | None:
        with self.lock:
            return next((c for c in self.calendars.values() if c["summary"] == summary), None)

    # --- state ------------------------------------------------------------------------------
    def _store(self, calendar_id: str, event: dict) -> dict:
        self.seq += 1
        event["etag"] = f'"{self.seq}"'
        event["updated"] = datetime.now(UTC).isoformat()
        event["_seq"] = self.seq
        event.setdefault("iCalUID", f"{event['id']}@google.com")
        self.events.setdefault(calendar_id, {})[event["id"]] = event
        return event

    @staticmethod
    def _public(event: dict) -> dict:
        return {key: value for key, value in event.items() if not key.startswith("_")}

    # --- routing ----------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        if request.path == "/" and request.method == "GET":
            return self._overview()
        if request.path == "/o/oauth2/auth":
            return self._consent_page(request)
        if request.path == "/o/oauth2/approve":
            return self._approve(request)
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if request.path == "/revoke" and request.method == "POST":
            token = request.query.get("token") or request.form().get("token", "")
            self.revoked.append(token)
            self.refresh_tokens.discard(token)
            self.access_tokens.discard(token)
            return Response(200, {})
        if not request.path.startswith(API_PREFIX):
            return _error(404, "notFound")
        if request.bearer not in self.access_tokens:
            return _error(401, "authError", "Invalid Credentials")
        parts = [unquote(part) for part in request.path[len(API_PREFIX) :].strip("/").split("/")]
        return self._api(request, parts)

    def _api(self, request: Request, parts: list[str]) -> Response:
        method = request.method
        if parts == ["users", "me", "calendarList"] and method == "GET":
            items = [dict(c, accessRole="owner") for c in self.calendars.values()]
            return Response(200, {"kind": "calendar#calendarList", "items": items})
        if parts == ["freeBusy"] and method == "POST":
            return self._free_busy(request.json())
        if parts == ["calendars"] and method == "POST":
            body = request.json()
            calendar_id = f"{secrets.token_hex(10)}@group.calendar.google.com"
            self.add_calendar(calendar_id, body.get("summary", ""))
            self.calendars[calendar_id]["timeZone"] = body.get("timeZone", "UTC")
            return Response(200, self.calendars[calendar_id])
        if len(parts) < 2 or parts[0] != "calendars" or parts[1] not in self.calendars:
            return _error(404, "notFound")
        calendar_id = parts[1]
        if len(parts) == 2 and method == "GET":
            return Response(200, self.calendars[calendar_id])
        if len(parts) == 2 and method == "DELETE":
            if self.calendars[calendar_id].get("primary"):
                # Google refuses to delete a primary calendar (it can only be cleared).
                return _error(400, "cannotDeletePrimaryCalendar")
            del self.calendars[calendar_id]
            self.events.pop(calendar_id, None)
            return Response(204)
        if len(parts) == 3 and parts[2] == "events":
            if method == "POST":
                return self._insert(calendar_id, request.json())
            if method == "GET":
                return self._list(calendar_id, request.query)
        if len(parts) == 4 and parts[2] == "events":
            return self._event(request, calendar_id, parts[3])
        return _error(404, "notFound")

    def _insert(self, calendar_id: str, body: dict) -> Response:
        event_id = body.get("id") or secrets.token_hex(10)
        if not EVENT_ID_PATTERN.match(event_id):
            return _error(400, "invalid", "Invalid resource id value.")
        if event_id in self.events[calendar_id]:
            # Google keeps cancelled events as tombstones, so their ids stay taken.
            return _error(409, "duplicate", "The requested identifier already exists.")
        event = dict(body, id=event_id, status=body.get("status", "confirmed"))
        return Response(200, self._public(self._store(calendar_id, event)))

    def _event(self, request: Request, calendar_id: str, event_id: str) -> Response:
        event = self.events[calendar_id].get(event_id)
        if event is None:
            return _error(404, "notFound")
        if request.method == "GET":
            return Response(200, self._public(event))
        if request.method == "DELETE":
            if event["status"] == "cancelled":
                return _error(410, "deleted", "Resource has been deleted")
            self._store(calendar_id, dict(event, status="cancelled"))
            return Response(204)
        if request.method in ("PATCH", "PUT"):
            if_match = request.headers.get("if-match")
            if if_match and if_match != event["etag"]:
                return _error(412, "conditionNotMet", "Precondition Failed")
            body = request.json()
            updated = dict(event) if request.method == "PATCH" else {"id": event_id}
            updated.update(body)
            updated.setdefault("status", "confirmed")
            return Response(200, self._public(self._store(calendar_id, updated)))
        return _error(405, "methodNotAllowed")

    def _list(self, calendar_id: str, query: dict[str, str]) -> Response:
        sync_token = query.get("syncToken")
        since = 0
        if sync_token:
            since = int(sync_token.removeprefix("sync-"))
            if since < self.min_valid_sync_seq:
                return _error(410, "fullSyncRequired", "Sync token is no longer valid.")
        show_deleted = query.get("showDeleted") == "true" or bool(sync_token)
        matching = sorted(
            (
                e
                for e in self.events[calendar_id].values()
                if e["_seq"] > since and (show_deleted or e["status"] != "cancelled")
            ),
            key=lambda e: e["_seq"],
        )
        offset = int(query.get("pageToken") or 0)
        page_size = int(query.get("maxResults") or 250)
        page = matching[offset : offset + page_size]
        body: dict = {"kind": "calendar#events", "items": [self._public(e) for e in page]}
        if offset + page_size < len(matching):
            body["nextPageToken"] = str(offset + page_size)
        else:
            body["nextSyncToken"] = f"sync-{self.seq}"
        return Response(200, body)

    def _free_busy(self, body: dict) -> Response:
        time_min, time_max = _parse_time(body["timeMin"]), _parse_time(body["timeMax"])
        calendars = {}
        for item in body.get("items", []):
            calendar_id = item["id"]
            if calendar_id not in self.calendars:
                calendars[calendar_id] = {"errors": [{"reason": "notFound"}], "busy": []}
                continue
            busy = []
            for event in self.events[calendar_id].values():
                if event["status"] == "cancelled":
                    continue
                start = _parse_time(event["start"]["dateTime"])
                end = _parse_time(event["end"]["dateTime"])
                if start < time_max and end > time_min:
                    busy.append({"start": start.isoformat(), "end": end.isoformat()})
            calendars[calendar_id] = {"busy": sorted(busy, key=lambda b: b["start"])}
        return Response(200, {"kind": "calendar#freeBusy", "calendars": calendars})

    def _overview(self) -> Response:
        """A page for the demo: every calendar and its live events."""
        sections = []
        for calendar_id, calendar in self.calendars.items():
            rows = "".join(
                f"<li>{html.escape(e['start'].get('dateTime', ''))} – "
                f"{html.escape(e['end'].get('dateTime', ''))}: "
                f"<strong>{html.escape(e.get('summary', ''))}</strong></li>"
                for e in sorted(
                    self.live_events(calendar_id), key=lambda e: e["start"].get("dateTime", "")
                )
            )
            title = html.escape(calendar["summary"])
            sections.append(f"<h2>{title}</h2><ul>{rows or '<li>No events</li>'}</ul>")
        page = (
            "<!doctype html><html lang='en'><head><title>Fake Google Calendar</title></head>"
            f"<body><h1>Fake Google Calendar</h1>{''.join(sections)}</body></html>"
        )
        return Response(200, page, content_type="text/html; charset=utf-8")

    # --- OAuth ------------------------------------------------------------------------------
    def _consent_page(self, request: Request) -> Response:
        required = ("client_id", "redirect_uri", "state", "code_challenge")
        if any(not request.query.get(key) for key in required):
            return Response(400, "missing OAuth parameters", content_type="text/plain")
        approve = "/o/oauth2/approve?" + urlencode(request.query)
        if self.auto_approve:
            return Response(302, b"", {"Location": approve})
        scopes = html.escape(request.query.get("scope", ""))
        page = (
            "<!doctype html><html lang='en'><head><title>Fake Google consent</title></head>"
            "<body><h1>Fake Google: allow Study Planner?</h1>"
            f"<p>Requested scopes: {scopes}</p>"
            f"<p><a href='{html.escape(approve)}'>Allow</a></p></body></html>"
        )
        return Response(200, page, content_type="text/html; charset=utf-8")

    def _approve(self, request: Request) -> Response:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "challenge": request.query["code_challenge"],
            "redirect_uri": request.query["redirect_uri"],
            "scope": request.query.get("scope", ""),
        }
        location = (
            request.query["redirect_uri"]
            + "?"
            + urlencode({"code": code, "state": request.query["state"]})
        )
        return Response(302, b"", {"Location": location})

    def _token(self, request: Request) -> Response:
        form = request.form()
        grant = form.get("grant_type")
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if issued is None or challenge != issued["challenge"]:
                return Response(400, {"error": "invalid_grant"})
            access, refresh = self.issue_tokens()
            return Response(
                200,
                {
                    "access_token": access,
                    "refresh_token": refresh,
                    "expires_in": ACCESS_TOKEN_SECONDS,
                    "token_type": "Bearer",
                    "scope": issued["scope"],
                },
            )
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return Response(
                    400, {"error": "invalid_grant", "error_description": "Token has been revoked."}
                )
            access = f"ya29.{secrets.token_urlsafe(12)}"
            self.access_tokens.add(access)
            return Response(
                200,
                {
                    "access_token": access,
                    "expires_in": ACCESS_TOKEN_SECONDS,
                    "token_type": "Bearer",
                },
            )
        return Response(400, {"error": "unsupported_grant_type"})
