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

var fuzzVersions = []string{V10, V11, V12}

// documented reports whether err is one Read is documented to return.
func documented(err error) bool {
	for _, e := range []error{io.EOF, io.ErrUnexpectedEOF, ErrFrameTooLarge, ErrTooManyHeaders,
		ErrHeaderLineTooLong, ErrInvalidCommand, ErrMalformed, ErrBadEscape} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// FuzzRead feeds arbitrary bytes to a Reader in every version, with and
// without limits. It must not panic, must return only documented errors,
// must respect its limits, must not allocate out of proportion to the
// input, and every frame it returns must survive Append and Read again.
func FuzzRead(f *testing.F) {
	for _, tc := range readCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range appendCases {
		f.Add(Append(nil, tc.f, tc.version))
	}
	f.Add([]byte("SEND\ncontent-length:2000000000\n\nabc"))
	f.Add([]byte("\r\n\nMESSAGE\r\nk\\c:\\r\\n\\\\\r\n\r\n\x00\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range fuzzVersions {
			for _, limited := range []bool{false, true} {
				bufSize := 16
				if len(data)%2 == 0 {
					bufSize = 4096
				}
				r := NewReader(bytes.NewReader(data), bufSize)
				r.Version = v
				if limited {
					r.MaxFrameSize, r.MaxHeaders, r.MaxHeaderLine = 256, 4, 32
				}
				var allocated uint64
				for i := 0; ; i++ {
					before := heapAllocBytes()
					fr, err := r.Read()
					allocated += heapAllocBytes() - before
					if err != nil {
						if !documented(err) {
							t.Fatalf("%s: undocumented error %v", v, err)
						}
						break
					}
					if i > len(data) {
						t.Fatalf("%s: more frames than input bytes", v)
					}
					if fr == nil {
						continue
					}
					if limited && (len(fr.Body) >= r.MaxFrameSize || fr.Header.Len() > r.MaxHeaders) {
						t.Fatalf("%s: limits not enforced: %s", v, describe(fr))
					}
					checkReencode(t, fr, v)
				}
				// The read buffer, one speculative body chunk, and a
				// constant factor of the input for frame structures.
				if bound := uint64(bufSize+firstBodyChunk+1<<20) + 32*uint64(len(data)); allocated > bound {
					t.Fatalf("%s: allocated %d bytes for %d bytes of input", v, allocated, len(data))
				}
			}
		}
	})
}

// FuzzReadReused reads arbitrary bytes twice, once with every frame and
// body new and once as a server connection reads (ReuseFrame, ReuseBody):
// the frames and errors must be the same.
func FuzzReadReused(f *testing.F) {
	for _, tc := range readCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range appendCases {
		f.Add(Append(nil, tc.f, tc.version))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range fuzzVersions {
			plain := NewReader(bytes.NewReader(data), 64)
			reused := NewReader(bytes.NewReader(data), 64)
			plain.Version, reused.Version = v, v
			reused.ReuseFrame, reused.ReuseBody = true, true
			if len(data)%2 == 0 {
				reused.ReuseBodyMax = 16
			}
			for i := 0; i <= len(data); i++ {
				a, errA := plain.Read()
				b, errB := reused.Read()
				if (errA == nil) != (errB == nil) || (errA != nil && errA.Error() != errB.Error()) {
					t.Fatalf("%s frame %d: errors %v and %v", v, i, errA, errB)
				}
				if errA != nil {
					break
				}
				if (a == nil) != (b == nil) {
					t.Fatalf("%s frame %d: heart-beat in one reading only", v, i)
				}
				if a != nil && describe(a) != describe(b) {
					t.Fatalf("%s frame %d:\n%s\n%s", v, i, describe(a), describe(b))
				}
			}
		}
	})
}

// checkReencode: a decoded frame encodes to bytes that decode again, and
// encoding is stable from then on.
func checkReencode(t *testing.T, f *frame.Frame, version string) {
	t.Helper()
	enc := Append(nil, f, version)
	f2, err := readOne(enc, version)
	if err != nil {
		t.Fatalf("%s: re-encoded frame does not decode: %v\n%s\n%q", version, err, describe(f), enc)
	}
	if enc2 := Append(nil, f2, version); !bytes.Equal(enc, enc2) {
		t.Fatalf("%s: encoding not stable\n%q\n%q", version, enc, enc2)
	}
}

