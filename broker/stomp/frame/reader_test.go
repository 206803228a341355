package frame

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3/frame"
)

// heart is a heart-beat in the expected output of a read case.
var heart *frame.Frame

type readCase struct {
	name    string
	version string
	in      string
	want    []*frame.Frame // nil entries are heart-beats
	err     error          // error after the frames; nil means io.EOF
	setup   func(*Reader)
}

// readCases are raw bytes written by hand from the STOMP 1.0, 1.1 and 1.2
// specifications (section names in brackets), not produced by Append.
var readCases = []readCase{
	// [1.0 CONNECT], [1.1/1.2 Connecting]
	{name: "connect 1.0", version: V10,
		in:   "CONNECT\nlogin:foo\npasscode:bar\n\n\x00",
		want: []*frame.Frame{fr("CONNECT", "", "login", "foo", "passcode", "bar")}},
	{name: "connect 1.1", version: V10,
		in:   "CONNECT\naccept-version:1.0,1.1\nhost:stomp.github.org\n\n\x00",
		want: []*frame.Frame{fr("CONNECT", "", "accept-version", "1.0,1.1", "host", "stomp.github.org")}},
	{name: "connect 1.2 crlf", version: V10,
		in:   "CONNECT\r\naccept-version:1.2\r\nhost:stomp.github.org\r\nheart-beat:0,1000\r\n\r\n\x00",
		want: []*frame.Frame{fr("CONNECT", "", "accept-version", "1.2", "host", "stomp.github.org", "heart-beat", "0,1000")}},
	{name: "stomp frame", version: V10,
		in:   "STOMP\naccept-version:1.2\nhost:h\n\n\x00",
		want: []*frame.Frame{fr("STOMP", "", "accept-version", "1.2", "host", "h")}},
	// [1.2 Value Encoding] "CONNECT and CONNECTED frames do not escape".
	{name: "connect never unescaped 1.2", version: V12,
		in:   "CONNECT\nlogin:a\\cb\npasscode:p\\tq\\\nhost:h:1\n\n\x00",
		want: []*frame.Frame{fr("CONNECT", "", "login", `a\cb`, "passcode", `p\tq\`, "host", "h:1")}},
	{name: "connected never unescaped 1.1", version: V11,
		in:   "CONNECTED\nversion:1.1\nserver:a\\nb\n\n\x00",
		want: []*frame.Frame{fr("CONNECTED", "", "version", "1.1", "server", `a\nb`)}},
	{name: "stomp never unescaped 1.2", version: V12,
		in:   "STOMP\nlogin:a\\rb\n\n\x00",
		want: []*frame.Frame{fr("STOMP", "", "login", `a\rb`)}},

	// [SEND], [Body]: without content-length the body ends at the first NUL.
	{name: "send no content-length", version: V12,
		in:   "SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\x00",
		want: []*frame.Frame{fr("SEND", "hello queue a", "destination", "/queue/a", "content-type", "text/plain")}},
	{name: "send content-length", version: V12,
		in:   "SEND\ndestination:/queue/a\ncontent-length:5\n\nhello\x00",
		want: []*frame.Frame{fr("SEND", "hello", "destination", "/queue/a", "content-length", "5")}},
	{name: "send content-length 0", version: V11,
		in:   "SEND\ndestination:/queue/a\ncontent-length:0\n\n\x00",
		want: []*frame.Frame{fr("SEND", "", "destination", "/queue/a", "content-length", "0")}},
	{name: "send content-length 1.0", version: V10,
		in:   "SEND\ndestination:/queue/a\ncontent-length:3\n\nabc\x00",
		want: []*frame.Frame{fr("SEND", "abc", "destination", "/queue/a", "content-length", "3")}},
	{name: "binary body with NULs", version: V12,
		in:   "SEND\ndestination:/q\ncontent-length:6\n\n\x00\x01\x00\n\x00\xff\x00",
		want: []*frame.Frame{fr("SEND", "\x00\x01\x00\n\x00\xff", "destination", "/q", "content-length", "6")}},
	{name: "body with EOLs", version: V12,
		in:   "SEND\ndestination:/q\n\nline 1\r\nline 2\n\n\x00",
		want: []*frame.Frame{fr("SEND", "line 1\r\nline 2\n\n", "destination", "/q")}},
	{name: "first content-length is used", version: V12,
		in:   "SEND\ncontent-length:2\ncontent-length:5\n\nab\x00",
		want: []*frame.Frame{fr("SEND", "ab", "content-length", "2", "content-length", "5")}},
	{name: "all commands", version: V12,
		in: "SEND\n\n\x00SUBSCRIBE\n\n\x00UNSUBSCRIBE\n\n\x00ACK\n\n\x00NACK\n\n\x00" +
			"BEGIN\n\n\x00COMMIT\n\n\x00ABORT\n\n\x00DISCONNECT\n\n\x00MESSAGE\n\n\x00" +
			"RECEIPT\n\n\x00ERROR\n\n\x00CONNECTED\n\n\x00",
		want: []*frame.Frame{fr("SEND", ""), fr("SUBSCRIBE", ""), fr("UNSUBSCRIBE", ""),
			fr("ACK", ""), fr("NACK", ""), fr("BEGIN", ""), fr("COMMIT", ""), fr("ABORT", ""),
			fr("DISCONNECT", ""), fr("MESSAGE", ""), fr("RECEIPT", ""), fr("ERROR", ""), fr("CONNECTED", "")}},

	// [1.2 Value Encoding]: \r \n \c \\.
	{name: "escapes 1.2", version: V12,
		in:   "MESSAGE\nk\\cey:a\\nb\\cc\\\\d\\re\n\n\x00",
		want: []*frame.Frame{fr("MESSAGE", "", "k:ey", "a\nb:c\\d\re")}},
	// [1.1 Value Encoding]: \n \c \\, no \r.
	{name: "escapes 1.1", version: V11,
		in:   "MESSAGE\nk\\cey:a\\nb\\cc\\\\d\n\n\x00",
		want: []*frame.Frame{fr("MESSAGE", "", "k:ey", "a\nb:c\\d")}},
	{name: "\\r undefined in 1.1", version: V11,
		in:  "MESSAGE\nk:a\\rb\n\n\x00",
		err: ErrBadEscape},
	// 1.0 has no escaping: backslashes are data.
	{name: "no escapes 1.0", version: V10,
		in:   "MESSAGE\nk\\cey:a\\cb\\nc\\td\\\n\n\x00",
		want: []*frame.Frame{fr("MESSAGE", "", `k\cey`, `a\cb\nc\td\`)}},
	{name: "empty version is 1.0", version: "",
		in:   "SEND\nk:a\\cb\n\n\x00",
		want: []*frame.Frame{fr("SEND", "", "k", `a\cb`)}},
	{name: "raw colon in value tolerated", version: V12,
		in:   "SEND\ndestination:/queue/a:b\ntime:12:00:01\n\n\x00",
		want: []*frame.Frame{fr("SEND", "", "destination", "/queue/a:b", "time", "12:00:01")}},
	{name: "empty value", version: V12,
		in:   "SEND\nk:\n\n\x00",
		want: []*frame.Frame{fr("SEND", "", "k", "")}},
	{name: "NUL in header", version: V12,
		in:   "SEND\nk:a\x00b\n\n\x00",
		want: []*frame.Frame{fr("SEND", "", "k", "a\x00b")}},
	{name: "bad escape \\t 1.2", version: V12,
		in:  "SEND\nk:a\\tb\n\n\x00",
		err: ErrBadEscape},
	{name: "bad escape in name", version: V11,
		in:  "SEND\nk\\x:v\n\n\x00",
		err: ErrBadEscape},
	{name: "lone backslash at end", version: V12,
		in:  "SEND\nk:v\\\n\n\x00",
		err: ErrBadEscape},

	// [Repeated Header Entries]: all kept, the first is the value.
	{name: "repeated headers", version: V12,
		in:   "MESSAGE\nfoo:World\nfoo:Hello\n\n\x00",
		want: []*frame.Frame{fr("MESSAGE", "", "foo", "World", "foo", "Hello")}},

	// [Heart-beating], [1.2 frame BNF]: EOLs between frames, NULL *(EOL).
	{name: "heart-beats between frames", version: V12,
		in:   "\n\r\nSEND\n\nA\x00\n\nSEND\ncontent-length:1\n\nB\x00\r\n",
		want: []*frame.Frame{heart, heart, fr("SEND", "A"), heart, heart, fr("SEND", "B", "content-length", "1"), heart}},
	{name: "heart-beats only", version: V10,
		in:   "\n\n\n",
		want: []*frame.Frame{heart, heart, heart}},
	{name: "empty stream", version: V12, in: ""},

	// [1.2 Augmented BNF]: EOL = [CR] LF.
	{name: "crlf frame 1.2", version: V12,
		in:   "SEND\r\ndestination:/q\r\nreceipt:77\r\n\r\nbody\r\n\x00",
		want: []*frame.Frame{fr("SEND", "body\r\n", "destination", "/q", "receipt", "77")}},
	{name: "crlf tolerated 1.1", version: V11,
		in:   "SEND\r\ndestination:/q\r\n\r\n\x00",
		want: []*frame.Frame{fr("SEND", "", "destination", "/q")}},
	{name: "crlf tolerated 1.0", version: V10,
		in:   "SEND\r\ndestination:/q\r\n\r\n\x00",
		want: []*frame.Frame{fr("SEND", "", "destination", "/q")}},
	{name: "CR inside a value", version: V11,
		in:   "SEND\nk:a\rb\r\n\n\x00",
		want: []*frame.Frame{fr("SEND", "", "k", "a\rb")}},

	// Truncated frames.
	{name: "truncated command", version: V12, in: "SEN", err: io.ErrUnexpectedEOF},
	{name: "truncated CR", version: V12, in: "\r", err: io.ErrUnexpectedEOF},
	{name: "truncated header", version: V12, in: "SEND\ndestin", err: io.ErrUnexpectedEOF},
	{name: "truncated before blank line", version: V12, in: "SEND\nk:v\n", err: io.ErrUnexpectedEOF},
	{name: "truncated body", version: V12, in: "SEND\n\nabc", err: io.ErrUnexpectedEOF},
	{name: "truncated content-length body", version: V12,
		in: "SEND\ncontent-length:10\n\nabc", err: io.ErrUnexpectedEOF},
	{name: "missing final NUL", version: V12,
		in: "SEND\ncontent-length:3\n\nabc", err: io.ErrUnexpectedEOF},
	{name: "frame then truncated frame", version: V12,
		in:   "SEND\n\nA\x00SEND\n",
		want: []*frame.Frame{fr("SEND", "A")}, err: io.ErrUnexpectedEOF},

	// Malformed frames.
	{name: "no NUL after content-length body", version: V12,
		in: "SEND\ncontent-length:3\n\nabcd\x00", err: ErrMalformed},
	{name: "negative content-length", version: V12,
		in: "SEND\ncontent-length:-1\n\n\x00", err: ErrMalformed},
	{name: "content-length not a number", version: V12,
		in: "SEND\ncontent-length:abc\n\n\x00", err: ErrMalformed},
	{name: "content-length with space", version: V10,
		in: "SEND\ncontent-length: 3\n\nabc\x00", err: ErrMalformed},
	{name: "content-length empty", version: V12,
		in: "SEND\ncontent-length:\n\n\x00", err: ErrMalformed},
	{name: "content-length overflow", version: V12,
		in: "SEND\ncontent-length:99999999999999999999999\n\n\x00", err: ErrFrameTooLarge},
	{name: "header without colon", version: V12,
		in: "SEND\ndestination\n\n\x00", err: ErrMalformed},
	{name: "header with empty name", version: V12,
		in: "SEND\n:v\n\n\x00", err: ErrMalformed},

	// Unknown commands.
	{name: "unknown command", version: V12, in: "FOO\n\n\x00", err: ErrInvalidCommand},
	{name: "lower case command", version: V12, in: "send\n\n\x00", err: ErrInvalidCommand},
	{name: "command with space", version: V12, in: "SEND \n\n\x00", err: ErrInvalidCommand},
	{name: "NACK spelled wrong", version: V12, in: "NAK\n\n\x00", err: ErrInvalidCommand},
	{name: "long command line", version: V12,
		in: strings.Repeat("X", 100) + "\n\n\x00", err: ErrInvalidCommand},
	{name: "binary garbage", version: V12, in: "\x16\x03\x01\x02\x00\x01\x00", err: ErrInvalidCommand},
	{name: "truncated garbage", version: V12, in: "SENDX", err: ErrInvalidCommand},
	{name: "truncated command CR", version: V12, in: "SEND\r", err: io.ErrUnexpectedEOF},
	{name: "CR inside command", version: V12, in: "SEND\rX\n\n\x00", err: ErrInvalidCommand},

	// Limits.
	{name: "max headers reached", version: V12,
		setup: func(r *Reader) { r.MaxHeaders = 3 },
		in:    "SEND\na:1\nb:2\nc:3\n\n\x00",
		want:  []*frame.Frame{fr("SEND", "", "a", "1", "b", "2", "c", "3")}},
	{name: "too many headers", version: V12,
		setup: func(r *Reader) { r.MaxHeaders = 3 },
		in:    "SEND\na:1\nb:2\nc:3\nd:4\n\n\x00", err: ErrTooManyHeaders},
	{name: "header line at limit", version: V12,
		setup: func(r *Reader) { r.MaxHeaderLine = 8 },
		in:    "SEND\nk:123456\r\n\n\x00",
		want:  []*frame.Frame{fr("SEND", "", "k", "123456")}},
	{name: "header line over limit", version: V12,
		setup: func(r *Reader) { r.MaxHeaderLine = 8 },
		in:    "SEND\nk:1234567\n\n\x00", err: ErrHeaderLineTooLong},
	{name: "frame at limit", version: V12, // 5 + 1 + 3 + 1 bytes
		setup: func(r *Reader) { r.MaxFrameSize = 10 },
		in:    "\nSEND\n\nabc\x00\n",
		want:  []*frame.Frame{heart, fr("SEND", "abc"), heart}},
	{name: "frame over limit", version: V12,
		setup: func(r *Reader) { r.MaxFrameSize = 9 },
		in:    "SEND\n\nabc\x00", err: ErrFrameTooLarge},
	{name: "content-length frame at limit", version: V12, // 5 + 17 + 1 + 3 + 1
		setup: func(r *Reader) { r.MaxFrameSize = 27 },
		in:    "SEND\ncontent-length:3\n\nabc\x00",
		want:  []*frame.Frame{fr("SEND", "abc", "content-length", "3")}},
	{name: "content-length frame over limit", version: V12,
		setup: func(r *Reader) { r.MaxFrameSize = 26 },
		in:    "SEND\ncontent-length:3\n\nabc\x00", err: ErrFrameTooLarge},
	{name: "headers over frame limit", version: V12,
		setup: func(r *Reader) { r.MaxFrameSize = 12 },
		in:    "SEND\ndestination:/q\n\n\x00", err: ErrFrameTooLarge},
}

func TestRead(t *testing.T) {
	for _, tc := range readCases {
		t.Run(tc.name, func(t *testing.T) {
			// A 16-byte buffer makes lines and bodies span buffer refills.
			for _, bufSize := range []int{16, 4096} {
				r := NewReader(strings.NewReader(tc.in), bufSize)
				r.Version = tc.version
				if tc.setup != nil {
					tc.setup(r)
				}
				got, err := readAll(r, 100)
				wantErr := tc.err
				if wantErr == nil {
					wantErr = io.EOF
				}
				if !errors.Is(err, wantErr) {
					t.Errorf("buffer %d: error %v, want %v", bufSize, err, wantErr)
				}
				if len(got) != len(tc.want) {
					t.Errorf("buffer %d: %d frames, want %d", bufSize, len(got), len(tc.want))
				}
				for i := range min(len(got), len(tc.want)) {
					if !equalFrames(got[i], tc.want[i]) {
						t.Errorf("buffer %d: frame %d\n got %s\nwant %s", bufSize, i, describe(got[i]), describe(tc.want[i]))
					}
				}
			}
		})
	}
}

func TestReadGetFirstRepeated(t *testing.T) {
	r := NewReader(strings.NewReader("MESSAGE\nfoo:World\nfoo:Hello\n\n\x00"), 0)
	f, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Header.Get("foo"); got != "World" {
		t.Errorf("Get(foo) = %q, want the first value World", got)
	}
	if got := f.Header.GetAll("foo"); len(got) != 2 || got[1] != "Hello" {
		t.Errorf("GetAll(foo) = %q", got)
	}
}

func TestReadErrorsAreSticky(t *testing.T) {
	r := NewReader(strings.NewReader("FOO\n\n\x00SEND\n\n\x00"), 0)
	_, err1 := r.Read()
	f, err2 := r.Read()
	if !errors.Is(err1, ErrInvalidCommand) || err2 != err1 || f != nil {
		t.Fatalf("got %v then %v, %v", err1, f, err2)
	}
}

func TestReadErrorMessages(t *testing.T) {
	for _, tc := range []struct{ in, version, want string }{
		{"SEND\nk:a\\tb\n\n\x00", V12, `stomp: undefined escape sequence "\\t" in SEND frame header 1 (STOMP 1.2)`},
		{"SEND\na:b\nfoo\n\n\x00", V12, "stomp: malformed frame: SEND frame header 2 has no colon"},
		{"BOGUS\n\n\x00", V12, `stomp: invalid command: "BOGUS"`},
		{"\x16\x03\x01" + strings.Repeat("\x00", 100), V12, `stomp: invalid command: "\x16\x03\x01` + strings.Repeat(`\x00`, 29) + `..."`},
		{"SEND\ncontent-length:9\n\n\x00", V12, "stomp: frame too large: SEND frame has content-length 9, over the limit of 30 bytes"},
	} {
		r := NewReader(strings.NewReader(tc.in), 0)
		r.Version, r.MaxFrameSize = tc.version, 30
		_, err := r.Read()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %s", tc.in, err, tc.want)
		}
	}
}

// TestReadVersionChange: the version set after CONNECT applies to the next
// frame, as a server does after answering CONNECTED.
func TestReadVersionChange(t *testing.T) {
	in := "CONNECT\naccept-version:1.2\nlogin:a\\cb\n\n\x00SEND\nk:a\\cb\n\n\x00"
	r := NewReader(strings.NewReader(in), 0)
	f, err := r.Read()
	if err != nil || f.Header.Get("login") != `a\cb` {
		t.Fatalf("CONNECT: %s, %v", describe(f), err)
	}
	v, err := ParseVersion(f.Header.Get(frame.AcceptVersion))
	if err != nil {
		t.Fatal(err)
	}
	r.Version = v
	f, err = r.Read()
	if err != nil || f.Header.Get("k") != "a:b" {
		t.Fatalf("SEND: %s, %v", describe(f), err)
	}
}

// TestReadFramesDoNotAlias: a frame stays intact after later reads reuse
// the Reader's buffers.
func TestReadFramesDoNotAlias(t *testing.T) {
	in := "SEND\nk:first\n\nbody1\x00SEND\nk:second\n\nbody2\x00"
	r := NewReader(strings.NewReader(in), 16)
	f1, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if f1.Header.Get("k") != "first" || !bytes.Equal(f1.Body, []byte("body1")) {
		t.Fatalf("first frame changed: %s", describe(f1))
	}
}

// With ReuseBody, bodies with a content-length share one buffer (each is
// whole and right until the next Read); bodies without one, and bodies
// over maxKeptBody, are still allocated.
func TestReadReuseBody(t *testing.T) {
	big := strings.Repeat("b", maxKeptBody+1)
	in := "SEND\ncontent-length:5\n\nbody1\x00" +
		"SEND\ncontent-length:2\n\nxy\x00" +
		"SEND\n\nnolength\x00" +
		"SEND\ncontent-length:" + strconv.Itoa(len(big)) + "\n\n" + big + "\x00" +
		"SEND\ncontent-length:3\n\nabc\x00"
	r := NewReader(strings.NewReader(in), 64)
	r.ReuseBody = true
	var bodies [][]byte
	for range 5 {
		f, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, f.Body)
		if want := []string{"body1", "xy", "nolength", big, "abc"}[len(bodies)-1]; string(f.Body) != want {
			t.Fatalf("frame %d: body %.20q, want %.20q", len(bodies), f.Body, want)
		}
	}
	if &bodies[0][0] != &bodies[1][0] || &bodies[1][0] != &bodies[4][0] {
		t.Fatal("bodies with a content-length were not read into the kept buffer")
	}
	if &bodies[2][0] == &bodies[0][0] || &bodies[3][0] == &bodies[0][0] {
		t.Fatal("a body without a content-length or over the limit shares the kept buffer")
	}
	if string(bodies[0]) != "abcy1" {
		t.Fatalf("the kept buffer was not reused: %q", bodies[0])
	}
	for i, want := range []bool{true, true, false, false, true} {
		if r.Reused(bodies[i]) != want {
			t.Errorf("Reused(body %d) = %v", i+1, !want)
		}
	}
}

// ReuseBodyMax lowers the limit: a connection keeps no buffer larger than
// it, and larger bodies are allocated.
func TestReadReuseBodyMax(t *testing.T) {
	in := "SEND\ncontent-length:4\n\nsmal\x00" + "SEND\ncontent-length:9\n\nlargerone\x00"
	r := NewReader(strings.NewReader(in), 64)
	r.ReuseBody, r.ReuseBodyMax = true, 8
	small, err := r.Read()
	if err != nil || !r.Reused(small.Body) {
		t.Fatalf("a body under ReuseBodyMax was not kept: %v", err)
	}
	large, err := r.Read()
	if err != nil || r.Reused(large.Body) || string(large.Body) != "largerone" {
		t.Fatalf("a body over ReuseBodyMax: reused %v, %q, %v", r.Reused(large.Body), large.Body, err)
	}
	if cap(r.body) > 8 {
		t.Fatalf("kept buffer of %d bytes, over ReuseBodyMax", cap(r.body))
	}
}

// With ReuseFrame every frame is the same frame.Frame, refilled: headers of
// the earlier frame (more of them, repeated names) are gone, the strings
// read from it stay valid, and a frame without a body has none.
func TestReadReuseFrame(t *testing.T) {
	in := "SEND\ndestination:/queue/a\nx:1\nx:2\nreceipt:r1\ncontent-length:2\n\nhi\x00" +
		"ACK\nid:7\n\n\x00" +
		"SEND\ndestination:/queue/b\n\nbody\x00"
	r := NewReader(strings.NewReader(in), 64)
	r.Version = V12
	r.ReuseFrame = true
	first, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	dest := first.Header.Get("destination")
	second, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Fatal("ReuseFrame returned a new frame")
	}
	if second.Command != "ACK" || second.Header.Len() != 1 || second.Header.Get("id") != "7" || second.Body != nil {
		t.Fatalf("second frame: %s", describe(second))
	}
	third, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if third.Header.Len() != 1 || third.Header.Get("destination") != "/queue/b" || string(third.Body) != "body" {
		t.Fatalf("third frame: %s", describe(third))
	}
	if dest != "/queue/a" {
		t.Fatalf("a string from the first frame changed: %q", dest)
	}
}
