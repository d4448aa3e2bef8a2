"""MQTT over WebSocket with paho-mqtt (transport="websockets"), against a plain TCP Mosquitto client.

Run as `/usr/bin/python3 ws_client.py TCP_PORT WS_PORT VERSION [CA CERT KEY]` (VERSION 5 or
311) by tests/integration/broker_websocket_test.cpp against the real edge-gateway broker, which
listens for plain MQTT on TCP_PORT and for MQTT over WebSocket at /mqtt on WS_PORT. With CA, CERT
and KEY the WebSocket client speaks wss:// (TLS verified against CA, with CERT/KEY as its client
certificate).

1. A paho client connects over ws://127.0.0.1:WS_PORT/mqtt (subprotocol mqtt) and subscribes.
2. mosquitto_pub publishes over plain TCP, once small and once 100000 bytes (a frame with a 64-bit
   length); the WebSocket client must receive both, byte for byte.
3. mosquitto_sub subscribes over plain TCP; once its "Subscribed" line is out, the WebSocket client
   publishes at QoS 1; mosquitto_sub must print the payload.
Prints OK and exits 0, or "FAIL: ..." and exits 1; hard timeout 10 s (mqtt_check.run's contract).
"""

import os
import queue
import select
import subprocess
import sys
import tempfile
import time

import mqtt_check
from mqtt_check import check, fail, mqtt

HOST = mqtt_check.HOST
WAIT = mqtt_check.WAIT


def ws_client(ws_port, version, tls=None):
    events = queue.Queue()
    if version == 5:
        c = mqtt.Client(client_id="ws-paho", protocol=mqtt.MQTTv5, transport="websockets")
        c.on_connect = lambda c_, u, flags, rc, props: events.put(("connack", rc.value))
        c.on_subscribe = lambda c_, u, mid, rcs, props: events.put(("suback", [r.value for r in rcs]))
    else:
        c = mqtt.Client(client_id="ws-paho", protocol=mqtt.MQTTv311, transport="websockets")
        c.on_connect = lambda c_, u, flags, rc: events.put(("connack", rc))
        c.on_subscribe = lambda c_, u, mid, granted: events.put(("suback", list(granted)))
    c.on_publish = lambda c_, u, mid: events.put(("puback", mid))
    c.on_message = lambda c_, u, msg: events.put(("message", msg.topic, msg.payload))
    c.ws_set_options(path="/mqtt")
    if tls:
        ca, cert, key = tls
        c.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
    c.connect(HOST, ws_port, keepalive=30)
    c.loop_start()
    return c, events


def expect(events, kind):
    deadline = time.monotonic() + WAIT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            fail("no %s within %.0f s" % (kind, WAIT))
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            fail("no %s within %.0f s" % (kind, WAIT))
        if event[0] == kind:
            return event


def mosquitto_args(tool, tcp_port, version):
    return [tool, "-h", HOST, "-p", str(tcp_port), "-V", "mqttv5" if version == 5 else "mqttv311"]


def main(tcp_port, ws_port, version, tls=None):
    c, events = ws_client(ws_port, version, tls)
    rc = expect(events, "connack")[1]
    check(rc == 0, "CONNACK over WebSocket: reason %s, expected 0" % rc)
    c.subscribe("ws/down", qos=1)
    granted = expect(events, "suback")[1]
    check(granted == [1], "SUBACK over WebSocket: %s, expected [1]" % granted)

    # TCP -> WebSocket: small, then large.
    big = bytes((i * 7) % 251 for i in range(100000))
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(big)
        big_file = f.name
    try:
        for args, want in ((["-m", "hello-from-tcp"], b"hello-from-tcp"), (["-f", big_file], big)):
            r = subprocess.run(mosquitto_args("mosquitto_pub", tcp_port, version) +
                               ["-t", "ws/down", "-q", "1"] + args, capture_output=True, timeout=WAIT)
            check(r.returncode == 0, "mosquitto_pub failed: %s" % r.stderr)
            _, topic, payload = expect(events, "message")
            check(topic == "ws/down", "topic %r, expected ws/down" % topic)
            check(payload == want, "payload of %d bytes differs from the %d published" % (len(payload), len(want)))
    finally:
        os.unlink(big_file)

    # WebSocket -> TCP.
    # stdbuf -oL: mosquitto_sub's "Subscribed" line must not sit in a pipe buffer.
    sub = subprocess.Popen(["stdbuf", "-oL"] + mosquitto_args("mosquitto_sub", tcp_port, version) +
                           ["-t", "ws/up", "-q", "1", "-C", "1", "-W", "8", "-d"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out = b""
        deadline = time.monotonic() + WAIT
        while b"Subscribed" not in out:
            left = deadline - time.monotonic()
            check(left > 0, "mosquitto_sub never subscribed: %r" % out)
            ready, _, _ = select.select([sub.stdout], [], [], left)
            if ready:
                chunk = os.read(sub.stdout.fileno(), 4096)
                check(chunk != b"", "mosquitto_sub ended before subscribing: %r" % out)
                out += chunk
        info = c.publish("ws/up", b"hello-from-websocket", qos=1)
        expect(events, "puback")
        rest, _ = sub.communicate(timeout=WAIT)
        out += rest
        check(sub.returncode == 0, "mosquitto_sub exited %s: %r" % (sub.returncode, out))
        check(b"\nhello-from-websocket\n" in out, "mosquitto_sub did not print the payload: %r" % out)
        check(info.rc == mqtt.MQTT_ERR_SUCCESS, "publish() returned %d" % info.rc)
    finally:
        if sub.poll() is None:
            sub.kill()
    c.disconnect()
    c.loop_stop()


if __name__ == "__main__":
    if len(sys.argv) not in (4, 7):
        print("usage: %s TCP_PORT WS_PORT VERSION [CA CERT KEY]" % sys.argv[0], flush=True)
        sys.exit(2)
    tcp, ws, ver = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    tls = tuple(sys.argv[4:7]) if len(sys.argv) == 7 else None
    # mqtt_check.run takes the port from argv[1]; the WebSocket port and version come from here.
    sys.argv = sys.argv[:2]
    mqtt_check.run(lambda _port: main(tcp, ws, ver, tls))
