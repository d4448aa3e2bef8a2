"""Broker persistence, step 2 (after kill -9 and a restart): 'keeper' resumes its session without
subscribing again and receives every message queued for it (plant/q0..plant/q4 at QoS 1 with
Subscription Identifier 5 and plant/ret, in order; plant2/q at QoS 2); a new message reaches it
through the restored subscription; plant/ret is still retained for a new subscriber."""

from mqtt_check import Client, PacketTypes, Properties, SubscribeOptions, check, describe, run


def body(port):
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 600
    keeper = Client("keeper", port, clean_start=False, properties=props)
    check(keeper.flags.get("session present") == 1,
          "CONNACK session present = %s, expected 1 (the session survived)" % keeper.flags)
    # In publication order per QoS: Paho hands a QoS 2 message over only at PUBREL, so QoS 1
    # messages sent after it may overtake it.
    expected = [("plant/q%d" % i, b"plant/q%d" % i) for i in range(5)] + [("plant/ret", b"kept")]
    got = [keeper.next_message("queued message %d of 7" % (i + 1)) for i in range(7)]
    qos1 = [m for m in got if m.qos == 1]
    qos2 = [m for m in got if m.qos == 2]
    check([(m.topic, m.payload) for m in qos1] == expected,
          "QoS 1 queued messages %s, expected %s" % ([describe(m) for m in qos1], expected))
    check([(m.topic, m.payload) for m in qos2] == [("plant2/q", b"plant2/q")],
          "QoS 2 queued messages %s, expected plant2/q" % [describe(m) for m in qos2])
    for msg in qos1[:5]:
        ids = list(getattr(msg.properties, "SubscriptionIdentifier", []) or [])
        check(ids == [5], "%s: subscription ids %s, expected [5]" % (msg.topic, ids))

    pub = Client("persist-pub", port)
    pub.publish("plant/live", b"live", qos=1)
    msg = keeper.next_message("plant/live through the restored subscription")
    check(msg.topic == "plant/live", "got %s, expected plant/live" % describe(msg))

    fresh = Client("persist-fresh", port)
    fresh.subscribe([("plant/ret", SubscribeOptions(qos=1))])
    msg = fresh.next_message("retained plant/ret")
    check(msg.topic == "plant/ret" and msg.payload == b"kept" and msg.retain,
          "retained message %s, expected plant/ret 'kept' retained" % describe(msg))
    keeper.disconnect()


run(body)