// readOne decodes exactly one frame, with no limits.
func readOne(b []byte, version string) (*frame.Frame, error) {
	r := NewReader(bytes.NewReader(b), 0)
	r.Version, r.MaxHeaders, r.MaxHeaderLine = version, 1<<30, 1<<30
	f, err := r.Read()
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("heart-beat instead of a frame")
	}
	if extra, err := r.Read(); err != io.EOF {
		return nil, errors.New("trailing data: " + describe(extra))
	}
	return f, nil
}

var fuzzCommands = []string{frame.SEND, frame.MESSAGE, frame.SUBSCRIBE, frame.UNSUBSCRIBE,
	frame.ACK, frame.NACK, frame.BEGIN, frame.COMMIT, frame.ABORT, frame.DISCONNECT,
	frame.RECEIPT, frame.ERROR, frame.CONNECT, frame.STOMP, frame.CONNECTED}

// FuzzRoundTrip builds a frame from arbitrary headers and body, encodes it
// with Append and decodes it with Read: the result must be the frame as
// Append documents it (escaped where the version can, '_' where it
// cannot, content-length set from the body).
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(0), uint8(2), []byte("destination\xff/queue/a\xffk:colon\xffa\nb\\c\r"), []byte("body"))
	f.Add(uint8(1), uint8(1), []byte("content-length\xff99\xffx\xffy\r\xffcontent-length\xff1"), []byte("a\x00b"))
	f.Add(uint8(12), uint8(2), []byte("login\xffa:b\xffpasscode\xffp\nq"), []byte(""))
	f.Add(uint8(0), uint8(0), []byte("\xffempty name\xffk:\r\xff\n"), []byte("\x00"))
	f.Fuzz(func(t *testing.T, cmd, ver uint8, hdr, body []byte) {
		version := fuzzVersions[int(ver)%len(fuzzVersions)]
		in := &frame.Frame{Command: fuzzCommands[int(cmd)%len(fuzzCommands)], Header: &frame.Header{}, Body: body}
		parts := bytes.Split(hdr, []byte{0xff})
		for i := 0; i+1 < len(parts); i += 2 {
			in.Header.Add(string(parts[i]), string(parts[i+1]))
		}
		want := documentedEncoding(in, version)
		enc := Append(nil, in, version)
		got, err := readOne(enc, version)
		if err != nil {
			t.Fatalf("%s: %v\nframe %s\nwire %q", version, err, describe(in), enc)
		}
		if !equalFrames(got, want) {
			t.Fatalf("%s\n got %s\nwant %s\nwire %q", version, describe(got), describe(want), enc)
		}
	})
}

// documentedEncoding is what Append's documentation promises a receiver
// decodes from f, written independently of escape.go.
func documentedEncoding(f *frame.Frame, version string) *frame.Frame {
	raw := version != V11 && version != V12
	switch f.Command {
	case frame.CONNECT, frame.STOMP, frame.CONNECTED:
		raw = true
	}
	out := &frame.Frame{Command: f.Command, Header: &frame.Header{}, Body: f.Body}
	length := strconv.Itoa(len(f.Body))
	hasLength := false
	for i := 0; i < f.Header.Len(); i++ {
		k, v := f.Header.GetAt(i)
		switch {
		case k == "":
			continue
		case k == frame.ContentLength:
			if !hasLength {
				out.Header.Add(k, length)
				hasLength = true
			}
			continue
		case raw:
			k = strings.NewReplacer("\r", "_", "\n", "_", ":", "_").Replace(k)
			v = strings.NewReplacer("\r", "_", "\n", "_").Replace(v)
		case version == V11 && strings.HasSuffix(v, "\r"):
			v = v[:len(v)-1] + "_"
		}
		out.Header.Add(k, v)
	}
	if !hasLength && bytes.IndexByte(f.Body, 0) >= 0 {
		out.Header.Add(frame.ContentLength, length)
	}
	return out
}
