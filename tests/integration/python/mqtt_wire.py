"""The MQTT wire format pieces the raw-socket test peers share (flow_peer.py, scram_client.py):
encoding of variable byte integers, strings and packets, and framing of packets out of a byte
buffer. Standard library only; the peers import it from their own directory.
"""

import struct


def varint(n):
    """A Variable Byte Integer (MQTT 5 §1.5.5)."""
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(data, at):
    """(value, offset after it) of the Variable Byte Integer at data[at]."""
    n, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        n += (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return n, at


def string(s):
    """A UTF-8 string or binary data field: two-byte length, then the bytes."""
    raw = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(raw)) + raw


def packet(first, body):
    """A whole packet: its first byte, the Remaining Length, the body."""
    return bytes([first]) + varint(len(body)) + body


def frame(buf):
    """The first whole packet in buf as (first byte, body, bytes it took), or None when buf does
    not hold a whole packet yet."""
    if len(buf) < 2:
        return None
    length, shift, at = 0, 0, 1
    while True:
        if at >= len(buf):
            return None
        if at > 4:
            raise ValueError("Remaining Length longer than four bytes")
        byte = buf[at]
        at += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    if len(buf) < at + length:
        return None
    return buf[0], bytes(buf[at:at + length]), at + length
