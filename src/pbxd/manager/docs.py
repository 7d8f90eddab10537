"""``docs/actions.md``, written from the action registry: ``python -m pbxd.manager.docs``."""

from __future__ import annotations

import sys

from . import actions as _actions  # noqa: F401  (registers the built-in actions)
from .registry import ACTIONS, ActionRegistry


def render(registry: ActionRegistry = ACTIONS) -> str:
    lines = [
        "# Manager actions",
        "",
        "Generated from the action registry by `python -m pbxd.manager.docs`; do not edit.",
        "",
        "| Action | Privilege | Synopsis |",
        "|---|---|---|",
    ]
    lines += [
        f"| [{s.name}](#{s.name.lower()}) | `{s.privilege_text}` | {s.synopsis} |" for s in registry
    ]
    for spec in registry:
        lines += ["", f"## {spec.name}", "", spec.synopsis, ""]
        if spec.description:
            lines += [spec.description.replace("\n", " "), ""]
        lines += ["```", *spec.syntax(), "```", ""]
        for arg in spec.arguments:
            lines.append(f"- `{arg.name}`{' (required)' if arg.required else ''}: {arg.text}")
        if spec.arguments:
            lines.append("")
        lines.append(
            f"Privilege: `{spec.privilege_text}`"
            + (f"; since Asterisk {spec.since}" if spec.since else "")
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
