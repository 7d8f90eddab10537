"""A small click-to-call program: ring the agent's phone, then dial the customer."""

from __future__ import annotations

from pbxd.client import SyncClient


def click_to_call(ami: SyncClient, phone: str, number: str) -> str:
    """Call ``phone``; once it answers, dial ``number`` from it. Returns the ActionID."""
    response = ami.send_action(
        "Originate",
        Channel=f"Local/{phone}@phones",
        Context="outbound",
        Exten=number,
        Priority=1,
        CallerID=f"Click-to-call <{number}>",
        Async=True,
    )
    response.raise_for_error()
    return response.get("ActionID")
