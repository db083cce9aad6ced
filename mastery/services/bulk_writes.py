"""Rows written in bulk without a model instance per row: the bulk fold's writes.

A full recompute writes thousands of history steps and, for a large course load, a thousand
state rows. Django's bulk helpers would build a model instance per row (two with history) and
send one placeholder per value, which psycopg parses one by one; at that size those costs, not
the database, set the time. Here each statement carries its rows as columns:

* PostgreSQL: one parameter per column, a text array literal (`{v1,v2,…}`) that the server
  parses (`unnest(%s::text::uuid[], …)`). Building the literal is one string join per column;
  psycopg's own array dumper would adapt each element in Python. Floats travel as `repr`,
  which PostgreSQL reads back to the same double, so nothing is rounded on the way. New ids
  come from `gen_random_uuid()` on the server.
* SQLite: one prepared statement run once per row in-process (`executemany`, which Django
  counts as one query); there is no round trip to save, and the 999-parameter limit would
  otherwise split the rows into statements that grow with them.

The history of a state row (django-simple-history's table) is copied on the server from the
rows just written, `INSERT … SELECT`, with the user and date simple_history would give them:
staff keep one history row per created or changed MasteryRecord, as with a save().
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, models

# Table and column names below come from the models and are quoted; every value is a bound
# parameter (on PostgreSQL, an array literal that the server parses as one value).


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_element(kind: str):
    """How one value of a column of this internal type is written inside an array literal."""
    if kind in ("UUIDField", "IntegerField", "PositiveIntegerField", "BigIntegerField"):
        return str
    if kind == "FloatField":
        return repr  # the shortest text that reads back as the same double
    if kind in ("DateTimeField", "DateField"):
        return lambda value: _quoted(value.isoformat())
    if kind == "JSONField":
        return lambda value: _quoted(json.dumps(value))
    return lambda value: _quoted(str(value))


def _kind(field: models.Field) -> str:
    return (field.target_field if field.is_relation else field).get_internal_type()


def _pg_array(values: Sequence, field: models.Field) -> str:
    write = _array_element(_kind(field))
    return "{" + ",".join("NULL" if value is None else write(value) for value in values) + "}"


def _sqlite_adapter(field: models.Field):
    """A plain value as the SQLite driver takes it for this column (None: as it is); the
    conversions Django's own writes make, without a model instance per row."""
    kind = _kind(field)
    if kind == "UUIDField":
        return lambda value: None if value is None else value.hex
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    if kind == "JSONField":
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _sqlite_value(field: models.Field, value):
    adapt = _sqlite_adapter(field)
    return value if adapt is None else adapt(value)


def _sqlite_column(values: Sequence, field: models.Field) -> list:
    adapt = _sqlite_adapter(field)
    return list(values) if adapt is None else [adapt(value) for value in values]


def _prepared(fields: Sequence[models.Field], constants: dict[str, Any]) -> list:
    return [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, constants.values(), strict=True)
    ]


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    return [model._meta.get_field(name.removesuffix("_id")) for name in names]


def insert_rows(
    model: type[models.Model],
    *,
    columns: Sequence[str],
    rows: Sequence[tuple],
    constants: dict[str, Any],
    new_ids: bool = True,
) -> None:
    """Insert `rows` (tuples in `columns` order) in one statement; `constants` ({column:
    value}) are the same for every row and sent once; `new_ids`: each row gets a new UUID."""
    if not rows:
        return
    meta = model._meta
    fixed = _fields(model, list(constants))
    varying = _fields(model, columns)
    quote = connection.ops.quote_name
    id_column = [quote(meta.pk.column)] if new_ids else []
    names = ", ".join(
        [*(quote(f.column) for f in fixed), *id_column, *(quote(f.column) for f in varying)]
    )
    table = quote(meta.db_table)
    by_column = list(zip(*rows, strict=True))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            selected = [f"%s::{field.db_type(connection)}" for field in fixed]
            if new_ids:
                selected.append("gen_random_uuid()")
            arrays = ", ".join(f"%s::text::{field.db_type(connection)}[]" for field in varying)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {', '.join([*selected, '*'])} "  # noqa: S608
                f"FROM unnest({arrays})",
                [
                    *_prepared(fixed, constants),
                    *(_pg_array(values, f) for f, values in zip(varying, by_column, strict=True)),
                ],
            )
            return
        fixed_values = [
            _sqlite_value(field, value)
            for field, value in zip(fixed, constants.values(), strict=True)
        ]
        adapted = [_sqlite_column(values, f) for f, values in zip(varying, by_column, strict=True)]
        ids = [[uuid.uuid4().hex for _ in rows]] if new_ids else []
        marks = ", ".join(["%s"] * (len(fixed) + len(id_column) + len(varying)))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
            [(*fixed_values, *row) for row in zip(*ids, *adapted, strict=True)],
        )


