"""Broker persistence, step 1: client 'keeper' makes a kept session (Session Expiry 600 s) with a
QoS 1 subscription to plant/# (Subscription Identifier 5) and a QoS 2 one to plant2/#, then
disconnects. The test then publishes while it is away and kills the broker."""

from mqtt_check import Client, PacketTypes, Properties, SubscribeOptions, check, run


def body(port):
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 600
    keeper = Client("keeper", port, clean_start=True, properties=props)
    sub = Properties(PacketTypes.SUBSCRIBE)
    sub.SubscriptionIdentifier = 5
    codes = keeper.subscribe([("plant/#", SubscribeOptions(qos=1))], properties=sub)
    check(codes == [1], "SUBACK plant/#: %s, expected [1]" % codes)
    codes = keeper.subscribe([("plant2/#", SubscribeOptions(qos=2))])
    check(codes == [2], "SUBACK plant2/#: %s, expected [2]" % codes)
    keeper.disconnect()


run(body)
