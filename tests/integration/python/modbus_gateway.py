"""The gateway's field side end to end: readings of a simulated Modbus TCP device (`edge-gateway
simulate`) arrive as retained JSON messages with quality and timestamps, the device status is
retained, and commands write points with read-back, replying on the MQTT 5 Response Topic with
the Correlation Data, or on <topic>/set/result.

Run by tests/integration/gateway_modbus_test.cpp against a gateway with id "test" and one device
"sim" polling the simulator (see that file for the configuration)."""

import json
import time

from mqtt_check import Client, PacketTypes, Properties, SubscribeOptions, check, fail, run


def latest(client, topics, timeout=5.0):
    """Waits until a message arrived on every topic in `topics`; returns {topic: decoded JSON}."""
    got = {}
    deadline = time.monotonic() + timeout
    while not all(t in got for t in topics):
        left = deadline - time.monotonic()
        if left <= 0:
            fail("no message on %s within %.0f s (got %s)" % (sorted(set(topics) - set(got)), timeout, sorted(got)))
        msg = client.next_message("readings on %s" % topics, left)
        got[msg.topic] = json.loads(msg.payload)
    return got


def wait_value(client, topic, predicate, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            fail("%s never showed %s" % (topic, what))
        msg = client.next_message("%s on %s" % (what, topic), left)
        if msg.topic == topic:
            body = json.loads(msg.payload)
            if predicate(body):
                return body


def body(port):
    mon = Client("e2e-mon", port)
    check(mon.subscribe([("test/sim/#", SubscribeOptions(qos=1))]) == [1], "SUBACK test/sim/#")
    now_ms = time.time() * 1000
    r = latest(mon, ["test/sim/%s" % p for p in
                     ("temperature", "pressure", "speed", "setpoint", "energy", "serial", "level", "pump", "alarm", "status")])
    for point in ("temperature", "pressure", "speed", "setpoint", "energy", "serial", "level", "pump", "alarm"):
        m = r["test/sim/" + point]
        check(m["quality"] == "good", "%s quality %s" % (point, m))
        check(abs(m["ts"] - now_ms) < 60000, "%s ts %s is not recent (now %d)" % (point, m["ts"], now_ms))
    check(16.9 <= r["test/sim/temperature"]["value"] <= 25.1, "temperature %s" % r["test/sim/temperature"])
    check(1.14 <= r["test/sim/pressure"]["value"] <= 1.26, "pressure (CDAB) %s" % r["test/sim/pressure"])
    check(1450 <= r["test/sim/speed"]["value"] <= 1459, "speed %s" % r["test/sim/speed"])
    check(r["test/sim/setpoint"]["value"] == 21.5, "setpoint %s" % r["test/sim/setpoint"])
    check(r["test/sim/serial"]["value"] == "SIM-0001", "serial %s" % r["test/sim/serial"])
    check(r["test/sim/pump"]["value"] is True, "pump %s" % r["test/sim/pump"])
    check(r["test/sim/status"]["status"] == "online", "status %s" % r["test/sim/status"])

    # A command with Response Topic and Correlation Data: the reply goes there, with the data.
    cmd = Client("e2e-cmd", port)
    check(cmd.subscribe([("reply/e2e", SubscribeOptions(qos=1))]) == [1], "SUBACK reply/e2e")
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = "reply/e2e"
    props.CorrelationData = b"c-1"
    cmd.publish("test/sim/setpoint/set", json.dumps({"value": 23.5}), qos=1, properties=props)
    reply = cmd.next_message("reply to the setpoint command")
    check(reply.topic == "reply/e2e", "reply on %s" % reply.topic)
    check(getattr(reply.properties, "CorrelationData", None) == b"c-1",
          "correlation data %r" % getattr(reply.properties, "CorrelationData", None))
    body_ = json.loads(reply.payload)
    check(body_.get("ok") is True and body_.get("value") == 23.5, "reply %s" % body_)
    wait_value(mon, "test/sim/setpoint", lambda b: b["value"] == 23.5, "the written 23.5")

    # Without a Response Topic: <topic>/set/result. A bare JSON value is accepted.
    check(cmd.subscribe([("test/sim/+/set/result", SubscribeOptions(qos=1))]) == [1], "SUBACK results")
    cmd.publish("test/sim/pump/set", "false", qos=1)
    res = cmd.next_message("result of the pump command")
    check(res.topic == "test/sim/pump/set/result", "result on %s" % res.topic)
    check(json.loads(res.payload) == {"ok": True, "value": False, "ts": json.loads(res.payload)["ts"]},
          "pump result %s" % res.payload)
    wait_value(mon, "test/sim/pump", lambda b: b["value"] is False, "pump off")

    # Refused commands say why; nothing is written.
    cmd.publish("test/sim/temperature/set", "5", qos=1)
    res = json.loads(cmd.next_message("result of a write to a read-only point").payload)
    check(res.get("ok") is False and "not writable" in res.get("error", ""), "read-only point: %s" % res)
    cmd.publish("test/sim/setpoint/set", "99", qos=1)
    res = json.loads(cmd.next_message("result of an out-of-range write").payload)
    check(res.get("ok") is False and "range" in res.get("error", ""), "out of range: %s" % res)
    cmd.publish("test/sim/setpoint/set", "warm", qos=1)
    res = json.loads(cmd.next_message("result of a non-JSON command").payload)
    check(res.get("ok") is False and "JSON" in res.get("error", ""), "not JSON: %s" % res)


run(body)
