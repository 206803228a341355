package config

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1024", 1024, true},
		{"0", 0, true},
		{"20 mb", 20 << 20, true},
		{"20mb", 20 << 20, true},
		{"20 MB", 20 << 20, true},
		{"100 MB", 100 << 20, true},
		{"1 gb", 1 << 30, true},
		{"2 g", 2 << 30, true},
		{"64kb", 64 << 10, true},
		{"62k", 62 << 10, true},
		{"5 M", 5 << 20, true},
		{"7b", 7, true},
		{"  8  kB ", 8 << 10, true},
		{"1 tb", 0, false},
		{"20 mega", 0, false},
		{"-1", 0, false},
		{"1.5 gb", 0, false},
		{"", 0, false},
		{"mb", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775807 kb", 0, false},
		{"99999999999999999999", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for in, want := range map[int64]string{1 << 30: "1 gb", 100 << 30: "100 gb", 20 << 20: "20 mb", 64 << 10: "64 kb", 1500: "1500 b", 0: "0 b"} {
		if got := FormatSize(in); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", in, got, want)
		}
		if back, err := ParseSize(FormatSize(in)); err != nil || back != in {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", in, back, err)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "True": true, " false ": false, "False": false} {
		if got, err := ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"yes", "1", "on", "", "t"} {
		if _, err := ParseBool(in); err == nil {
			t.Errorf("ParseBool(%q) accepted", in)
		}
	}
}

func TestParseMillisAndInt(t *testing.T) {
	if d, err := ParseMillis("30000"); err != nil || d != 30*time.Second {
		t.Errorf("ParseMillis(30000) = %v, %v", d, err)
	}
	if d, err := ParseMillis("-1"); err != nil || d != -time.Millisecond {
		t.Errorf("ParseMillis(-1) = %v, %v", d, err)
	}
	for _, in := range []string{"30s", "", "1e3", "99999999999999999"} {
		if _, err := ParseMillis(in); err == nil {
			t.Errorf("ParseMillis(%q) accepted", in)
		}
	}
	if n, err := ParseInt(" 42 "); err != nil || n != 42 {
		t.Errorf("ParseInt = %d, %v", n, err)
	}
	if _, err := ParseInt("4x"); err == nil {
		t.Error("ParseInt(4x) accepted")
	}
}

func TestIsPasswordHash(t *testing.T) {
	for pw, want := range map[string]bool{
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy": true,
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA":                 true,
		"manager": false, "": false, "$2": false,
	} {
		if got := IsPasswordHash(pw); got != want {
			t.Errorf("IsPasswordHash(%q) = %v", pw, got)
		}
	}
}
