"""Helpers for the interop scripts: a paho-mqtt (Debian python3-paho-mqtt 1.6.1) client whose
callbacks feed queues, waits with deadlines, and a hard timeout for the whole script.

Every script is run as `/usr/bin/python3 SCRIPT PORT` by tests/integration/interop_python_paho_test.cpp
against the real edge-gateway broker on 127.0.0.1:PORT. It prints "OK" and exits 0 when every check
held; it prints "FAIL: <what was expected, what arrived>" and exits 1 on the first mismatch, and
exits 3 when the hard timeout fires.
"""

import os
import queue
import signal
import sys

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

HOST = "127.0.0.1"  # never anything but loopback
WAIT = 5.0          # seconds for one expected event
HARD_TIMEOUT = 10   # seconds for the whole script

__all__ = ["Client", "PacketTypes", "Properties", "SubscribeOptions", "check", "describe", "fail", "mqtt", "run"]


def _exit(code):
    sys.stdout.flush()
    sys.stderr.flush()
    # os._exit: paho's network threads must not keep a failed script alive.
    os._exit(code)


def fail(message):
    print("FAIL: " + message, flush=True)
    _exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def run(body):
    """Runs body(port) with the port from argv[1] under a hard timeout; prints OK on success."""
    if len(sys.argv) != 2:
        print("usage: %s PORT" % sys.argv[0], flush=True)
        _exit(2)
    port = int(sys.argv[1])

    def on_alarm(_signum, _frame):
        print("FAIL: hard timeout of %d s reached" % HARD_TIMEOUT, flush=True)
        _exit(3)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(HARD_TIMEOUT)
    try:
        body(port)
    except Exception as e:  # any client-side exception is a failed check, with its text
        fail("%s: %s" % (type(e).__name__, e))
    print("OK", flush=True)
    _exit(0)


class Client:
    """One MQTT connection; every callback is turned into an event on a queue read with a deadline."""

    def __init__(self, name, port, version=5, client_id=None, clean_start=True, properties=None):
        self.name = name
        self.version = version
        self.acks = queue.Queue()      # ("connack"|"suback"|"unsuback"|"publish"|"disconnect", ...)
        self.messages = queue.Queue()  # mqtt.MQTTMessage
        cid = name if client_id is None else client_id
        if version == 5:
            self.c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv5)
            self.c.on_connect = lambda c, u, flags, rc, props: self.acks.put(("connack", flags, rc, props))
            self.c.on_subscribe = lambda c, u, mid, rcs, props: self.acks.put(("suback", mid, rcs, props))
            self.c.on_disconnect = lambda c, u, rc, props=None: self.acks.put(("disconnect", rc, props))
            self.c.on_unsubscribe = lambda c, u, mid, props, rcs: self.acks.put(("unsuback", mid, rcs, props))
        else:
            self.c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv311, clean_session=clean_start)
            self.c.on_connect = lambda c, u, flags, rc: self.acks.put(("connack", flags, rc, None))
            self.c.on_subscribe = lambda c, u, mid, granted: self.acks.put(("suback", mid, granted, None))
            self.c.on_disconnect = lambda c, u, rc: self.acks.put(("disconnect", rc, None))
            self.c.on_unsubscribe = lambda c, u, mid: self.acks.put(("unsuback", mid, [], None))
        self.c.on_publish = lambda c, u, mid: self.acks.put(("publish", mid))
        self.c.on_message = lambda c, u, msg: self.messages.put(msg)
        if version == 5:
            self.c.connect(HOST, port, keepalive=30, clean_start=clean_start, properties=properties)
        else:
            self.c.connect(HOST, port, keepalive=30)
        self.c.loop_start()
        _, self.flags, self.reason, self.connack_props = self.expect("connack")
        rc = self.reason.value if version == 5 else self.reason
        check(rc == 0, "%s: CONNACK reason %s, expected 0 (Success)" % (name, self.reason))

    def expect(self, kind, mid=None, timeout=WAIT):
        """Next ack event of `kind` (and packet id `mid`); fails on a timeout or an unexpected DISCONNECT."""
        while True:
            try:
                event = self.acks.get(timeout=timeout)
            except queue.Empty:
                fail("%s: no %s%s within %.0f s" % (self.name, kind, "" if mid is None else " for mid %d" % mid, timeout))
            if event[0] == kind and (mid is None or event[1] == mid):
                return event
            if event[0] == "disconnect":
                fail("%s: connection closed (reason %s) while waiting for %s" % (self.name, event[1], kind))
            # an ack for another request: not the one awaited; keep looking

    def subscribe(self, topics, properties=None):
        """SUBSCRIBE and return the SUBACK's reason codes as ints."""
        if self.version == 5:
            rc, mid = self.c.subscribe(topics, properties=properties)
        else:
            rc, mid = self.c.subscribe(topics)
        check(rc == mqtt.MQTT_ERR_SUCCESS, "%s: subscribe() returned %d" % (self.name, rc))
        event = self.expect("suback", mid)
        return [getattr(code, "value", code) for code in event[2]]

    def unsubscribe(self, topics):
        """UNSUBSCRIBE and return the UNSUBACK's reason codes as ints (MQTT 5; [] for 3.1.1)."""
        rc, mid = self.c.unsubscribe(topics)
        check(rc == mqtt.MQTT_ERR_SUCCESS, "%s: unsubscribe() returned %d" % (self.name, rc))
        codes = self.expect("unsuback", mid)[2]
        if not isinstance(codes, list):
            codes = [codes]
        return [getattr(code, "value", code) for code in codes]

    def publish(self, topic, payload, qos=0, retain=False, properties=None):
        """PUBLISH and wait until the flow completes (PUBACK for QoS 1, PUBCOMP for QoS 2)."""
        info = self.c.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        check(info.rc == mqtt.MQTT_ERR_SUCCESS, "%s: publish() returned %d" % (self.name, info.rc))
        self.expect("publish", info.mid)

    def next_message(self, what, timeout=WAIT):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            fail("%s: no message within %.0f s; expected %s" % (self.name, timeout, what))

    def messages_until(self, marker_topic, timeout=WAIT):
        """Every message received before the one on `marker_topic` (which is consumed)."""
        got = []
        while True:
            msg = self.next_message("marker on " + marker_topic, timeout)
            if msg.topic == marker_topic:
                return got
            got.append(msg)

    def disconnect(self):
        self.c.disconnect()
        self.expect("disconnect")
        self.c.loop_stop()


def describe(msg):
    return "%s %r qos=%d retain=%d" % (msg.topic, msg.payload, msg.qos, int(msg.retain))
