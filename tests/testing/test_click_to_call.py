"""The README's example: a click-to-call program tested with the pbxd pytest plugin."""

from .click_to_call import click_to_call


def test_click_to_call(pbxd, ami):
    dials = ami.subscribe("DialBegin", {"DestChannel": "Local/*@pstn-*"})
    hangups = ami.subscribe("Hangup", {"Channel": "Local/5550100@pstn-*"})

    click_to_call(ami, phone="101", number="5550100")

    assert dials.get(timeout=5).get("DestExten") == "5550100"
    pbxd.advance(120)  # the customer talks for two minutes, then hangs up
    assert hangups.get(timeout=5).get("Cause-txt") == "Normal Clearing"
