"""The plugin on another configuration: a caller reaches a queue and a member answers."""

from pathlib import Path

import pytest


@pytest.fixture
def pbxd_config_dir() -> Path:
    return Path(__file__).parent / "call_center"


def test_a_member_answers_the_queue(pbxd, ami):
    connects = ami.subscribe("AgentConnect", {"Queue": "support"})
    completes = ami.subscribe("AgentComplete", {"Queue": "support"})

    answered = pbxd.call("700", "default", caller_id='"Customer" <5550100>')

    assert answered.get("Response") == "Success"
    connect = connects.get(timeout=5)
    assert (connect.get("MemberName"), connect.get("CallerIDNum")) == ("Alice", "5550100")
    pbxd.advance(61)  # Alice talks for a minute, then hangs up
    complete = completes.get(timeout=5)
    assert (complete.get("Reason"), complete.get("TalkTime")) == ("agent", "60")
