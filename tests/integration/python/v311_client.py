"""An MQTT 3.1.1 paho client: granted QoS in SUBACK, QoS 0/1/2 delivery, a retained message, and a
persistent session (Clean Session 0) that queues QoS 1 messages while the client is away."""

from mqtt_check import Client, check, describe, run


def body(port):
    sub = Client("v311-sub", port, version=4)
    check(sub.flags["session present"] == 0, "Session Present %r on a clean session" % sub.flags)
    granted = sub.subscribe([("v3/q0", 0), ("v3/q1", 1), ("v3/q2", 2)])
    check(granted == [0, 1, 2], "SUBACK %s, expected granted QoS [0, 1, 2]" % granted)

    pub = Client("v311-pub", port, version=4)
    for qos in (0, 1, 2):
        pub.publish("v3/q%d" % qos, ("qos%d" % qos).encode(), qos=2)
        msg = sub.next_message("v3/q%d" % qos)
        check((msg.topic, msg.payload, msg.qos) == ("v3/q%d" % qos, ("qos%d" % qos).encode(), qos),
              "got %s, expected v3/q%d at QoS %d" % (describe(msg), qos, qos))

    # A retained message reaches a later subscriber with retain=1 [MQTT-3.3.1-8] and a live one
    # with retain=0 [MQTT-3.3.1-9].
    granted = sub.subscribe([("v3/ret", 1)])
    check(granted == [1], "SUBACK v3/ret: %s" % granted)
    pub.publish("v3/ret", b"last-known", qos=1, retain=True)
    msg = sub.next_message("v3/ret live")
    check(msg.topic == "v3/ret" and not msg.retain, "live subscriber got %s, expected retain=0" % describe(msg))
    late = Client("v311-late", port, version=4)
    granted = late.subscribe([("v3/ret", 1)])
    check(granted == [1], "SUBACK v3/ret late: %s" % granted)
    msg = late.next_message("retained v3/ret")
    check((msg.topic, msg.payload, msg.retain) == ("v3/ret", b"last-known", True),
          "late subscriber got %s, expected the retained message" % describe(msg))
    pub.publish("v3/ret", b"", qos=1, retain=True)
    late.disconnect()

    # Persistent session: subscriptions and QoS 1 messages survive a disconnect [MQTT-3.1.2-4/5].
    away = Client("v311-away", port, version=4, clean_start=False)
    granted = away.subscribe([("v3/queued", 1)])
    check(granted == [1], "SUBACK v3/queued: %s" % granted)
    away.disconnect()
    pub.publish("v3/queued", b"while-away", qos=1)
    back = Client("v311-away", port, version=4, clean_start=False)
    check(back.flags["session present"] == 1, "reconnect: Session Present %r, expected 1" % back.flags)
    msg = back.next_message("queued v3/queued")
    check((msg.topic, msg.payload, msg.qos) == ("v3/queued", b"while-away", 1),
          "after reconnect got %s, expected the queued QoS 1 message" % describe(msg))
    back.disconnect()
    # Leave no session behind.
    gone = Client("v311-away", port, version=4, clean_start=True)
    check(gone.flags["session present"] == 0, "clean reconnect: Session Present %r, expected 0" % gone.flags)
    gone.disconnect()
    sub.disconnect()
    pub.disconnect()


run(body)
