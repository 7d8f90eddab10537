"""Tests for host access lists (permit/deny/acl)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import REFERENCE_CONF

from pbxd.config.conf import Entry, Problem, load, loads
from pbxd.manager.acl import Acl, HostAccessList, Rule, load_named_acls

REFERENCE = REFERENCE_CONF


def lines(*pairs: tuple[str, str]) -> list[Entry]:
    return [Entry(key, value, "=", "manager.conf", n) for n, (key, value) in enumerate(pairs, 1)]


def acl(*pairs: tuple[str, str]) -> Acl:
    problems: list[Problem] = []
    result = Acl.from_entries(lines(*pairs), {}, problems)
    assert problems == []
    return result


LOCAL_ONLY = (("deny", "0.0.0.0/0.0.0.0"), ("permit", "127.0.0.1/255.255.255.255"))

CASES = [
    # (rules, address, allowed)
    ((), "1.2.3.4", True),
    (LOCAL_ONLY, "127.0.0.1", True),
    (LOCAL_ONLY, "127.0.0.2", False),
    (LOCAL_ONLY, "10.1.1.1", False),
    (LOCAL_ONLY, "::ffff:127.0.0.1", True),
    (LOCAL_ONLY, "::ffff:10.0.0.1", False),
    (LOCAL_ONLY, "::1", True),  # IPv4 rules do not apply to IPv6 addresses
    ((("deny", "0.0.0.0/0"), ("permit", "10.0.0.0/8")), "10.200.1.1", True),
    ((("deny", "0.0.0.0/0"), ("permit", "10.0.0.0/8")), "11.0.0.1", False),
    # the last matching rule wins, whatever its order
    ((("permit", "10.0.0.0/8"), ("deny", "0.0.0.0/0")), "10.0.0.1", False),
    ((("deny", "10.1.0.0/16"), ("permit", "10.1.2.0/24")), "10.1.2.3", True),
    ((("deny", "10.1.0.0/16"), ("permit", "10.1.2.0/24")), "10.1.3.3", False),
    ((("deny", "10.0.0.5"),), "10.0.0.5", False),
    ((("deny", "10.0.0.5"),), "10.0.0.6", True),
    ((("deny", "10.0.0.5/32"),), "10.0.0.5", False),
    # host bits in the network address are masked away
    ((("deny", "192.168.1.77/24"),), "192.168.1.1", False),
    # negation flips the sense
    ((("deny", "0.0.0.0/0"), ("permit", "!10.0.0.0/8")), "10.0.0.1", False),
    ((("permit", "!10.0.0.0/8"),), "10.0.0.1", False),
    ((("deny", "!10.0.0.0/8"),), "10.0.0.1", True),
    # several rules on one line
    ((("deny", "0.0.0.0/0"), ("permit", "10.0.0.1, 10.0.0.2")), "10.0.0.2", True),
    ((("deny", "0.0.0.0/0"), ("permit", "10.0.0.1, 10.0.0.2")), "10.0.0.3", False),
    # non-contiguous netmasks are applied bitwise
    ((("deny", "0.0.0.0/0"), ("permit", "10.0.0.1/255.0.0.255")), "10.9.9.1", True),
    ((("deny", "0.0.0.0/0"), ("permit", "10.0.0.1/255.0.0.255")), "10.9.9.2", False),
    # IPv6
    ((("deny", "::/0"),), "2001:db8::1", False),
    ((("deny", "::/0"),), "127.0.0.1", True),
    ((("deny", "::/0"),), "::ffff:127.0.0.1", True),  # mapped addresses are IPv4
    ((("deny", "::/0"), ("permit", "2001:db8::/32")), "2001:db8:1::5", True),
    ((("deny", "::/0"), ("permit", "2001:db8::/32")), "2001:db9::5", False),
    ((("deny", "::/0"), ("permit", "[::1]")), "::1", True),
    ((("deny", "::/0"), ("permit", "::1/ffff:ffff::")), "::2", True),
    ((("deny", "::/0"), ("permit", "fe80::/10")), "fe80::1%eth0", True),
    # IPv4-mapped rules become IPv4 rules
    ((("deny", "0.0.0.0/0"), ("permit", "::ffff:10.0.0.1")), "10.0.0.1", True),
    # unparseable addresses are refused by any non-empty ACL
    ((("deny", "10.0.0.0/8"),), "not-an-ip", False),
    ((), "not-an-ip", True),
]


@pytest.mark.parametrize(("rules", "address", "allowed"), CASES)
def test_apply(rules: tuple[tuple[str, str], ...], address: str, allowed: bool) -> None:
    assert acl(*rules).allows(address) is allowed


def test_ipaddress_objects_accepted() -> None:
    access = acl(*LOCAL_ONLY)
    assert access.allows(ipaddress.ip_address("127.0.0.1"))
    assert access.allows(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert not access.allows(ipaddress.ip_address("127.0.0.3"))


INVALID = [
    ("permit", "10.0.0.300", "invalid IP address '10.0.0.300'"),
    ("permit", "localhost", "invalid IP address 'localhost'"),
    ("deny", "", "invalid IP address ''"),
    ("permit", "10.0.0.0/33", "invalid prefix length '/33' (expected 0-32)"),
    ("permit", "::/129", "invalid prefix length '/129' (expected 0-128)"),
    ("permit", "10.0.0.0/x", "invalid prefix length '/x' (expected 0-32)"),
    ("permit", "10.0.0.0/255.0.0", "invalid netmask '255.0.0'"),
    ("permit", "10.0.0.0/ffff::", "address and netmask are not the same address family"),
    # a mapped address becomes IPv4 first, so its prefix is an IPv4 one (as in Asterisk)
    ("permit", "::ffff:10.0.0.0/104", "invalid prefix length '/104' (expected 0-32)"),
]


@pytest.mark.parametrize(("key", "value", "message"), INVALID)
def test_invalid_rules_are_errors(key: str, value: str, message: str) -> None:
    problems: list[Problem] = []
    result = Acl.from_entries(lines(("secret", "x"), (key, value)), {}, problems)
    (problem,) = problems
    assert (problem.file, problem.line, problem.severity) == ("manager.conf", 2, "error")
    assert problem.message == f"invalid {key} entry '{value}': {message}"
    assert result.lists[0].rules == ()


def test_valid_rules_on_a_line_survive_a_bad_one() -> None:
    problems: list[Problem] = []
    result = Acl.from_entries(
        lines(("deny", "0.0.0.0/0"), ("permit", "bad,10.0.0.1")), {}, problems
    )
    assert len(problems) == 1
    assert result.allows("10.0.0.1")


def test_named_acls() -> None:
    acl_conf = loads(
        "[local](!)\nignored = 1\n[local_only]\ndeny = 0.0.0.0/0\npermit = 127.0.0.0/8\n"
        "[office]\ndeny = 0.0.0.0/0\npermit = 192.168.0.0/16\npermit = 127.0.0.1\n",
        name="acl.conf",
    )
    problems: list[Problem] = []
    named = load_named_acls(acl_conf, problems)
    assert problems == []
    assert sorted(named) == ["local_only", "office"]

    both = Acl.from_entries(lines(("acl", "local_only, Office")), named, problems)
    assert problems == []
    assert both.allows("127.0.0.1")
    assert not both.allows("127.0.0.2")  # office refuses it
    assert both.denied_by("127.0.0.2") == "Office"
    assert both.denied_by("192.168.1.1") == "local_only"

    mixed = Acl.from_entries(
        lines(("acl", "office"), ("deny", "192.168.0.0/16"), ("permit", "192.168.5.5")),
        named,
        problems,
    )
    assert mixed.allows("192.168.5.5")
    assert not mixed.allows("192.168.5.6")
    assert mixed.denied_by("192.168.5.6") == "(BASELINE)"
    assert mixed.lists[0].name == "" and mixed.lists[1].name == "office"


def test_unknown_named_acl_is_an_error_and_denies_everything() -> None:
    problems: list[Problem] = []
    result = Acl.from_entries(lines(("acl", "nowhere")), {}, problems)
    (problem,) = problems
    assert (problem.line, problem.severity) == (1, "error")
    assert "unknown named ACL 'nowhere'" in problem.message
    assert not result.allows("127.0.0.1")
    assert result.denied_by("::1") == "nowhere"


def test_duplicate_named_acl_is_an_error() -> None:
    problems: list[Problem] = []
    named = {"a": HostAccessList((Rule.parse("deny", "10.0.0.0/8"),), "a")}
    result = Acl.from_entries(lines(("acl", "a"), ("acl", "A")), named, problems)
    assert len(result.lists) == 1
    assert [p.message for p in problems] == ["named ACL 'A' is already included"]


def test_named_acl_unknown_option_and_bad_rule_reported() -> None:
    problems: list[Problem] = []
    named = load_named_acls(loads("[n]\nfoo = 1\npermit = nope\n", name="acl.conf"), problems)
    assert [(p.line, p.severity) for p in problems] == [(2, "warning"), (3, "error")]
    assert named["n"].rules == ()


def test_empty_acl_and_other_keys_ignored() -> None:
    result = acl(("secret", "x"), ("read", "all"))
    assert result.is_empty
    assert result.allows("8.8.8.8")


def test_rule_text_form() -> None:
    assert str(Rule.parse("permit", "10.1.2.3/8")) == "permit 10.0.0.0/8"
    assert str(Rule.parse("deny", "10.0.0.1/255.0.0.255")) == "deny 10.0.0.1/255.0.0.255"
    assert str(Rule.parse("deny", "::1")) == "deny ::1/128"
    assert str(Rule.parse("permit", "!1.2.3.4")) == "deny 1.2.3.4/32"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference Asterisk configs absent")
def test_reference_manager_conf_users() -> None:
    config = load(REFERENCE / "manager.conf")
    problems: list[Problem] = []
    acluser = Acl.from_entries(config.get_category("acluser").entries, {}, problems)
    blocked = Acl.from_entries(config.get_category("blocked").entries, {}, problems)
    admin = Acl.from_entries(config.get_category("admin").entries, {}, problems)
    assert problems == []
    assert acluser.allows("127.0.0.1")
    assert not blocked.allows("127.0.0.1")
    assert blocked.allows("10.2.3.4")
    assert admin.allows("127.0.0.1") and admin.is_empty


IPV4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)


@given(IPV4, st.integers(0, 32), IPV4)
def test_prefix_rule_agrees_with_ipaddress(
    network: ipaddress.IPv4Address, prefix: int, address: ipaddress.IPv4Address
) -> None:
    rule_net = ipaddress.ip_network(f"{network}/{prefix}", strict=False)
    result = acl(("deny", f"{network}/{prefix}"))
    assert result.allows(str(address)) is (address not in rule_net)
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    assert result.allows(str(mapped)) is (address not in rule_net)


@given(st.lists(st.tuples(st.booleans(), IPV4, st.integers(0, 32)), max_size=8), IPV4)
def test_last_matching_rule_wins(
    rules: list[tuple[bool, ipaddress.IPv4Address, int]], address: ipaddress.IPv4Address
) -> None:
    expected = True
    for allow, network, prefix in rules:
        if address in ipaddress.ip_network(f"{network}/{prefix}", strict=False):
            expected = allow
    pairs = [("permit" if allow else "deny", f"{net}/{prefix}") for allow, net, prefix in rules]
    assert acl(*pairs).allows(str(address)) is expected
