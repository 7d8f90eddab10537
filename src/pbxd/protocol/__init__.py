"""Sans-I/O AMI protocol: messages, framing and connection state. Imports no asyncio."""

from .codec import MAX_HEADERS, MAX_LINE, Decoder, encode_message
from .connection import ClientConnection, ConnectionState, ServerConnection
from .errors import LINE_TOO_LONG, TOO_MANY_HEADERS, ProtocolError
from .message import Message

__all__ = [
    "LINE_TOO_LONG",
    "MAX_HEADERS",
    "MAX_LINE",
    "TOO_MANY_HEADERS",
    "ClientConnection",
    "ConnectionState",
    "Decoder",
    "Message",
    "ProtocolError",
    "ServerConnection",
    "encode_message",
]
