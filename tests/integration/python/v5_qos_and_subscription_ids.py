"""MQTT 5 QoS 2 publish end to end, QoS downgrade to the subscription's maximum, Subscription
Identifiers in delivered messages (§3.3.2.3.8, §3.8.2.1.2), and $ topics vs wildcards (§4.7.2)."""

from mqtt_check import Client, PacketTypes, Properties, SubscribeOptions, check, describe, run


def sub_props(identifier):
    p = Properties(PacketTypes.SUBSCRIBE)
    p.SubscriptionIdentifier = identifier
    return p


def ids_of(msg):
    return list(getattr(msg.properties, "SubscriptionIdentifier", []) or [])


def body(port):
    q2 = Client("sid-q2", port)
    q1 = Client("sid-q1", port)
    pub = Client("sid-pub", port)

    codes = q2.subscribe([("qos/t", SubscribeOptions(qos=2))])
    check(codes == [2], "SUBACK qos/t at QoS 2: %s, expected [2]" % codes)
    codes = q1.subscribe([("qos/t", SubscribeOptions(qos=1))])
    check(codes == [1], "SUBACK qos/t at QoS 1: %s, expected [1]" % codes)
    pub.publish("qos/t", b"exactly-once", qos=2)  # waits for PUBCOMP
    msg = q2.next_message("qos/t at QoS 2")
    check((msg.topic, msg.payload, msg.qos) == ("qos/t", b"exactly-once", 2),
          "QoS 2 subscriber got %s, expected qos/t at QoS 2" % describe(msg))
    # §3.8.4 [MQTT-3.8.4-8]: delivered at the minimum of the published QoS and the granted QoS.
    msg = q1.next_message("qos/t at QoS 1")
    check((msg.topic, msg.payload, msg.qos) == ("qos/t", b"exactly-once", 1),
          "QoS 1 subscriber got %s, expected qos/t downgraded to QoS 1" % describe(msg))

    # Subscription Identifiers: one per SUBSCRIBE, returned with every message that matches.
    codes = q2.subscribe([("sid/+", SubscribeOptions(qos=1))], properties=sub_props(7))
    check(codes == [1], "SUBACK sid/+ (id 7): %s" % codes)
    codes = q2.subscribe([("sid/#", SubscribeOptions(qos=1))], properties=sub_props(268435455))
    check(codes == [1], "SUBACK sid/# (id 268435455): %s" % codes)
    codes = q2.subscribe([("sid/none", SubscribeOptions(qos=1))])
    check(codes == [1], "SUBACK sid/none (no id): %s" % codes)

    pub.publish("sid/a/b", b"deep", qos=1)  # matches sid/# only
    msg = q2.next_message("sid/a/b")
    check(msg.topic == "sid/a/b" and ids_of(msg) == [268435455],
          "sid/a/b: %s with ids %s, expected ids [268435455]" % (describe(msg), ids_of(msg)))

    # sid/x matches sid/+ (7) and sid/# (268435455). §3.3.4 [MQTT-3.3.4-3..5]: either one message
    # carrying both identifiers or one message per subscription, each with its identifier.
    pub.publish("sid/x", b"both", qos=1)
    pub.publish("sid/none", b"plain", qos=1)  # also matches sid/+ and sid/#: the order marker
    first = q2.next_message("sid/x")
    seen = []
    msgs = [first]
    while True:
        check(msgs[-1].topic in ("sid/x", "sid/none"), "unexpected %s" % describe(msgs[-1]))
        if msgs[-1].topic == "sid/none":
            break
        msgs.append(q2.next_message("sid/none"))
    for m in msgs:
        if m.topic == "sid/x":
            seen += ids_of(m)
    check(sorted(seen) == [7, 268435455],
          "sid/x: identifiers %s over %d message(s), expected 7 and 268435455 exactly once each"
          % (seen, len(msgs) - 1))

    # A retained message sent because of a SUBSCRIBE carries that subscription's identifier too
    # (§3.3.4 [MQTT-3.3.4-3]).
    pub.publish("sidret/t", b"kept", qos=1, retain=True)
    codes = q1.subscribe([("sidret/+", SubscribeOptions(qos=1))], properties=sub_props(42))
    check(codes == [1], "SUBACK sidret/+ (id 42): %s" % codes)
    msg = q1.next_message("retained sidret/t")
    check(msg.topic == "sidret/t" and msg.retain and ids_of(msg) == [42],
          "retained sidret/t: %s with ids %s, expected retain=1 and ids [42]" % (describe(msg), ids_of(msg)))
    pub.publish("sidret/t", b"", qos=1, retain=True)

    # Topics starting with $ are not matched by filters starting with a wildcard [MQTT-4.7.2-1].
    codes = q1.subscribe([("#", SubscribeOptions(qos=1)), ("+/x", SubscribeOptions(qos=1))])
    check(codes == [1, 1], "SUBACK # and +/x: %s" % codes)
    pub.publish("$app/x", b"dollar", qos=1)
    pub.publish("dollar-marker", b"m", qos=1)
    got = [m for m in q1.messages_until("dollar-marker") if m.topic.startswith("$")]
    check(got == [], "'#' or '+/x' matched a $ topic: %s" % [describe(m) for m in got])

    q2.disconnect()
    q1.disconnect()
    pub.disconnect()


run(body)
