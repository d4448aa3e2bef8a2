"""A raw-socket MQTT 5 client that speaks enhanced authentication with SCRAM-SHA-256/-512
(MQTT 5 §4.12, RFC 5802/7677), using only the standard library (socket, hashlib, hmac, base64).
No packaged MQTT client speaks SCRAM, so tests/integration/broker_scram_test.cpp drives this one
against the real edge-gateway broker.

Run as `/usr/bin/python3 scram_client.py PORT[/SOURCE_ADDRESS] STEP...` (a source address such as
127.0.0.2 gives the connection an address of its own, so the broker's slow-down after failed
logins from one address does not carry over between cases); each STEP is one word with ':'-separated
arguments, run in order on one connection, and prints one line saying what the broker answered:

  connect:MECH:USER:PASSWORD[:CLIENT_ID[:NAME_FIELD]]
      CONNECT with Authentication Method MECH and client-first, answers server-first with
      client-final. Prints "connack 0xNN" (and, on success, "server-final verified" when the
      CONNACK's server signature is the one the client computes itself, else "server-final WRONG").
      NAME_FIELD goes into CONNECT's User Name field.
  connect-tampered:MECH:USER:PASSWORD
      The same, but one bit of the received server signature is flipped before the client checks
      it: prints "server-final WRONG" when the check works.
      Both print "server-first i=N salt=K bytes" first (what the server offered for this user).
  begin:MECH:USER              CONNECT with client-first; prints the server-first like connect.
  salt:MECH:USER               CONNECT with client-first; prints "salt <base64>" (server-first).
  connect-raw:MECH:DATA        CONNECT whose Authentication Data is DATA; reads nothing.
  send-publish:TOPIC           a QoS 0 PUBLISH; reads nothing.
  connect-plain:CLIENT_ID      CONNECT without enhanced authentication (anonymous).
  connect-v311:CLIENT_ID       MQTT 3.1.1 CONNECT (anonymous).
  stall:MECH:USER              CONNECT with client-first, then sends nothing more after the
                               server-first: prints "server-first" and then "closed after N ms".
  reauth:MECH:USER:PASSWORD    AUTH 0x19 re-authentication: "auth 0x00" + "server-final verified",
                               or "disconnect 0xNN".
  auth:REASON[:METHOD[:DATA]]  a bare AUTH packet (REASON in hex, METHOD absent when empty).
  auth-v311                    the bytes of an AUTH packet on an MQTT 3.1.1 connection.
  publish:TOPIC                QoS 1 PUBLISH: "puback 0xNN".
  publish-midway:TOPIC:MECH:USER:PASSWORD
                               starts a re-authentication, publishes QoS 1 between server-first
                               and client-final, then finishes it: "puback 0xNN" and "auth 0x00".
  expect-closed                "closed" when the broker ends the connection (a DISCONNECT first
                               prints "disconnect 0xNN").

Every read has a deadline (WAIT seconds); an unexpected packet prints "unexpected ..." and exits 1.
"""

import base64
import hashlib
import hmac
import os
import socket
import struct
import sys
import time

from mqtt_wire import frame, packet, read_varint, string, varint

HOST = "127.0.0.1"
WAIT = 10.0

HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}

# MQTT 5 §2.2.2.2 property identifiers this client reads, by value type.
BYTE_PROPS = {0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A}
U16_PROPS = {0x13, 0x21, 0x22, 0x23}
U32_PROPS = {0x02, 0x11, 0x18, 0x27}
STRING_PROPS = {0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F}
BINARY_PROPS = {0x09, 0x16}
METHOD, DATA, REASON_STRING = 0x15, 0x16, 0x1F


def out(line):
    print(line, flush=True)


def fail(line):
    out(line)
    sys.exit(1)


def props(items):
    body = b""
    for pid, value in items:
        body += bytes([pid]) + string(value)
    return varint(len(body)) + body


def parse_props(body, at):
    length, at = read_varint(body, at)
    end = at + length
    found = {}
    while at < end:
        pid = body[at]
        at += 1
        if pid in BYTE_PROPS:
            value, at = body[at], at + 1
        elif pid in U16_PROPS:
            value, at = struct.unpack_from(">H", body, at)[0], at + 2
        elif pid in U32_PROPS:
            value, at = struct.unpack_from(">I", body, at)[0], at + 4
        elif pid == 0x0B:
            value, at = read_varint(body, at)
        elif pid in STRING_PROPS or pid in BINARY_PROPS:
            n = struct.unpack_from(">H", body, at)[0]
            value, at = bytes(body[at + 2:at + 2 + n]), at + 2 + n
        elif pid == 0x26:
            n = struct.unpack_from(">H", body, at)[0]
            at += 2 + n
            n = struct.unpack_from(">H", body, at)[0]
            value, at = None, at + 2 + n
        else:
            fail("unexpected property 0x%02x" % pid)
        found[pid] = value
    return found, end


