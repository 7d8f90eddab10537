"""Host access control lists, evaluated the way Asterisk's ``acl.c`` does.

A :class:`HostAccessList` is an ordered list of ``permit``/``deny`` rules.  Evaluation starts
from ALLOW and every rule whose network contains the address sets the outcome, so the LAST
matching rule wins (``ast_apply_ha``).  A rule is ``addr``, ``addr/prefix`` or ``addr/netmask``
(any bit pattern), IPv4 or IPv6; a leading ``!`` inverts the rule's sense (``permit = !x`` acts
as ``deny = x``); one line may hold several comma-separated rules.  IPv4 rules apply to IPv4 and
IPv4-mapped IPv6 addresses (``::ffff:a.b.c.d``), IPv6 rules only to other IPv6 addresses.

An :class:`Acl` (``ast_acl_list``) combines the unnamed list built from a section's
``permit``/``deny`` lines with the named lists its ``acl = name[,name]`` lines refer to (from
``acl.conf``); an address must pass every one of them.  A reference to an unknown named ACL is a
configuration error and, as in Asterisk, makes the ACL deny every address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pbxd.config.conf import ConfigFile, Entry, Problem

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

BASELINE = "(BASELINE)"
_BITS = {4: 32, 6: 128}


def _parse_address(text: str) -> IPAddress:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _normalise(address: str | IPAddress) -> IPAddress | None:
    """The address to test, IPv4-mapped IPv6 folded to IPv4; None if unparseable."""
    if isinstance(address, str):
        try:
            return _parse_address(address)
        except ValueError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True, slots=True)
class Rule:
    """One permit/deny rule: ``address & mask == network`` selects it."""

    allow: bool
    version: int
    network: int
    mask: int
    text: str

    @classmethod
    def parse(cls, sense: str, text: str) -> Rule:
        """Parse one rule for ``sense`` ("permit"/"deny"); ValueError says what is wrong."""
        allow = sense.strip().lower().startswith("p")
        spec = text.strip()
        if spec.startswith("!"):
            allow = not allow
            spec = spec[1:].strip()
        address_text, slash, mask_text = spec.partition("/")
        try:
            address = _parse_address(address_text)
        except ValueError:
            raise ValueError(f"invalid IP address '{address_text.strip()}'") from None
        bits = _BITS[address.version]
        full = (1 << bits) - 1
        mask_text = mask_text.strip()
        if not slash:
            mask = full
        elif "." in mask_text or ":" in mask_text:
            try:
                mask_address = _parse_address(mask_text)
            except ValueError:
                raise ValueError(f"invalid netmask '{mask_text}'") from None
            if mask_address.version != address.version:
                raise ValueError("address and netmask are not the same address family")
            mask = int(mask_address)
        else:
            if not (mask_text.isascii() and mask_text.isdigit()) or int(mask_text) > bits:
                raise ValueError(f"invalid prefix length '/{mask_text}' (expected 0-{bits})")
            prefix = int(mask_text)
            mask = full ^ ((1 << (bits - prefix)) - 1)
        return cls(allow, address.version, int(address) & mask, mask, text.strip())

    def matches(self, address: IPAddress) -> bool:
        """True if the (already normalised) address falls inside this rule's network."""
        return address.version == self.version and int(address) & self.mask == self.network

    def __str__(self) -> str:
        width = _BITS[self.version]
        make = ipaddress.IPv4Address if self.version == 4 else ipaddress.IPv6Address
        prefix = bin(self.mask).count("1")
        contiguous = self.mask == ((1 << width) - 1) ^ ((1 << (width - prefix)) - 1)
        mask = str(prefix) if contiguous else str(make(self.mask))
        return f"{'permit' if self.allow else 'deny'} {make(self.network)}/{mask}"


