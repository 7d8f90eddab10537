"""AMI messages as JSON objects, for the WebSocket endpoint.

In: one JSON object per text frame, ``{"Action": "Originate", "Channel": "Local/100@default",
"Variable": ["A=1", "B=2"]}``; a list value repeats the header. Out: one object per response
or event, headers in the order the manager wrote them; a header that repeats (``Output``,
``ChanVariable``) becomes a list. The same framing limits as a TCP session apply.
"""

from __future__ import annotations

import json

from ..protocol import Message
from ..protocol.codec import MAX_HEADERS, MAX_LINE
from ..protocol.errors import LINE_TOO_LONG, TOO_MANY_HEADERS

NOT_AN_OBJECT = "Failed to parse message: expected a JSON object of headers"
BAD_VALUE = "Failed to parse message: header values must be strings, numbers or lists of them"
LINE_BREAK = "Failed to parse message: a header contains a line break"

Json = dict[str, str | list[str]]


class JsonMessageError(ValueError):
    """A frame that is not an AMI message; ``str(exc)`` is the error text for the client."""


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value)
    raise JsonMessageError(BAD_VALUE)


def message_from_json(text: str | bytes) -> Message:
    """The AMI message a frame carries; :class:`JsonMessageError` if it carries none."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise JsonMessageError(f"Failed to parse message: invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise JsonMessageError(NOT_AN_OBJECT)
    lines: list[str] = []
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            line = f"{name}: {_text(item)}"
            if "\r" in line or "\n" in line:
                raise JsonMessageError(LINE_BREAK)
            lines.append(line)
    error = None
    if any(len(line.encode("utf-8", "surrogatepass")) + 2 > MAX_LINE for line in lines):
        error = LINE_TOO_LONG
    if len(lines) > MAX_HEADERS:
        del lines[MAX_HEADERS:]
        error = TOO_MANY_HEADERS
    return Message(lines, error)


def messages_to_json(data: bytes) -> list[Json]:
    """What a session wrote (whole AMI messages) as one object per message."""
    out: list[Json] = []
    text = data.decode("utf-8", "replace")
    for block in text.split("\r\n\r\n"):
        if not block:
            continue
        obj: Json = {}
        for line in block.split("\r\n"):
            name, sep, value = line.partition(": ")
            if not sep:  # the classic Command body: lines of output
                name, value = "Output", line
            if name in obj:
                existing = obj[name]
                if isinstance(existing, list):
                    existing.append(value)
                else:
                    obj[name] = [existing, value]
            else:
                obj[name] = value
        out.append(obj)
    return out


def dumps(obj: Json) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
