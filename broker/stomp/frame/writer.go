package frame

import (
	"bytes"
	"strconv"

	"github.com/go-stomp/stomp/v3/frame"
)

// Append appends the encoding of f for a peer speaking version ("1.0",
// "1.1" or "1.2"; anything else means 1.0) to dst and returns the extended
// slice. A nil f is a heart-beat. Nothing is written or flushed: the caller
// batches frames and writes them at once.
//
// Header names and values are escaped as version requires, except in
// CONNECT, STOMP and CONNECTED frames, which are never escaped. What a
// version cannot carry is replaced with '_' instead of being written raw,
// so that no header can inject lines into the frame: CR and LF without
// escaping, ':' in a name without escaping, and a CR ending a value in 1.1.
// Entries with an empty name are dropped; STOMP has no way to write them.
//
// The body is framed by its length, never by a header the caller set: the
// first content-length entry is written with len(f.Body) and later ones are
// dropped, and a content-length is added when the body contains a NUL and
// the header has none. f.Command must be a STOMP command; it is written as
// it is.
func Append(dst []byte, f *frame.Frame, version string) []byte {
	if f == nil {
		return AppendHeartBeat(dst)
	}
	esc := escapingFor(f.Command, versionOf(version))
	dst = append(dst, f.Command...)
	dst = append(dst, '\n')
	hasLength := false
	if h := f.Header; h != nil {
		for i := 0; i < h.Len(); i++ {
			name, value := h.GetAt(i)
			switch {
			case name == "":
				continue
			case name == frame.ContentLength:
				if !hasLength {
					dst = appendContentLength(dst, len(f.Body))
					hasLength = true
				}
				continue
			}
			dst = appendEscaped(dst, name, esc, true)
			dst = append(dst, ':')
			dst = appendEscaped(dst, value, esc, false)
			dst = append(dst, '\n')
		}
	}
	if !hasLength && bytes.IndexByte(f.Body, 0) >= 0 {
		dst = appendContentLength(dst, len(f.Body))
	}
	dst = append(dst, '\n')
	dst = append(dst, f.Body...)
	return append(dst, 0)
}

// AppendHeartBeat appends a heart-beat, a single LF, to dst.
func AppendHeartBeat(dst []byte) []byte {
	return append(dst, '\n')
}

func appendContentLength(dst []byte, n int) []byte {
	dst = append(dst, frame.ContentLength...)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\n')
}
