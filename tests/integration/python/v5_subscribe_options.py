"""MQTT 5 subscription options: No Local, Retain As Published, Retain Handling 0/1/2 (§3.8.3.1)."""

from mqtt_check import Client, SubscribeOptions, check, describe, run


def payloads(msgs):
    return [describe(m) for m in msgs]


def body(port):
    me = Client("opts-me", port)
    other = Client("opts-other", port)

    # --- No Local [MQTT-3.8.3-3]: my own messages are not sent back to me on that subscription.
    codes = me.subscribe([("nl/t", SubscribeOptions(qos=1, noLocal=True)),
                          ("nl/marker", SubscribeOptions(qos=1))])
    check(codes == [1, 1], "SUBACK for nl/t (noLocal) + nl/marker: %s, expected [1, 1]" % codes)
    codes = other.subscribe([("nl/t", SubscribeOptions(qos=1))])
    check(codes == [1], "SUBACK for other's nl/t: %s" % codes)
    me.publish("nl/t", b"mine", qos=1)
    me.publish("nl/marker", b"m", qos=1)
    got = me.messages_until("nl/marker")
    check(got == [], "No Local: publisher received its own message(s): %s" % payloads(got))
    msg = other.next_message("nl/t from opts-me")
    check(msg.topic == "nl/t" and msg.payload == b"mine", "other received %s" % describe(msg))

    # --- Retain As Published [MQTT-3.3.1-12/13]: retain flag kept for RAP=1, cleared for RAP=0
    # on messages forwarded live.
    codes = me.subscribe([("rap/t", SubscribeOptions(qos=1, retainAsPublished=True))])
    check(codes == [1], "SUBACK rap/t: %s" % codes)
    codes = other.subscribe([("rap/t", SubscribeOptions(qos=1, retainAsPublished=False))])
    check(codes == [1], "SUBACK rap/t: %s" % codes)
    publisher = Client("opts-pub", port)
    publisher.publish("rap/t", b"r1", qos=1, retain=True)
    msg = me.next_message("rap/t with RAP=1")
    check(msg.topic == "rap/t" and msg.retain, "RAP=1 subscriber got %s, expected retain=1" % describe(msg))
    msg = other.next_message("rap/t with RAP=0")
    check(msg.topic == "rap/t" and not msg.retain, "RAP=0 subscriber got %s, expected retain=0" % describe(msg))

    # --- Retain Handling [MQTT-3.3.1-9/10/11]. rh/t holds a retained message.
    publisher.publish("rh/t", b"kept", qos=1, retain=True)
    late = Client("opts-late", port)
    # The marker topic is outside rh/ so that no rh/ filter below also matches it.
    codes = late.subscribe([("mark/late", SubscribeOptions(qos=1))])
    check(codes == [1], "SUBACK mark/late: %s" % codes)

    # 0: sent at every subscribe, with retain=1 (§3.3.1.3: retained messages sent on subscribe
    # keep the flag, whatever RAP says).
    codes = late.subscribe([("rh/t", SubscribeOptions(qos=1, retainHandling=0))])
    check(codes == [1], "SUBACK rh/t rh=0: %s" % codes)
    publisher.publish("mark/late", b"1", qos=1)
    got = late.messages_until("mark/late")
    check([(m.topic, m.payload, m.retain) for m in got] == [("rh/t", b"kept", True)],
          "Retain Handling 0, first subscribe: got %s, expected the retained rh/t with retain=1" % payloads(got))
    codes = late.subscribe([("rh/t", SubscribeOptions(qos=1, retainHandling=0))])
    check(codes == [1], "SUBACK rh/t rh=0 again: %s" % codes)
    publisher.publish("mark/late", b"2", qos=1)
    got = late.messages_until("mark/late")
    check([(m.topic, m.payload, m.retain) for m in got] == [("rh/t", b"kept", True)],
          "Retain Handling 0, repeated subscribe: got %s, expected rh/t again" % payloads(got))

    # 1: only when the subscription did not exist yet.
    codes = late.subscribe([("rh/+", SubscribeOptions(qos=1, retainHandling=1))])
    check(codes == [1], "SUBACK rh/+ rh=1: %s" % codes)
    publisher.publish("mark/late", b"3", qos=1)
    got = late.messages_until("mark/late")
    retained = [m for m in got if m.topic == "rh/t"]
    check(len(retained) == 1 and retained[0].retain and retained[0].payload == b"kept",
          "Retain Handling 1, new subscription rh/+: got %s, expected rh/t once" % payloads(got))
    codes = late.subscribe([("rh/+", SubscribeOptions(qos=1, retainHandling=1))])
    check(codes == [1], "SUBACK rh/+ rh=1 again: %s" % codes)
    publisher.publish("mark/late", b"4", qos=1)
    got = late.messages_until("mark/late")
    check([m for m in got if m.topic == "rh/t"] == [],
          "Retain Handling 1, existing subscription rh/+: got %s, expected nothing" % payloads(got))

    # 2: never.
    never = Client("opts-never", port)
    codes = never.subscribe([("rh/#", SubscribeOptions(qos=1, retainHandling=2)),
                             ("rhm/marker", SubscribeOptions(qos=1))])
    check(codes == [1, 1], "SUBACK rh/# rh=2: %s" % codes)
    publisher.publish("rhm/marker", b"5", qos=1)
    got = never.messages_until("rhm/marker")
    check(got == [], "Retain Handling 2: got %s, expected no retained message" % payloads(got))

    # Clean up the retained messages (a zero-length retained payload deletes them).
    publisher.publish("rh/t", b"", qos=1, retain=True)
    publisher.publish("rap/t", b"", qos=1, retain=True)
    for c in (never, late, publisher, other, me):
        c.disconnect()


run(body)