@dataclass(frozen=True, slots=True)
class HostAccessList:
    """An ordered rule list (Asterisk's ``ast_ha`` chain); ``invalid`` ones deny everything."""

    rules: tuple[Rule, ...] = ()
    name: str = ""
    invalid: bool = False

    def apply(self, address: str | IPAddress) -> bool:
        """Allow unless the last rule matching ``address`` denies; bad addresses are denied."""
        if self.invalid:
            return False
        normalised = _normalise(address)
        if normalised is None:
            return False
        allowed = True
        for rule in self.rules:
            if rule.matches(normalised):
                allowed = rule.allow
        return allowed

    @property
    def label(self) -> str:
        """The name, or ``(BASELINE)`` for the unnamed list."""
        return self.name or BASELINE


def parse_rules(entry: Entry, problems: list[Problem]) -> list[Rule]:
    """The rules on one ``permit``/``deny`` line; bad items become error problems."""
    rules: list[Rule] = []
    for item in entry.value.split(","):
        try:
            rules.append(Rule.parse(entry.key, item))
        except ValueError as exc:
            problems.append(
                Problem(
                    entry.file,
                    entry.line,
                    "error",
                    f"invalid {entry.key.lower()} entry '{item.strip()}': {exc}",
                )
            )
    return rules


@dataclass(frozen=True, slots=True)
class Acl:
    """The access lists one account must pass (Asterisk's ``ast_acl_list``)."""

    lists: tuple[HostAccessList, ...] = ()

    @classmethod
    def from_entries(
        cls,
        entries: Iterable[Entry],
        named: Mapping[str, HostAccessList],
        problems: list[Problem],
    ) -> Acl:
        """Build from a section's entries; ``permit``/``deny``/``acl`` keys, others ignored."""
        by_name = {name.lower(): value for name, value in named.items()}
        baseline: list[Rule] = []
        seen_baseline = False
        referenced: list[HostAccessList] = []
        for entry in entries:
            key = entry.key.lower()
            if key in ("permit", "deny"):
                seen_baseline = True
                baseline.extend(parse_rules(entry, problems))
            elif key == "acl":
                for raw in entry.value.split(","):
                    name = raw.strip()
                    if any(item.name.lower() == name.lower() for item in referenced):
                        problems.append(
                            Problem(
                                entry.file,
                                entry.line,
                                "error",
                                f"named ACL '{name}' is already included",
                            )
                        )
                        continue
                    found = by_name.get(name.lower())
                    if found is None:
                        problems.append(
                            Problem(
                                entry.file,
                                entry.line,
                                "error",
                                f"unknown named ACL '{name}' (not defined in acl.conf); "
                                "it denies every address",
                            )
                        )
                        found = HostAccessList(name=name, invalid=True)
                    referenced.append(HostAccessList(found.rules, name, found.invalid))
        lists = [HostAccessList(tuple(baseline))] if seen_baseline else []
        return cls(tuple(lists + referenced))

    def denied_by(self, address: str | IPAddress) -> str | None:
        """The label of the first list refusing ``address`` (``(BASELINE)`` or a name)."""
        for access in self.lists:
            if not access.apply(address):
                return access.label
        return None

    def allows(self, address: str | IPAddress) -> bool:
        """True if every list allows ``address``; an empty ACL allows everything."""
        return self.denied_by(address) is None

    @property
    def is_empty(self) -> bool:
        """True when no permit/deny/acl line was given."""
        return not self.lists


def load_named_acls(config: ConfigFile, problems: list[Problem]) -> dict[str, HostAccessList]:
    """Named ACLs from a parsed ``acl.conf``: one per (non-template) category.

    Categories repeating a name add their rules to the same ACL.  Options other than
    ``permit``/``deny`` draw a warning.
    """
    rules: dict[str, list[Rule]] = {}
    names: dict[str, str] = {}
    for category in config.iter_categories():
        folded = category.name.lower()
        names.setdefault(folded, category.name)
        bucket = rules.setdefault(folded, [])
        for entry in category.entries:
            if entry.key.lower() in ("permit", "deny"):
                bucket.extend(parse_rules(entry, problems))
            else:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        "warning",
                        f"unknown option '{entry.key}' in named ACL [{category.name}]",
                    )
                )
    return {names[key]: HostAccessList(tuple(value), names[key]) for key, value in rules.items()}
