package frame

import (
	"errors"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		accept, want string
		err          bool
	}{
		{"", V10, false}, // [1.1 Protocol Negotiation]: no header means 1.0
		{" ", V10, false},
		{"1.0", V10, false},
		{"1.1", V11, false},
		{"1.2", V12, false},
		{"1.0,1.1,1.2", V12, false},
		{"1.2,1.0", V12, false},
		{"1.0, 1.1", V11, false},
		{"1.1,2.0", V11, false},
		{"2.0", "", true},
		{"1.3,0.9", "", true},
		{",,", "", true},
	} {
		got, err := ParseVersion(tc.accept)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseVersion(%q) = %q, %v; want %q", tc.accept, got, err, tc.want)
		}
		if err != nil && (!errors.Is(err, ErrUnsupportedVersion) || !strings.Contains(err.Error(), SupportedVersions)) {
			t.Errorf("ParseVersion(%q) error %q does not name the supported versions", tc.accept, err)
		}
	}
}
