package mqtt

import "time"

// SetHandshakeWriteTimeout lets tests shorten the CONNACK write deadline.
func SetHandshakeWriteTimeout(d time.Duration) (restore func()) {
	old := handshakeWriteTimeout
	handshakeWriteTimeout = d
	return func() { handshakeWriteTimeout = old }
}
