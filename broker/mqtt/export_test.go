package mqtt

import "time"

// SetHandshakeWriteTimeout lets tests shorten the CONNACK write deadline.
func SetHandshakeWriteTimeout(d time.Duration) (restore func()) {
	old := handshakeWriteTimeout
	handshakeWriteTimeout = d
	return func() { handshakeWriteTimeout = old }
}

// QoS0Stall is how long a QoS 0 writer may make no progress before its
// subscriber counts as stalled.
const QoS0Stall = qos0Stall
