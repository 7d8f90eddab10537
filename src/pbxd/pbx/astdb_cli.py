"""The ``database`` CLI commands (show, showkey, get, put, del, deltree, query) with
Asterisk 20's texts and layouts (``main/db.c``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .astdb import AstDB, AstDBError
from .cli import CliFailure, ShowUsage

if TYPE_CHECKING:
    from .core import PBX

log = logging.getLogger("pbxd.pbx.astdb")

UNAVAILABLE = "Database unavailable."

USAGES = {
    "show": "Usage: database show [family [keytree]]\n"
    "   OR: database show [family[/keytree]]\n"
    "       Shows Asterisk database contents, optionally restricted\n"
    "       to a given family, or family and keytree. The two arguments\n"
    "       may be separated either by a space or by a slash.",
    "showkey": "Usage: database showkey <keytree>\n"
    "       Shows Asterisk database contents, restricted to a given key.",
    "get": "Usage: database get <family> <key>\n"
    "       Retrieves an entry in the Asterisk database for a given\n"
    "       family and key.",
    "put": "Usage: database put <family> <key> <value>\n"
    "       Adds or updates an entry in the Asterisk database for\n"
    "       a given family, key, and value.",
    "del": "Usage: database del <family> <key>\n"
    "       Deletes an entry in the Asterisk database for a given\n"
    "       family and key.",
    "deltree": "Usage: database deltree <family> [keytree]\n"
    "   OR: database deltree <family>[/keytree]\n"
    "       Deletes a family or specific keytree within a family\n"
    "       in the Asterisk database.  The two arguments may be\n"
    "       separated by either a space or a slash.",
    "query": 'Usage: database query "<SQL Statement>"\n'
    "       Run a user-specified SQL query on the database. Be careful.",
}
SUMMARIES = {
    "show": "Shows database contents",
    "showkey": "Shows database contents",
    "get": "Gets database value",
    "put": "Adds/updates database value",
    "del": "Removes database key/value",
    "deltree": "Removes database keytree/values",
    "query": "Run a user-specified query on the astdb",
}


def _rows(entries: list[tuple[str, str]]) -> list[str]:
    return [f"{key:<50}: {value:<25}" for key, value in entries] + [
        f"{len(entries)} results found."
    ]


def register_cli(pbx: PBX) -> None:
    """Add the ``database`` commands to ``pbx.cli`` (they use ``pbx.astdb`` when run)."""

    def database() -> AstDB:
        if pbx.astdb is None:
            raise CliFailure(UNAVAILABLE)
        return pbx.astdb

    def show(args: list[str]) -> list[str]:
        if len(args) > 2:
            raise ShowUsage
        prefix = "/".join(args)
        family, _, subfamily = prefix.partition("/")
        return _rows(database().get_tree(family, subfamily))

    def showkey(args: list[str]) -> list[str]:
        if len(args) != 1:
            raise ShowUsage
        return _rows(database().show_key(args[0]))

    def get(args: list[str]) -> list[str]:
        if len(args) != 2:
            raise ShowUsage
        value = database().get(*args)
        return ["Database entry not found."] if value is None else [f"Value: {value}"]

    def put(args: list[str]) -> list[str]:
        if len(args) != 3:
            raise ShowUsage
        try:
            database().put(*args)
        except AstDBError as exc:
            log.error("database put %s/%s: %s", args[0], args[1], exc)
            return ["Failed to update entry"]
        return ["Updated database successfully"]

    def delete(args: list[str]) -> list[str]:
        if len(args) != 2:
            raise ShowUsage
        if not database().delete(*args):
            return ["Database entry could not be removed."]
        return ["Database entry removed."]

    def deltree(args: list[str]) -> list[str]:
        if not 1 <= len(args) <= 2:
            raise ShowUsage
        count = database().delete_tree(args[0], args[1] if len(args) == 2 else None)
        if count == 0:
            return ["Database entries do not exist."]
        return [f"{count} database entries removed."]

    def query(args: list[str]) -> list[str]:
        if len(args) != 1:
            raise ShowUsage
        try:
            rows = database().query(args[0])
        except AstDBError as exc:
            log.warning("Error executing SQL (%s): %s", args[0], exc)
            return []
        lines: list[str] = []
        for row in rows:
            for column, value in row:
                lines.append(f"{column:<5}: {'(null)' if value is None else value!s:<50}")
            lines.append("")
        return lines

    handlers = {
        "show": show,
        "showkey": showkey,
        "get": get,
        "put": put,
        "del": delete,
        "deltree": deltree,
        "query": query,
    }
    for word, handler in handlers.items():

        def guarded(args: list[str], handler=handler) -> list[str]:  # type: ignore[no-untyped-def]
            try:
                return handler(args)
            except AstDBError as exc:
                log.error("database %s: %s", args, exc)
                raise CliFailure(UNAVAILABLE) from exc

        pbx.cli.register(f"database {word}", SUMMARIES[word], USAGES[word], takes_args=True)(
            guarded
        )