def update_rows(
    model: type[models.Model],
    *,
    key: str,
    columns: Sequence[str],
    rows: Sequence[tuple],
    constants: dict[str, Any],
) -> None:
    """Set `columns` (and the `constants`) of each row named by its `key` value, the first
    item of each of `rows` (tuples of key then `columns`), in one statement."""
    if not rows:
        return
    key_field, *fields = _fields(model, [key, *columns])
    fixed = _fields(model, list(constants))
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    by_column = list(zip(*rows, strict=True))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            aliases = [f"c{index}" for index in range(len(fields))]
            assignments = ", ".join(
                [
                    *(
                        f"{quote(field.column)} = source.{alias}"
                        for field, alias in zip(fields, aliases, strict=True)
                    ),
                    *(f"{quote(f.column)} = %s::{f.db_type(connection)}" for f in fixed),
                ]
            )
            arrays = ", ".join(
                f"%s::text::{field.db_type(connection)}[]" for field in (key_field, *fields)
            )
            cursor.execute(
                f"UPDATE {table} AS target SET {assignments} "  # noqa: S608
                f"FROM unnest({arrays}) AS source(row_key, {', '.join(aliases)}) "
                f"WHERE target.{quote(key_field.column)} = source.row_key",
                [
                    *_prepared(fixed, constants),
                    *(
                        _pg_array(values, field)
                        for field, values in zip((key_field, *fields), by_column, strict=True)
                    ),
                ],
            )
            return
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in (*fields, *fixed))
        fixed_values = [
            _sqlite_value(field, value)
            for field, value in zip(fixed, constants.values(), strict=True)
        ]
        key_values, *adapted = (
            _sqlite_column(values, field)
            for field, values in zip((key_field, *fields), by_column, strict=True)
        )
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {quote(key_field.column)} = %s",  # noqa: S608
            [
                (*row, *fixed_values, row_key)
                for row_key, row in zip(key_values, zip(*adapted, strict=True), strict=True)
            ],
        )


def history_copy(
    model: type[models.Model],
    *,
    user,
    topic_ids: Sequence,
    history_type: str,
    history_date: datetime,
) -> None:
    """Record the current `model` rows of these topics of `user` in simple_history's table,
    as a save() would: one row each, of `history_type` ("+" created, "~" changed), dated
    `history_date`, by the request's user when there is one (an admin action), else nobody."""
    if not topic_ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    history_user = history.get_default_history_user(model(user=user))
    quote = connection.ops.quote_name
    tracked = history.tracked_fields
    targets = ", ".join(
        [
            *(quote(history._meta.get_field(field.name).column) for field in tracked),
            *(quote(name) for name in ("history_date", "history_type", "history_user_id")),
        ]
    )
    sources = ", ".join(quote(field.column) for field in tracked)
    table, history_table = quote(model._meta.db_table), quote(history._meta.db_table)
    user_column = quote(model._meta.get_field("user").column)
    topic_field = model._meta.get_field("topic")
    when = model._meta.get_field("updated_at").get_db_prep_save(history_date, connection)
    by = None if history_user is None else history_user.pk
    select = (
        f"INSERT INTO {history_table} ({targets}) "  # noqa: S608
        f"SELECT {sources}, %s, %s, %s FROM {table} WHERE {user_column} = %s "
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                # A subquery, so the array is read once, not once per row of the table.
                select + f"AND {quote(topic_field.column)} IN "
                f"(SELECT unnest(%s::text::{topic_field.db_type(connection)}[]))",
                [when, history_type, by, user.pk, _pg_array(topic_ids, topic_field)],
            )
            return
        by_value = _sqlite_value(history._meta.get_field("history_user"), by)
        user_value = _sqlite_value(model._meta.get_field("user"), user.pk)
        cursor.executemany(
            select + f"AND {quote(topic_field.column)} = %s",
            [
                (when, history_type, by_value, user_value, topic)
                for topic in _sqlite_column(topic_ids, topic_field)
            ],
        )
