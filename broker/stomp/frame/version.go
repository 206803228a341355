package frame

import (
	"fmt"
	"strings"
)

// Protocol versions, as they appear in the accept-version and version
// headers.
const (
	V10 = "1.0"
	V11 = "1.1"
	V12 = "1.2"

	// SupportedVersions is the value of the version header of an ERROR
	// frame refusing a client whose versions are all unsupported.
	SupportedVersions = "1.0,1.1,1.2"
)

// ParseVersion chooses the protocol version for a connection from the
// accept-version header of its CONNECT or STOMP frame: the highest version
// both sides support. An empty header means 1.0 (a 1.0 client does not
// send it). Unknown versions in the list are ignored; when none is
// supported the error wraps ErrUnsupportedVersion and lists the supported
// versions.
func ParseVersion(acceptVersion string) (string, error) {
	if strings.TrimSpace(acceptVersion) == "" {
		return V10, nil
	}
	best := ""
	for v := range strings.SplitSeq(acceptVersion, ",") {
		switch v = strings.TrimSpace(v); v {
		case V10, V11, V12:
			if v > best { // equal length, so string order is version order
				best = v
			}
		}
	}
	if best == "" {
		return "", fmt.Errorf("%w: client accepts %q, server supports %s",
			ErrUnsupportedVersion, acceptVersion, SupportedVersions)
	}
	return best, nil
}

// version is a protocol version as the codec uses it.
type version uint8

const (
	v10 version = iota
	v11
	v12
)

// versionOf maps "1.1" and "1.2" to their version; anything else, the
// empty string included, is treated as 1.0, which has no escaping.
func versionOf(s string) version {
	switch s {
	case V11:
		return v11
	case V12:
		return v12
	}
	return v10
}

func (v version) String() string {
	switch v {
	case v11:
		return V11
	case v12:
		return V12
	}
	return V10
}