class Conn:
    def __init__(self, port, source):
        self.s = socket.create_connection((HOST, port), timeout=WAIT,
                                          source_address=(source, 0) if source else None)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _more(self, deadline):
        """Reads what arrives next; False when the connection closed."""
        self.s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = self.s.recv(65536)
        except socket.timeout:
            fail("timeout waiting for the broker")
        except ConnectionResetError:
            chunk = b""
        self.buf += chunk
        return bool(chunk)

    def read(self):
        """(type nibble, flags, body), or None when the connection closed."""
        deadline = time.monotonic() + WAIT
        while True:
            got = frame(self.buf)
            if got is not None:
                first, body, used = got
                self.buf = self.buf[used:]
                return first >> 4, first & 0x0F, body
            if not self._more(deadline):
                return None


def describe(p):
    return "closed" if p is None else "packet type %d body %s" % (p[0], p[2].hex())


class Scram:
    """The client side of one SCRAM exchange (RFC 5802 §3)."""

    def __init__(self, mech, user, password):
        self.h = HASHES[mech]
        self.password = password.encode()
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        name = user.replace("=", "=3D").replace(",", "=2C")
        self.first_bare = "n=%s,r=%s" % (name, self.nonce)

    def client_first(self):
        return ("n,," + self.first_bare).encode()

    def _hmac(self, key, text):
        return hmac.new(key, text.encode() if isinstance(text, str) else text, self.h).digest()

    def client_final(self, server_first):
        server_first = server_first.decode()
        attrs = dict(a.split("=", 1) for a in server_first.split(","))
        if not attrs["r"].startswith(self.nonce):
            fail("server nonce does not continue the client's: " + server_first)
        salted = hashlib.pbkdf2_hmac(self.h, self.password, base64.b64decode(attrs["s"]),
                                     int(attrs["i"]))
        client_key = self._hmac(salted, "Client Key")
        stored_key = hashlib.new(self.h, client_key).digest()
        without_proof = "c=biws,r=" + attrs["r"]
        auth_message = ",".join([self.first_bare, server_first, without_proof])
        signature = self._hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = self._hmac(salted, "Server Key")
        self.expected = "v=" + base64.b64encode(self._hmac(server_key, auth_message)).decode()
        return (without_proof + ",p=" + base64.b64encode(proof).decode()).encode()

    def verify(self, server_final, tamper=False):
        text = server_final.decode()
        if tamper:
            sig = bytearray(base64.b64decode(text[2:]))
            sig[0] ^= 0x01
            text = "v=" + base64.b64encode(bytes(sig)).decode()
        return "server-final verified" if hmac.compare_digest(text, self.expected) \
            else "server-final WRONG"


def connect_packet(client_id, method=None, data=None, user_field=None, level=5):
    flags = 0x02 | (0x80 if user_field else 0)
    header = string("MQTT") + bytes([level, flags]) + struct.pack(">H", 60)
    if level == 5:
        items = [(METHOD, method), (DATA, data)] if method else []
        header += props(items)
    payload = string(client_id) + (string(user_field) if user_field else b"")
    return packet(0x10, header + payload)


def auth_packet(reason, method=None, data=None):
    items = []
    if method:
        items.append((METHOD, method))
    if data is not None:
        items.append((DATA, data))
    return packet(0xF0, bytes([reason]) + props(items))


def expect_auth(conn, what):
    p = conn.read()
    if p is not None and p[0] == 15:
        found, _ = parse_props(p[2], 1)
        return p[2][0], found
    if p is not None and p[0] == 2:
        fail("connack 0x%02x" % p[2][1])
    if p is not None and p[0] == 14:
        fail("disconnect 0x%02x" % (p[2][0] if p[2] else 0))
    fail("unexpected %s instead of %s" % (describe(p), what))


def report_connack(conn, scram=None, tamper=False):
    p = conn.read()
    if p is None or p[0] != 2:
        if p is not None and p[0] == 15:
            fail("auth 0x%02x" % p[2][0])
        fail("unexpected %s instead of CONNACK" % describe(p))
    reason = p[2][1]
    out("connack 0x%02x" % reason)
    if reason == 0 and scram:
        found, _ = parse_props(p[2], 2)
        if found.get(METHOD, b"").decode() not in HASHES:
            fail("CONNACK without the authentication method: %s" % found)
        out(scram.verify(found.get(DATA, b""), tamper))


def describe_server_first(data):
    attrs = dict(a.split("=", 1) for a in data.decode().split(","))
    return "server-first i=%s salt=%d bytes" % (attrs["i"], len(base64.b64decode(attrs["s"])))


