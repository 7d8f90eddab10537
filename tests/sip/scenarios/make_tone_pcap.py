"""Writes ``tone.pcap``: one second of a 440 Hz tone as PCMU RTP, 50 packets of 20 ms,
and ``dtmf.pcap``: the digits 4, 2 and # as RFC 4733 telephone events.

sipp's ``play_pcap_audio`` sends the RTP payloads of a pcap with the capture's timing;
this is the one the tests play. Run it from the repository root to make the file again:
``PYTHONPATH=src python tests/sip/scenarios/make_tone_pcap.py`` (or with a number of
seconds and a path, for a longer one: the benchmark holds calls with RTP that way).
"""

from __future__ import annotations

import math
import struct
import sys
from pathlib import Path

from pbxd.media import g711, rtp

HERE = Path(__file__).resolve().parent


def tone_payloads(seconds: int = 1) -> list[bytes]:
    """50 PCMU payloads a second: a 440 Hz sine at about -10 dBFS."""
    samples = [int(10000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(8000 * seconds)]
    pcm = struct.pack(f"<{len(samples)}h", *samples)
    payload = g711.encode("PCMU", pcm)
    return [payload[i : i + 160] for i in range(0, len(payload), 160)]


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def frame(data: bytes) -> bytes:
    """Ethernet, IPv4 and UDP headers (127.0.0.1:6000 to :6002) around an RTP packet."""
    udp = struct.pack("!HHHH", 6000, 6002, 8 + len(data), 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))  # fmt: skip
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return bytes(6) + bytes(6) + b"\x08\x00" + ip + udp


def write_dtmf(path: Path, digits: str = "42#") -> None:
    """``dtmf.pcap``: the RFC 4733 packets (payload type 101) of ``digits``, 200 ms each with
    200 ms between them, after 200 ms of the tone."""
    sequencer = rtp.Sequencer()
    sequencer.ssrc, sequencer.sequence, sequencer.timestamp = 0x1234ABCE, 1, 160
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    timed: list[tuple[int, bytes]] = []
    tone = tone_payloads()
    for index in range(10):
        timed.append((index * 20_000, sequencer.next(0, tone[index], 160)))
    start = 200_000
    for digit in digits:
        for number, packet in enumerate(sequencer.events(101, digit, 200)):
            timed.append((start + min(number, 4) * 50_000, packet))
        start += 400_000
    for micros, data in timed:
        packet = frame(data)
        seconds, rest = divmod(micros, 1_000_000)
        out.append(struct.pack("<IIII", 1_700_000_000 + seconds, rest, len(packet), len(packet)))
        out.append(packet)
    path.write_bytes(b"".join(out))


def write(path: Path, seconds: int = 1) -> None:
    sequencer = rtp.Sequencer()
    sequencer.ssrc, sequencer.sequence, sequencer.timestamp = 0x1234ABCD, 1, 160
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for index, payload in enumerate(tone_payloads(seconds)):
        packet = frame(sequencer.next(0, payload, 160, marker=index == 0))
        seconds, micros = divmod(index * 20_000, 1_000_000)
        out.append(struct.pack("<IIII", 1_700_000_000 + seconds, micros, len(packet), len(packet)))
        out.append(packet)
    path.write_bytes(b"".join(out))


if __name__ == "__main__":
    if len(sys.argv) == 3:
        write(Path(sys.argv[2]), int(sys.argv[1]))
    else:
        write(HERE / "tone.pcap")
        write_dtmf(HERE / "dtmf.pcap")
