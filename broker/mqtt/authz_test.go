package mqtt_test

import (
	"testing"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// authPlugins is Amazon MQ's three-role setup: admin does everything,
// publisher writes, subscriber reads.
const authPlugins = `<plugins>
  <simpleAuthenticationPlugin anonymousAccessAllowed="false">
    <users>
      <authenticationUser username="admin" password="admin-pw" groups="admin"/>
      <authenticationUser username="publisher" password="pub-pw" groups="publisher"/>
      <authenticationUser username="subscriber" password="sub-pw" groups="subscriber"/>
    </users>
  </simpleAuthenticationPlugin>
  <authorizationPlugin><map><authorizationMap><authorizationEntries>
    <authorizationEntry topic="&gt;" write="admin, publisher" read="admin, subscriber" admin="admin,publisher"/>
  </authorizationEntries></authorizationMap></map></authorizationPlugin>
</plugins>`

// login is a CONNECT for one of the three users, as client id.
func login(user, id string) *packet.Connect {
	return &packet.Connect{ClientID: id, CleanStart: true, UsernameFlag: true, Username: user, PasswordFlag: true, Password: []byte(user[:3] + "-pw")}
}

// Authorization with the three roles: a refused subscription gets SUBACK
// 0x80 (3.1.1) / 0x87 (5); a refused publish is acknowledged and dropped in
// 3.1.1 and answered PUBACK 0x87 in MQTT 5; denials reach the audit log.
func TestAuthorizationThreeRoles(t *testing.T) {
	t.Parallel()
	b := startBroker(t, authPlugins)
	sub, _ := b.connect(packet.V311, login("subscriber", "sub3"))
	sub.sub("orders/#", 1)
	pub, _ := b.connect(packet.V311, login("publisher", "pub3"))

	sa := pub.subscribe(2, nil, packet.Subscription{Filter: "orders/#", QoS: 1})
	if sa.ReasonCodes[0] != packet.UnspecifiedError {
		t.Errorf("publisher SUBSCRIBE: SUBACK %#x, want 0x80", byte(sa.ReasonCodes[0]))
	}
	// The subscriber's own publish is acknowledged (3.1.1 cannot refuse) but
	// never delivered; the publisher's is.
	sub.publish("orders/1", "forged", 1, 7)
	pub.publish("orders/1", "real", 1, 8)
	if p := sub.recv(); string(p.Payload) != "real" {
		t.Fatalf("subscriber got %q, want only the publisher's message", p.Payload)
	}
	sub.expectNothing("after the denied publish")

	pub5, _ := b.connect(packet.V5, login("publisher", "pub5"))
	sa5 := pub5.subscribe(3, nil, packet.Subscription{Filter: "orders/#", QoS: 1})
	if sa5.ReasonCodes[0] != packet.NotAuthorized {
		t.Errorf("MQTT 5 SUBACK %v, want 0x87", sa5.ReasonCodes[0])
	}
	sub5, _ := b.connect(packet.V5, login("subscriber", "sub5"))
	if code := sub5.pub(&packet.Publish{Topic: "orders/2", Payload: []byte("x"), QoS: 1, PacketID: 4}); code != packet.NotAuthorized {
		t.Errorf("MQTT 5 denied publish: PUBACK %v, want 0x87", code)
	}
	if code := sub5.pub(&packet.Publish{Topic: "orders/2", Payload: []byte("x"), QoS: 2, PacketID: 5}); code != packet.NotAuthorized {
		t.Errorf("MQTT 5 denied QoS 2 publish: PUBREC %v, want 0x87", code)
	}
	sub5.expectNothing("after a failed PUBREC (no PUBREL expected)")
	sub.expectNothing("after denied MQTT 5 publishes")
	if !b.LogHas(`"denied"`) {
		t.Error("no audit line for the denials")
	}
}