def step_connect(conn, args, tamper=False):
    mech, user, password = args[0], args[1], args[2]
    client_id = args[3] if len(args) > 3 else "scram-" + user
    name_field = args[4] if len(args) > 4 else None
    scram = Scram(mech, user, password)
    conn.send(connect_packet(client_id, mech, scram.client_first(), name_field))
    p = conn.read()
    if p is not None and p[0] == 2:
        out("connack 0x%02x" % p[2][1])
        return
    if p is None or p[0] != 15:
        fail("unexpected %s instead of AUTH" % describe(p))
    found, _ = parse_props(p[2], 1)
    if p[2][0] != 0x18 or found.get(METHOD, b"").decode() != mech:
        fail("AUTH 0x%02x method %s, expected 0x18 %s" % (p[2][0], found.get(METHOD), mech))
    out(describe_server_first(found[DATA]))
    conn.send(auth_packet(0x18, mech, scram.client_final(found[DATA])))
    report_connack(conn, scram, tamper)


def step_reauth(conn, args, publish_topic=None):
    mech, user, password = args[0], args[1], args[2]
    scram = Scram(mech, user, password)
    conn.send(auth_packet(0x19, mech, scram.client_first()))
    reason, found = expect_auth(conn, "AUTH server-first")
    if reason != 0x18:
        fail("AUTH 0x%02x, expected 0x18" % reason)
    if publish_topic:
        # Traffic keeps flowing while the exchange is open (MQTT 5 §4.12.1).
        step_publish(conn, [publish_topic])
    conn.send(auth_packet(0x18, mech, scram.client_final(found[DATA])))
    p = conn.read()
    if p is not None and p[0] == 14:
        out("disconnect 0x%02x" % (p[2][0] if p[2] else 0))
        return
    if p is None or p[0] != 15:
        fail("unexpected %s instead of AUTH" % describe(p))
    found, _ = parse_props(p[2], 1)
    out("auth 0x%02x" % p[2][0])
    if p[2][0] == 0:
        out(scram.verify(found.get(DATA, b"")))


def step_publish(conn, args):
    topic = args[0]
    conn.send(packet(0x32, string(topic) + struct.pack(">H", 7) + props([]) + b"scram"))
    p = conn.read()
    if p is None or p[0] != 4:
        fail("unexpected %s instead of PUBACK" % describe(p))
    out("puback 0x%02x" % (p[2][2] if len(p[2]) > 2 else 0))


def step_expect_closed(conn):
    p = conn.read()
    if p is not None and p[0] == 14:
        out("disconnect 0x%02x" % (p[2][0] if p[2] else 0))
        p = conn.read()
    if p is not None and p[0] == 2:
        out("connack 0x%02x" % p[2][1])
        p = conn.read()
    if p is not None:
        fail("unexpected %s instead of the close" % describe(p))
    out("closed")


def main():
    port, _, source = sys.argv[1].partition("/")
    conn = Conn(int(port), source)
    for step in sys.argv[2:]:
        name, *args = step.split(":")
        if name == "connect":
            step_connect(conn, args)
        elif name == "connect-tampered":
            step_connect(conn, args, tamper=True)
        elif name == "connect-plain":
            conn.send(connect_packet(args[0]))
            report_connack(conn)
        elif name == "connect-v311":
            conn.send(connect_packet(args[0], level=4))
            p = conn.read()
            out("connack %d" % p[2][1] if p is not None and p[0] == 2 else describe(p))
        elif name == "begin":
            scram = Scram(args[0], args[1], "unused")
            conn.send(connect_packet("begin", args[0], scram.client_first()))
            reason, found = expect_auth(conn, "AUTH server-first")
            out(describe_server_first(found[DATA]))
        elif name == "salt":
            scram = Scram(args[0], args[1], "unused")
            conn.send(connect_packet("salt", args[0], scram.client_first()))
            reason, found = expect_auth(conn, "AUTH server-first")
            out("salt " + dict(a.split("=", 1) for a in found[DATA].decode().split(","))["s"])
        elif name == "connect-raw":
            conn.send(connect_packet("raw", args[0], args[1].encode()))
        elif name == "send-publish":
            conn.send(packet(0x30, string(args[0]) + props([]) + b"early"))
        elif name == "stall":
            scram = Scram(args[0], args[1], "unused")
            conn.send(connect_packet("stall", args[0], scram.client_first()))
            expect_auth(conn, "AUTH server-first")
            out("server-first")
            start = time.monotonic()
            p = conn.read()
            if p is not None:
                fail("unexpected %s instead of the close" % describe(p))
            out("closed after %d ms" % ((time.monotonic() - start) * 1000))
        elif name == "reauth":
            step_reauth(conn, args)
        elif name == "publish-midway":
            step_reauth(conn, args[1:], publish_topic=args[0])
        elif name == "auth":
            method = args[1] if len(args) > 1 and args[1] else None
            data = args[2].encode() if len(args) > 2 else None
            conn.send(auth_packet(int(args[0], 16), method, data))
        elif name == "auth-v311":
            conn.send(auth_packet(0x19, "SCRAM-SHA-256", b"n,,n=a,r=x"))
        elif name == "publish":
            step_publish(conn, args)
        elif name == "expect-closed":
            step_expect_closed(conn)
        else:
            fail("unknown step " + step)


if __name__ == "__main__":
    main()
