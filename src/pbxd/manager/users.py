"""Manager users as manager.conf describes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .filters import EventFilters

if TYPE_CHECKING:
    from .acl import Acl


@dataclass(slots=True)
class User:
    name: str
    secret: str | None
    read: int
    write: int
    acl: Acl | None = None
    writetimeout: int = 100  # ms
    displayconnects: bool = True
    allowmultiplelogin: bool = True
    setvars: list[tuple[str, str]] = field(default_factory=list)
    filters: EventFilters | None = None

    def allows_address(self, address: str) -> bool:
        return self.acl is None or self.acl.allows(address)
