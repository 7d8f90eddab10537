"""The Asterisk database (ASTdb) on SQLite, with Asterisk's own schema.

Keys are stored as ``/family/key`` in the table ``astdb(key, value)``, exactly as Asterisk's
``main/db.c`` stores them, so an ``astdb.sqlite3`` written by Asterisk opens unchanged.  Every
write commits at once in WAL mode with ``synchronous=FULL``: a put that returned survives a
``kill -9``.  Any SQLite failure (a corrupt file, a lock held too long, a read-only disk)
surfaces as :class:`AstDBError`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_SCHEMA = "CREATE TABLE IF NOT EXISTS astdb(key VARCHAR(256), value VARCHAR(256), PRIMARY KEY(key))"
# Asterisk matches a tree with ``key || '/' LIKE prefix || '/%'``; LIKE is case-insensitive
# for ASCII.  The prefix's own wildcards are escaped here so a '_' in a family is literal.
_TREE_MATCH = "key || '/' LIKE ? ESCAPE '\\'"


log = logging.getLogger("pbxd.pbx.astdb")

#: Asterisk keeps ``/family/key`` in a 256-byte buffer: family and key get 253 bytes.
MAX_FAMILY_KEY = 253


class AstDBError(Exception):
    """The database file could not be opened, read or written."""


def _full_key(family: str, key: str) -> str | None:
    """``/family/key``, or None (logged, as Asterisk warns) when it is too long."""
    if len(family.encode()) + len(key.encode()) + 2 > MAX_FAMILY_KEY + 2:
        log.warning("Family and key length must be less than %d bytes", MAX_FAMILY_KEY)
        return None
    return f"/{family}/{key}"


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


def _tree_prefix(family: str, subfamily: str) -> str:
    if not family:
        return ""
    return f"/{family}/{subfamily}" if subfamily else f"/{family}"


class AstDB:
    """An open ASTdb file.  Safe to share between threads (one connection, one lock)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 5.0) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise AstDBError(f"cannot open {self.path}: {exc}") from exc
        try:
            with self._guard():
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.execute(_SCHEMA)
        except AstDBError:
            self._db.close()
            raise

    @contextmanager
    def _guard(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise AstDBError(f"{self.path}: {exc}") from exc

    def get(self, family: str, key: str) -> str | None:
        """The value stored under ``/family/key``, or None."""
        full = _full_key(family, key)
        if full is None:
            return None
        with self._guard() as db:
            row = db.execute("SELECT value FROM astdb WHERE key = ?", (full,)).fetchone()
        return None if row is None else str(row[0])

    def exists(self, family: str, key: str) -> bool:
        """True when ``/family/key`` is stored."""
        return self.get(family, key) is not None

    def put(self, family: str, key: str, value: str) -> None:
        """Store (or replace) ``/family/key``; durable when this returns."""
        full = _full_key(family, key)
        if full is None:
            raise AstDBError(f"Family and key length must be less than {MAX_FAMILY_KEY} bytes")
        with self._guard() as db:
            db.execute("INSERT OR REPLACE INTO astdb (key, value) VALUES (?, ?)", (full, value))

    def delete(self, family: str, key: str) -> bool:
        """Remove ``/family/key``; False when it was not there."""
        full = _full_key(family, key)
        if full is None:
            return False
        with self._guard() as db:
            cursor = db.execute("DELETE FROM astdb WHERE key = ?", (full,))
        return cursor.rowcount > 0

    def delete_tree(self, family: str, subfamily: str | None = None) -> int:
        """Remove a family (or ``family/subfamily``) and everything under it; the count.

        An empty family removes every entry, as Asterisk's ``ast_db_deltree`` does.
        """
        prefix = _tree_prefix(family, subfamily or "")
        with self._guard() as db:
            if not prefix:
                cursor = db.execute("DELETE FROM astdb")
            else:
                cursor = db.execute(
                    f"DELETE FROM astdb WHERE {_TREE_MATCH}", (_like_prefix(prefix),)
                )
        return max(cursor.rowcount, 0)

    def get_tree(self, family: str = "", subfamily: str = "") -> list[tuple[str, str]]:
        """``(full key, value)`` pairs under a family (all when empty), ordered by key."""
        prefix = _tree_prefix(family, subfamily)
        with self._guard() as db:
            if not prefix:
                rows = db.execute("SELECT key, value FROM astdb ORDER BY key").fetchall()
            else:
                rows = db.execute(
                    f"SELECT key, value FROM astdb WHERE {_TREE_MATCH} ORDER BY key",
                    (_like_prefix(prefix),),
                ).fetchall()
        return [(str(key), str(value)) for key, value in rows]

    def show_key(self, key: str) -> list[tuple[str, str]]:
        """``database showkey``: every entry whose key ends in ``/key`` (LIKE, as Asterisk)."""
        with self._guard() as db:
            rows = db.execute(
                "SELECT key, value FROM astdb WHERE key LIKE '%' || '/' || ? ORDER BY key",
                (key,),
            ).fetchall()
        return [(str(k), str(v)) for k, v in rows]

    def query(self, sql: str) -> list[list[tuple[str, object]]]:
        """``database query``: run one SQL statement; each row as ``(column, value)``."""
        with self._guard() as db:
            cursor = db.execute(sql)
            rows = cursor.fetchall()
            names = [column[0] for column in cursor.description or ()]
        return [list(zip(names, row, strict=True)) for row in rows]

    def keys(self, family: str) -> list[str]:
        """The distinct next-level key names under ``family`` (which may contain '/').

        This is what ``DB_KEYS(family)`` lists: for ``/fam/a`` and ``/fam/sub/b`` under
        ``fam`` it gives ``["a", "sub"]``.
        """
        family = family.strip("/")
        skip = len(family) + 2 if family else 1
        found: list[str] = []
        for key, _value in self.get_tree(family):
            component = key[skip:].lstrip("/").split("/", 1)[0]
            if not found or found[-1].casefold() != component.casefold():
                found.append(component)
        return found

    def close(self) -> None:
        """Close the file (pending WAL content is checkpointed by SQLite)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> AstDB:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
