"""MQTT 5 limits a client announces in CONNECT — Maximum Packet Size and Receive Maximum — honoured
by the broker towards that client, and UNSUBACK reason codes."""

from mqtt_check import Client, PacketTypes, Properties, SubscribeOptions, check, describe, run


def connect_props(**values):
    p = Properties(PacketTypes.CONNECT)
    for name, value in values.items():
        setattr(p, name, value)
    return p


def body(port):
    pub = Client("lim-pub", port)
    pub.c.max_inflight_messages_set(100)

    # --- Maximum Packet Size [MQTT-3.1.2-24/25]: a message that would make a PUBLISH larger than
    # the client's limit is not sent to it (discarded as if delivered); smaller ones still are.
    small = Client("lim-small", port, properties=connect_props(MaximumPacketSize=1024))
    codes = small.subscribe([("mps/#", SubscribeOptions(qos=1))])
    check(codes == [1], "SUBACK mps/#: %s" % codes)
    pub.publish("mps/big", b"x" * 2000, qos=1)
    pub.publish("mps/fits", b"y" * 900, qos=1)
    pub.publish("mps/marker", b"m", qos=1)
    got = small.messages_until("mps/marker")
    check([(m.topic, len(m.payload)) for m in got] == [("mps/fits", 900)],
          "client with Maximum Packet Size 1024 received %s, expected only mps/fits (900 bytes)"
          % [(m.topic, len(m.payload)) for m in got])

    # --- Receive Maximum 1 [MQTT-3.3.4-9]: the broker may have one unacknowledged QoS 1/2 message
    # towards this client; all 30 QoS 2 messages must still arrive, once each and in order.
    slow = Client("lim-slow", port, properties=connect_props(ReceiveMaximum=1))
    codes = slow.subscribe([("rm/t", SubscribeOptions(qos=2))])
    check(codes == [2], "SUBACK rm/t: %s" % codes)
    infos = [pub.c.publish("rm/t", ("n%02d" % i).encode(), qos=2) for i in range(30)]
    for info in infos:
        pub.expect("publish", info.mid)
    received = []
    for i in range(30):
        msg = slow.next_message("rm/t message %d of 30 (got %s)" % (i + 1, received))
        received.append(msg.payload.decode())
        check(msg.qos == 2, "rm/t delivered at %s" % describe(msg))
    check(received == ["n%02d" % i for i in range(30)],
          "Receive Maximum 1: got %s, expected n00..n29 in order" % received)

    # --- UNSUBACK reason codes (§3.11.2.2): 0x00 Success, 0x11 No subscription existed; and no
    # delivery after UNSUBSCRIBE.
    codes = slow.unsubscribe(["rm/t", "rm/never-subscribed"])
    check(codes == [0x00, 0x11], "UNSUBACK %s, expected [0, 17]" % codes)
    codes = slow.subscribe([("rm/marker", SubscribeOptions(qos=1))])
    check(codes == [1], "SUBACK rm/marker: %s" % codes)
    pub.publish("rm/t", b"after-unsubscribe", qos=1)
    pub.publish("rm/marker", b"m", qos=1)
    got = slow.messages_until("rm/marker")
    check(got == [], "received after UNSUBSCRIBE: %s" % [describe(m) for m in got])

    for c in (slow, small, pub):
        c.disconnect()


run(body)
