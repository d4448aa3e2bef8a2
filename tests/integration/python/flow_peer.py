"""Raw-socket MQTT 5 peers for the broker's back-pressure tests
(tests/integration/broker_backpressure_test.cpp). No client library: the test needs a publisher
that pipelines as fast as the broker lets it, and subscribers whose reading speed is their own.

    flow_peer.py pub  PORT TOPIC COUNT SIZE       QoS 1, at most WINDOW unacknowledged; prints
                                                   "ACKED <n> REFUSED <m>" and exits 0 when all
                                                   COUNT are acknowledged
    flow_peer.py sub  PORT TOPIC COUNT CHUNK PAUSE_MS   subscribes with QoS 1 and reads CHUNK bytes
                                                   at a time, sleeping PAUSE_MS between reads (a
                                                   slow but live reader); acknowledges each
                                                   message; prints "RECEIVED <n>" and exits 0
                                                   once COUNT arrived in order

Each prints "READY" once subscribed or connected, "FAIL: <why>" and exits 1 on a protocol or
order error, and exits 3 when its hard timeout fires. Loopback only.
"""

import signal
import socket
import struct
import sys
import time

from mqtt_wire import frame, packet, read_varint, string, varint

HOST = "127.0.0.1"
HARD_TIMEOUT = 60
WINDOW = 32


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


class Reader:
    """Frames MQTT packets out of what recv() returns, CHUNK bytes at a time."""

    def __init__(self, sock, chunk):
        self.sock = sock
        self.chunk = chunk
        self.buf = bytearray()

    def fill(self):
        data = self.sock.recv(self.chunk)
        if not data:
            fail("connection closed by the broker")
        self.buf += data

    def packets(self):
        """Every whole packet in the buffer: (first byte, body)."""
        out = []
        while True:
            got = frame(self.buf)
            if got is None:
                return out
            first, body, used = got
            out.append((first, body))
            del self.buf[:used]

    def next_packet(self):
        while True:
            got = frame(self.buf)
            if got is not None:
                first, body, used = got
                del self.buf[:used]
                return first, body
            self.fill()


def connect(port, client_id, rcvbuf=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        # A small receive buffer: the kernel does not hide the reader's pace from the broker.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect((HOST, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = string("MQTT") + bytes([5, 0x02]) + struct.pack("!H", 60) + varint(0) + string(client_id)
    sock.sendall(packet(0x10, body))
    return sock


def expect_connack(reader):
    first, body = reader.next_packet()
    if first != 0x20 or len(body) < 2 or body[1] != 0:
        fail("expected CONNACK success, got %02x %s" % (first, body[:4].hex()))


def publisher(port, topic, count, size):
    sock = connect(port, "flow-pub")
    reader = Reader(sock, 65536)
    expect_connack(reader)
    print("READY", flush=True)
    sent = acked = refused = 0
    inflight = set()
    next_id = 1
    while acked < count:
        batch = bytearray()
        while len(inflight) < WINDOW and sent < count:
            pid = next_id
            next_id = next_id % 65535 + 1
            payload = struct.pack("!Q", sent) + b"x" * (size - 8)
            batch += packet(0x32, string(topic) + struct.pack("!H", pid) + varint(0) + payload)
            inflight.add(pid)
            sent += 1
        if batch:
            sock.sendall(batch)
        first, body = reader.next_packet()
        if first >> 4 != 4:
            fail("publisher expected PUBACK, got %02x" % first)
        pid = struct.unpack("!H", body[:2])[0]
        if pid not in inflight:
            fail("PUBACK for unknown packet id %d" % pid)
        inflight.discard(pid)
        if len(body) > 2 and body[2] >= 0x80:
            refused += 1
        acked += 1
    print("ACKED %d REFUSED %d" % (acked, refused), flush=True)
    sock.sendall(packet(0xE0, b"\x00"))  # DISCONNECT, normal
    sock.close()


def subscriber(port, topic, count, chunk, pause_ms):
    sock = connect(port, "flow-sub-%d" % pause_ms, rcvbuf=max(chunk, 4096))
    reader = Reader(sock, chunk)
    expect_connack(reader)
    sock.sendall(packet(0x82, struct.pack("!H", 1) + varint(0) + string(topic) + bytes([1])))
    first, body = reader.next_packet()
    if first != 0x90 or body[-1] != 1:
        fail("expected SUBACK granting QoS 1, got %02x %s" % (first, body.hex()))
    print("READY", flush=True)
    received = 0
    while received < count:
        reader.fill()
        acks = bytearray()
        for first, body in reader.packets():
            if first >> 4 != 3:
                fail("subscriber expected PUBLISH, got %02x" % first)
            qos = (first >> 1) & 3
            tlen = struct.unpack("!H", body[:2])[0]
            at = 2 + tlen
            if qos:
                acks += packet(0x40, body[at:at + 2])
                at += 2
            # Properties: a variable byte integer length, then the properties.
            plen, at = read_varint(body, at)
            at += plen
            seq = struct.unpack("!Q", body[at:at + 8])[0]
            if seq != received:
                fail("message %d arrived as number %d (lost or reordered)" % (seq, received))
            received += 1
        if acks:
            sock.sendall(acks)
        if pause_ms:
            time.sleep(pause_ms / 1000.0)
    print("RECEIVED %d" % received, flush=True)
    sock.close()


def main():
    signal.signal(signal.SIGALRM, lambda *_: (print("FAIL: hard timeout", flush=True), sys.exit(3)))
    signal.alarm(HARD_TIMEOUT)
    role, port, topic = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if role == "pub":
        publisher(port, topic, int(sys.argv[4]), int(sys.argv[5]))
    elif role == "sub":
        subscriber(port, topic, int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    else:
        fail("unknown role " + role)


if __name__ == "__main__":
    main()
