"""Broker persistence disabled (or the change not yet written): after kill -9 and a restart,
'keeper' finds no session (session present 0) and plant/ret holds no retained message."""

from mqtt_check import Client, PacketTypes, Properties, SubscribeOptions, check, describe, run


def body(port):
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 600
    keeper = Client("keeper", port, clean_start=False, properties=props)
    check(keeper.flags.get("session present") == 0,
          "CONNACK session present = %s, expected 0 (nothing survives)" % keeper.flags)
    keeper.subscribe([("plant/#", SubscribeOptions(qos=1))])
    pub = Client("persist-pub", port)
    pub.publish("plant/marker", b"", qos=1)
    before = keeper.messages_until("plant/marker")
    check(before == [], "messages before the marker: %s, expected none" %
          [describe(m) for m in before])
    keeper.disconnect()


run(body)
