"""MQTT 5 CONNECT with properties: what the broker answers in CONNACK, and PUBLISH properties
passed through to a subscriber unchanged."""

from mqtt_check import Client, PacketTypes, Properties, SubscribeOptions, check, run


def body(port):
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 864000  # 10 days; the broker's default max_session_expiry is 1d
    props.ReceiveMaximum = 20
    props.MaximumPacketSize = 65536
    props.TopicAliasMaximum = 5
    props.RequestProblemInformation = 1
    props.UserProperty = [("app", "interop")]
    # Empty client id: MQTT 5 §3.1.3.1 lets the server assign one and §3.2.2.3.7 [MQTT-3.2.2-16]
    # requires the Assigned Client Identifier property in CONNACK.
    sub = Client("sub", port, client_id="", clean_start=True, properties=props)
    ack = sub.connack_props
    check(sub.flags["session present"] == 0, "sub: Session Present %r on a clean start" % sub.flags)
    assigned = getattr(ack, "AssignedClientIdentifier", None)
    check(bool(assigned), "CONNACK lacks Assigned Client Identifier for an empty client id: %s" % ack)
    check(getattr(ack, "ReceiveMaximum", None) == 64, "CONNACK Receive Maximum: %s, expected 64" % ack)
    check(getattr(ack, "TopicAliasMaximum", None) == 10, "CONNACK Topic Alias Maximum: %s, expected 10" % ack)
    check(getattr(ack, "MaximumPacketSize", None) == 262144, "CONNACK Maximum Packet Size: %s, expected 262144" % ack)
    # MQTT 5 §3.2.2.3.2: a server that uses another Session Expiry Interval than requested
    # announces it; max_session_expiry 1d = 86400 s.
    check(getattr(ack, "SessionExpiryInterval", None) == 86400,
          "CONNACK Session Expiry Interval: %s, expected 86400 (requested 864000, max 1d)" % ack)
    check(getattr(ack, "MaximumQoS", 2) == 2, "CONNACK Maximum QoS: %s, expected absent (=2)" % ack)
    check(getattr(ack, "RetainAvailable", 1) == 1, "CONNACK Retain Available: %s, expected absent or 1" % ack)

    codes = sub.subscribe([("props/#", SubscribeOptions(qos=1))])
    check(codes == [1], "SUBACK %s, expected [1]" % codes)

    pub = Client("pub", port)
    pp = Properties(PacketTypes.PUBLISH)
    pp.PayloadFormatIndicator = 1
    pp.ContentType = "application/json"
    pp.ResponseTopic = "props/reply"
    pp.CorrelationData = b"\x00\x01corr\xff"
    pp.MessageExpiryInterval = 60
    pp.UserProperty = [("k", "v1"), ("k", "v2"), ("unit", "\u00b0C")]
    pub.publish("props/data", b'{"value": 21.5}', qos=1, properties=pp)

    msg = sub.next_message("props/data")
    got = msg.properties
    check(msg.topic == "props/data" and msg.payload == b'{"value": 21.5}' and msg.qos == 1,
          "received %s %r qos %d" % (msg.topic, msg.payload, msg.qos))
    check(getattr(got, "PayloadFormatIndicator", None) == 1, "Payload Format Indicator lost: %s" % got)
    check(getattr(got, "ContentType", None) == "application/json", "Content Type lost: %s" % got)
    check(getattr(got, "ResponseTopic", None) == "props/reply", "Response Topic lost: %s" % got)
    check(getattr(got, "CorrelationData", None) == b"\x00\x01corr\xff", "Correlation Data changed: %s" % got)
    # §3.3.2.3.4 [MQTT-3.3.2-20]: the User Properties are forwarded in their order, duplicates kept.
    check(getattr(got, "UserProperty", None) == [("k", "v1"), ("k", "v2"), ("unit", "\u00b0C")],
          "User Properties changed: %s" % got)
    # §3.3.2.3.3 [MQTT-3.3.2-6]: the expiry forwarded is the received value minus the time waited.
    expiry = getattr(got, "MessageExpiryInterval", None)
    check(expiry is not None and 55 <= expiry <= 60, "Message Expiry Interval %s, expected 55..60" % expiry)
    # No topic alias was allowed for props/data towards this client unless the broker chose one; a
    # Topic Alias above the client's Topic Alias Maximum (5) would be a protocol error.
    alias = getattr(got, "TopicAlias", None)
    check(alias is None or 1 <= alias <= 5, "Topic Alias %s exceeds the client's maximum 5" % alias)

    pub.disconnect()
    sub.disconnect()


run(body)
