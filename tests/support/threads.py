"""Bounding blocking third-party client calls, so a broken server fails fast."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def bounded(call: Callable[[], T], timeout: float = 5.0, what: str = "call") -> T:
    """Run ``call()`` in a daemon thread; AssertionError if it takes over ``timeout`` s."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"bounded {what}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise AssertionError(f"{what} did not finish within {timeout} s")
    error = box.get("error")
    if isinstance(error, AssertionError):
        raise error
    if isinstance(error, BaseException):
        raise AssertionError(f"{what} raised {error!r}") from error
    return box["value"]  # type: ignore[return-value]
