"""DBGet, DBGetTree, DBPut, DBDel, DBDelTree and the hint/device-state actions against a real
pbxd: Asterisk's texts, list framing, and keys and values with odd characters."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.ami import AmiSocket, action, headers
from support.server import PbxdProcess


def _session(server: PbxdProcess) -> AmiSocket:
    ami = AmiSocket(*server.address)
    ami.read_banner()
    ami.login()
    return ami


def _get(ami: AmiSocket, family: str, key: str) -> str | None:
    response = ami.request(action("DBGet", ("Family", family), ("Key", key), action_id="g"))
    if b"Response: Error" in response:
        assert b"Message: Database entry not found\r\n" in response
        return None
    assert response.endswith(b"EventList: start\r\nMessage: Result will follow\r\n\r\n")
    item = ami.read_message()
    done = ami.read_message()
    assert done == (
        b"Event: DBGetComplete\r\nActionID: g\r\nEventList: Complete\r\nListItems: 1\r\n\r\n"
    )
    lines = item.decode().split("\r\n")
    assert lines[0] == "Event: DBGetResponse" and lines[4] == "ActionID: g"
    assert lines[1] == f"Family: {family}" and lines[2] == f"Key: {key}"
    return lines[3].removeprefix("Val: ")


#: What survives an AMI header: no CR/LF, no blanks at either end (the parser trims them).
_TEXT = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\n"),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
_NAMES = st.one_of(_TEXT, st.text(alphabet=string.punctuation + "äé漢 ", min_size=1, max_size=20)
                   .map(str.strip).filter(bool))  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(family=_NAMES, key=_NAMES, value=st.one_of(st.just(""), _TEXT))
def test_round_trip_of_odd_characters(
    reference_server: PbxdProcess, family: str, key: str, value: str
) -> None:
    with _session(reference_server) as ami:
        put = ami.request(action("DBPut", ("Family", family), ("Key", key), ("Val", value)))
        assert b"Message: Updated database successfully\r\n" in put, put
        assert _get(ami, family, key) == value
        deleted = ami.request(action("DBDel", ("Family", family), ("Key", key)))
        assert b"Message: Key deleted successfully\r\n" in deleted, deleted
        assert _get(ami, family, key) is None


def test_errors_and_trees(reference_server: PbxdProcess) -> None:
    with _session(reference_server) as ami:
        too_long = ami.request(action("DBPut", ("Family", "f" * 200), ("Key", "k" * 60)))
        assert headers(too_long)["message"] == "Failed to update entry"
        assert _get(ami, "f" * 200, "k" * 60) is None
        for key in ("a", "sub/b", "sub/c"):
            ami.request(action("DBPut", ("Family", "tree_1"), ("Key", key), ("Val", key)))
        ami.request(action("DBPut", ("Family", "tree_10"), ("Key", "x"), ("Val", "other")))
        ami.send(action("DBGetTree", ("Family", "tree_1"), ("Key", "sub")))
        assert b"Message: Result will follow" in ami.read_message()
        items = [ami.read_message() for _ in range(3)]
        assert [headers(m).get("key") for m in items] == ["/tree_1/sub/b", "/tree_1/sub/c", None]
        assert headers(items[-1])["listitems"] == "2"
        whole = ami.request(action("DBDelTree", ("Family", "tree_1")))
        assert headers(whole)["message"] == "Key tree deleted successfully"
        assert _get(ami, "tree_10", "x") == "other"  # a longer family is not under tree_1
        again = ami.request(action("DBDelTree", ("Family", "tree_1")))
        assert headers(again)["message"] == "Database entry not found"
        no_key = ami.request(action("DBDel", ("Family", "tree_10")))
        assert headers(no_key)["message"] == "No key specified."
        no_family = ami.request(action("DBGetTree"))  # the whole database is fine
        assert b"Message: Result will follow" in no_family
        ami.read_event("DBGetTreeComplete")


def test_database_cli(reference_server: PbxdProcess) -> None:
    def run(command: str) -> list[str]:
        response = ami.request(action("Command", ("Command", command)))
        return [
            line.removeprefix("Output: ")
            for line in response.decode().split("\r\n")
            if line.startswith("Output: ")
        ]

    with _session(reference_server) as ami:
        assert run('database put clifam "my key" "a value"') == ["Updated database successfully"]
        assert run('database get clifam "my key"') == ["Value: a value"]
        assert run("database show clifam") == [
            f"{'/clifam/my key':<50}: {'a value':<25}",
            "1 results found.",
        ]
        assert run('database showkey "my key"')[-1] == "1 results found."
        assert run(
            "database query \"SELECT count(*) AS n FROM astdb WHERE key LIKE '/clifam/%'\""
        ) == [
            f"{'n':<5}: {'1':<50}",
            "",
        ]
        assert run("database del clifam nokey") == ["Database entry could not be removed."]
        assert run('database del clifam "my key"') == ["Database entry removed."]
        assert run("database deltree clifam") == ["Database entries do not exist."]
        assert run("database get clifam")[0] == "Usage: database get <family> <key>"


def test_extension_state_answers(reference_server: PbxdProcess) -> None:
    with _session(reference_server) as ami:
        missing = ami.request(action("ExtensionState", ("Context", "default")))
        assert headers(missing)["message"] == "Extension not specified"
        default = headers(ami.request(action("ExtensionState", ("Exten", "300"))))
        assert (default["context"], default["hint"]) == ("default", "Custom:foo")
        ami.send(action("DeviceStateList", action_id="d"))
        assert b"Message: Device State Changes will follow" in ami.read_message()
        complete = ami.read_event("DeviceStateListComplete")
        assert b"ActionID: d\r\n" in complete
