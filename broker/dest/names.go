package dest

import "strings"

// Segment tokens with special meaning.
const (
	Sep     = '.'
	SegStar = "*"
	SegGT   = ">"
)

// cut splits name at the first separator. more is false when seg is the last
// segment.
func cut(name string) (seg, rest string, more bool) {
	i := strings.IndexByte(name, Sep)
	if i < 0 {
		return name, "", false
	}
	return name[:i], name[i+1:], true
}

// swap maps the MQTT and ActiveMQ special characters onto each other. The
// mapping is its own inverse, as in ActiveMQ's MQTTProtocolSupport.
func swap(s string) string {
	if strings.IndexAny(s, "/.+*#>") < 0 {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		switch c {
		case '/':
			b[i] = '.'
		case '.':
			b[i] = '/'
		case '+':
			b[i] = '*'
		case '*':
			b[i] = '+'
		case '#':
			b[i] = '>'
		case '>':
			b[i] = '#'
		}
	}
	return string(b)
}

// FromMQTT converts an MQTT topic name or filter to an ActiveMQ topic name:
// "devices/42/state" -> "devices.42.state", "sensors/#" -> "sensors.>".
func FromMQTT(topic string) string { return swap(topic) }

// ToMQTT converts an ActiveMQ topic name to an MQTT topic.
func ToMQTT(name string) string { return swap(name) }

// STOMP prefixes, as ActiveMQ's LegacyFrameTranslator knows them.
const (
	StompQueue       = "/queue/"
	StompTopic       = "/topic/"
	StompTempQueue   = "/temp-queue/"
	StompTempTopic   = "/temp-topic/"
	StompRemoteTempQ = "/remote-temp-queue/"
	StompRemoteTempT = "/remote-temp-topic/"
)

// FromSTOMP maps one STOMP destination ("/queue/orders", "/topic/a.b") to a
// Destination. The remainder after the prefix is kept verbatim.
func FromSTOMP(s string) (Destination, error) {
	var k Kind
	var rest string
	switch {
	case strings.HasPrefix(s, StompQueue):
		k, rest = Queue, s[len(StompQueue):]
	case strings.HasPrefix(s, StompTopic):
		k, rest = Topic, s[len(StompTopic):]
	case strings.HasPrefix(s, StompTempQueue):
		k, rest = TempQueue, s[len(StompTempQueue):]
	case strings.HasPrefix(s, StompTempTopic):
		k, rest = TempTopic, s[len(StompTempTopic):]
	case strings.HasPrefix(s, StompRemoteTempQ):
		k, rest = TempQueue, s[len(StompRemoteTempQ):]
	case strings.HasPrefix(s, StompRemoteTempT):
		k, rest = TempTopic, s[len(StompRemoteTempT):]
	default:
		return Destination{}, ErrBadPrefix
	}
	if rest == "" {
		return Destination{}, ErrEmpty
	}
	return Destination{k, rest}, nil
}

// STOMP renders d as a STOMP destination header value.
func (d Destination) STOMP() string {
	switch d.Kind {
	case Queue:
		return StompQueue + d.Name
	case TempQueue:
		return StompRemoteTempQ + d.Name
	case TempTopic:
		return StompRemoteTempT + d.Name
	}
	return StompTopic + d.Name
}
