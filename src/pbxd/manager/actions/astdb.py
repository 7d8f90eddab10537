"""The ASTdb over AMI: DBGet, DBGetTree, DBPut, DBDel and DBDelTree (``main/db.c``).

A database that is missing, locked or corrupt gets Asterisk's error answer for the action
and a logged error; a write is acknowledged only once SQLite has it on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from ...pbx.astdb import AstDB, AstDBError
from ...protocol import Message
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Response, error, success
from ..session import Session

log = logging.getLogger("pbxd.manager.astdb")

T = TypeVar("T")

NOT_FOUND = "Database entry not found"
FAMILY = Argument("Family", "The DB family.", True)
KEY = Argument("Key", "The DB key.", True)


class _Failed(Exception):
    """The ASTdb could not do it (already logged)."""


def _run(session: Session, what: str, call: Callable[[AstDB], T]) -> T:
    astdb = session.manager.pbx.astdb
    if astdb is None:
        log.error("%s: no ASTdb is open", what)
        raise _Failed
    try:
        return call(astdb)
    except AstDBError as exc:
        log.error("%s: %s", what, exc)
        raise _Failed from exc


def _raw(name: str, fields: list[tuple[str, str]], action_id: str) -> str:
    """An event as db.c writes it: its fields, then the ActionID."""
    tail = f"ActionID: {action_id}\r\n" if action_id else ""
    return f"Event: {name}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + tail + "\r\n"


def _complete(name: str, count: int, action_id: str) -> str:
    head = f"ActionID: {action_id}\r\n" if action_id else ""
    return f"Event: {name}\r\n{head}EventList: Complete\r\nListItems: {count}\r\n\r\n"


@action(
    "DBGet",
    Privilege.SYSTEM | Privilege.REPORTING,
    "Get DB Entry.",
    arguments=(FAMILY, KEY),
    list_responses=("DBGetResponse",),
    final_response="DBGetComplete",
)
def db_get(session: Session, message: Message) -> Response:
    family, key = message.get("family"), message.get("key")
    if not family:
        return error("No family specified.")
    if not key:
        return error("No key specified.")
    try:
        value = _run(session, "DBGet", lambda db: db.get(family, key))
    except _Failed:
        return error(NOT_FOUND)
    if value is None:
        return error(NOT_FOUND)
    action_id = message.head()[1]
    item = _raw("DBGetResponse", [("Family", family), ("Key", key), ("Val", value)], action_id)
    if session.classic:  # Asterisk 1.4: an acknowledgement and the one event, no list
        return Response("Success", "Result will follow", raw_events=(item,))
    done = _complete("DBGetComplete", 1, action_id)
    return Response("Success", "Result will follow", (), "start", raw_events=(item, done))


@action(
    "DBGetTree",
    Privilege.SYSTEM | Privilege.REPORTING,
    "Get DB entries, optionally at a particular family/key",
    arguments=(
        Argument("Family", "The DB family (all entries when empty)."),
        Argument("Key", "The DB key tree within the family."),
    ),
    list_responses=("DBGetTreeResponse",),
    final_response="DBGetTreeComplete",
)
def db_get_tree(session: Session, message: Message) -> Response:
    family, key = message.get("family"), message.get("key")
    try:
        rows = _run(session, "DBGetTree", lambda db: db.get_tree(family, key if family else ""))
    except _Failed:
        return error("Unable to search database")
    action_id = message.head()[1]
    items = [_raw("DBGetTreeResponse", [("Key", k), ("Val", v)], action_id) for k, v in rows]
    done = _complete("DBGetTreeComplete", len(items), action_id)
    return Response("Success", "Result will follow", (), "start", raw_events=(*items, done))


@action(
    "DBPut",
    Privilege.SYSTEM,
    "Put DB entry.",
    arguments=(FAMILY, KEY, Argument("Val", "The value to store (empty when left out).")),
)
def db_put(session: Session, message: Message) -> Response:
    family, key = message.get("family"), message.get("key")
    if not family:
        return error("No family specified")
    if not key:
        return error("No key specified")
    value = message.get("val")
    try:
        _run(session, "DBPut", lambda db: db.put(family, key, value))
    except _Failed:
        return error("Failed to update entry")
    return success("Updated database successfully")


@action("DBDel", Privilege.SYSTEM, "Delete DB entry.", arguments=(FAMILY, KEY))
def db_del(session: Session, message: Message) -> Response:
    family, key = message.get("family"), message.get("key")
    if not family:
        return error("No family specified.")
    if not key:
        return error("No key specified.")
    try:
        deleted = _run(session, "DBDel", lambda db: db.delete(family, key))
    except _Failed:
        deleted = False
    if not deleted:
        return error("Database entry could not be deleted")
    return success("Key deleted successfully")


@action(
    "DBDelTree",
    Privilege.SYSTEM,
    "Delete DB Tree.",
    arguments=(FAMILY, Argument("Key", "The DB key tree within the family.")),
)
def db_del_tree(session: Session, message: Message) -> Response:
    family, key = message.get("family"), message.get("key")
    if not family:
        return error("No family specified.")
    try:
        count = _run(session, "DBDelTree", lambda db: db.delete_tree(family, key or None))
    except _Failed:
        return error("Database unavailable")
    if count == 0:
        return error(NOT_FOUND)
    return success("Key tree deleted successfully")
