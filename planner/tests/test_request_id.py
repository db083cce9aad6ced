"""Every response carries a request id, and every log line of the request carries it too."""

import copy
import io
import json
import logging
import logging.config
import re

import pytest
from django.conf import settings

from planner.middleware import REQUEST_ID_HEADER, RequestContextFilter, request_id_var

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """Every log line, formatted by the configured JSON formatter and filter."""
    # A copy: the configurator consumes the "()" key of the dict it is given.
    config = copy.deepcopy(settings.LOGGING)
    formatter = logging.config.DictConfigurator(config).configure_formatter(
        config["formatters"]["json"]
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def test_a_request_without_an_id_gets_a_new_one(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert HEX_ID.fullmatch(first[REQUEST_ID_HEADER])
    assert first[REQUEST_ID_HEADER] != second[REQUEST_ID_HEADER]


def test_a_sane_incoming_id_is_echoed(client):
    incoming = "edge-7f3a9c.01:42"
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response[REQUEST_ID_HEADER] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["x" * 65, "id with spaces", "id\r\nSet-Cookie: a=b", "<script>", "caf\u00e9", ""],
)
def test_an_unsafe_incoming_id_is_replaced(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert HEX_ID.fullmatch(response[REQUEST_ID_HEADER])


def test_log_lines_are_json_with_the_request_and_user_ids(logged_in_client, user, json_log):
    response = logged_in_client.get("/stats/", HTTP_X_REQUEST_ID="trace-123")
    assert response.status_code == 200
    lines = json_log()
    (line,) = [row for row in lines if row["logger"] == "planner.request"]
    assert line["request_id"] == "trace-123"
    assert line["user_id"] == str(user.pk)
    assert (line["method"], line["status"], line["level"]) == ("GET", 200, "INFO")
    assert line["route"] == "/stats/"
    assert user.email not in json.dumps(lines)


def test_an_anonymous_request_logs_no_user(client, json_log):
    client.get("/healthz", HTTP_X_REQUEST_ID="anon-1")
    (line,) = [row for row in json_log() if row["request_id"] == "anon-1"]
    assert line["user_id"] is None


def test_log_lines_outside_a_request_have_no_id(json_log):
    logging.getLogger("planner.test").info("between requests")
    (line,) = [row for row in json_log() if row["logger"] == "planner.test"]
    assert (line["message"], line["request_id"], line["user_id"]) == (
        "between requests",
        None,
        None,
    )


@pytest.fixture
def memory_broker():
    """Publish to an in-memory broker instead of running tasks eagerly."""
    from planner.celery import app as celery_app

    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app._pool, celery_app.amqp._producer_pool = None, None
    celery_app.conf.update(task_always_eager=False, broker_url="memory://")
    try:
        yield celery_app
    finally:
        celery_app._pool, celery_app.amqp._producer_pool = None, None
        celery_app.conf.update(saved)


def test_a_task_enqueued_in_a_request_carries_its_id(memory_broker):
    token = request_id_var.set("req-abc")
    try:
        memory_broker.send_task("scheduling.tasks.replan_user", args=["nobody"], queue="planning")
    finally:
        request_id_var.reset(token)
    with memory_broker.connection_for_write() as connection:
        queue = connection.SimpleQueue("planning")
        message = queue.get(timeout=2)
        message.ack()
        queue.close()
    assert message.headers["request_id"] == "req-abc"


def test_a_task_logs_under_the_request_id_it_carries(user, json_log):
    from scheduling.tasks import replan_user

    try:
        replan_user.apply(args=[str(user.pk), "test"], headers={"request_id": "req-task-7"})
    finally:
        request_id_var.set(None)
    (line,) = [row for row in json_log() if row["message"].startswith("replanned")]
    assert line["request_id"] == "req-task-7"
