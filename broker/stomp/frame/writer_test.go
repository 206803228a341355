package frame

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

// appendCases give the exact bytes Append must produce, written by hand
// from the specifications.
var appendCases = []struct {
	name    string
	version string
	f       *frame.Frame
	want    string
}{
	{"heart-beat", V12, nil, "\n"},
	{"message 1.2", V12,
		fr("MESSAGE", "hello", "destination", "/queue/a", "message-id", "007", "subscription", "0"),
		"MESSAGE\ndestination:/queue/a\nmessage-id:007\nsubscription:0\n\nhello\x00"},
	// [1.2 Value Encoding]
	{"escapes 1.2", V12,
		fr("MESSAGE", "", "k:ey", "a\nb:c\\d\re"),
		"MESSAGE\nk\\cey:a\\nb\\cc\\\\d\\re\n\n\x00"},
	// [1.1 Value Encoding]: no \r; a CR is written raw unless it ends a value.
	{"escapes 1.1", V11,
		fr("MESSAGE", "", "k:e\ry", "a\nb:c\\d\re", "t", "x\r"),
		"MESSAGE\nk\\ce\ry:a\\nb\\cc\\\\d\re\nt:x_\n\n\x00"},
	// 1.0: no escaping; line breaks and ':' in names cannot be written.
	{"no escapes 1.0", V10,
		fr("MESSAGE", "", "k:ey", "a:b\\c", "inject", "x\ncontent-length:0\r"),
		"MESSAGE\nk_ey:a:b\\c\ninject:x_content-length:0_\n\n\x00"},
	{"unknown version is 1.0", "2.0",
		fr("MESSAGE", "", "k", "a:b\\c"),
		"MESSAGE\nk:a:b\\c\n\n\x00"},
	// [1.2 Value Encoding]: CONNECT and CONNECTED are never escaped.
	{"connected 1.2 not escaped", V12,
		fr("CONNECTED", "", "version", "1.2", "server", "hashi/1:x\\y", "session", "a\nb"),
		"CONNECTED\nversion:1.2\nserver:hashi/1:x\\y\nsession:a_b\n\n\x00"},
	{"connect 1.1 not escaped", V11,
		fr("CONNECT", "", "login", "a:b", "passcode", `p\c`),
		"CONNECT\nlogin:a:b\npasscode:p\\c\n\n\x00"},
	// Framing is by the body, never by the header the caller set.
	{"content-length corrected", V12,
		fr("MESSAGE", "abc", "content-length", "99", "x", "y", "content-length", "0"),
		"MESSAGE\ncontent-length:3\nx:y\n\nabc\x00"},
	{"content-length added for NUL", V12,
		fr("MESSAGE", "a\x00b", "destination", "/q"),
		"MESSAGE\ndestination:/q\ncontent-length:3\n\na\x00b\x00"},
	{"no content-length for text", V12,
		fr("MESSAGE", "text", "destination", "/q"),
		"MESSAGE\ndestination:/q\n\ntext\x00"},
	{"empty name dropped", V12,
		fr("MESSAGE", "", "", "v", "k", "v"),
		"MESSAGE\nk:v\n\n\x00"},
	{"repeated headers kept", V12,
		fr("MESSAGE", "", "foo", "World", "foo", "Hello"),
		"MESSAGE\nfoo:World\nfoo:Hello\n\n\x00"},
	{"nil header", V12,
		&frame.Frame{Command: "DISCONNECT"},
		"DISCONNECT\n\n\x00"},
}

func TestAppend(t *testing.T) {
	for _, tc := range appendCases {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("previous")
			got := Append(prefix, tc.f, tc.version)
			if !bytes.HasPrefix(got, []byte("previous")) {
				t.Fatalf("dst overwritten: %q", got)
			}
			if got := string(got[len("previous"):]); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestAppendHeartBeat(t *testing.T) {
	if got := string(AppendHeartBeat([]byte("x"))); got != "x\n" {
		t.Fatalf("got %q", got)
	}
}

// TestAppendNoAllocs: encoding into a slice with room allocates nothing,
// escaping included.
func TestAppendNoAllocs(t *testing.T) {
	f := fr("MESSAGE", strings.Repeat("x", 64), "destination", "/queue/a:b", "message-id", "id\\1",
		"subscription", "0", "content-length", "64")
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		buf = Append(buf[:0], f, V12)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per Append, want 0", allocs)
	}
}

// TestRoundTrip: Append then Read gives the frame back, in every version,
// with header values that need escaping where the version has escapes.
func TestRoundTrip(t *testing.T) {
	common := []*frame.Frame{
		fr("SEND", "hello", "destination", "/queue/a", "receipt", "r-1"),
		fr("MESSAGE", "\x00binary\x00\n\r\n", "destination", "/topic/t", "content-length", "11", "message-id", "m1"),
		fr("SUBSCRIBE", "", "id", "0", "destination", "/queue/a", "ack", "client-individual"),
		fr("MESSAGE", "", "foo", "World", "foo", "Hello"),
		fr("ERROR", "details\n", "message", "bad frame", "content-type", "text/plain"),
		fr("CONNECTED", "", "version", "1.2", "server", `hashi/1.0 a:b\c`, "heart-beat", "0,0"),
		fr("CONNECT", "", "login", "user", "passcode", `p:a\ss`, "host", "h"),
		fr("DISCONNECT", "", "receipt", "77"),
		fr("ACK", "", "id", "", "transaction", "tx1"),
	}
	awkward := []*frame.Frame{
		fr("SEND", "x", "destination", "/queue/a:b", "k:colon", "v:colon", "nl", "a\nb\n",
			"bs", `c:\path\`, "mix", "\\n:\\c\n", `\`, `\\`),
		fr("MESSAGE", "", "x-value", ":", "y", "\n", "z", "\\"),
	}
	cr := []*frame.Frame{
		fr("SEND", "", "cr", "a\rb\r", "crlf", "\r\n", "\r", "x"),
	}
	for _, tc := range []struct {
		version string
		frames  []*frame.Frame
	}{
		{V10, common},
		{V11, append(common, awkward...)},
		{V12, append(append(common, awkward...), cr...)},
	} {
		t.Run(tc.version, func(t *testing.T) {
			// All frames in one batch, with heart-beats between them, as
			// the server writes them.
			var buf []byte
			for _, f := range tc.frames {
				buf = Append(buf, f, tc.version)
				buf = AppendHeartBeat(buf)
			}
			r := NewReader(bytes.NewReader(buf), 16)
			r.Version = tc.version
			for i, want := range tc.frames {
				got, err := r.Read()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if !equalFrames(got, want) {
					t.Errorf("frame %d\n got %s\nwant %s", i, describe(got), describe(want))
				}
				if hb, err := r.Read(); hb != nil || err != nil {
					t.Fatalf("after frame %d: %s, %v", i, describe(hb), err)
				}
			}
			if f, err := r.Read(); err == nil {
				t.Fatalf("extra frame %s", describe(f))
			}
		})
	}
}
