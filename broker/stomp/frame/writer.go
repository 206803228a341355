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

// Builder appends one frame piece by piece, with Append's escaping, without
// building a frame.Frame: the server's hot paths (MESSAGE, RECEIPT) use it
// to encode without allocating.
//
//	b := frame.Start(dst, "MESSAGE", version)
//	b = b.Header("destination", "/queue/a")
//	dst = b.End(body)
type Builder struct {
	dst []byte
	esc escaping
}

// Start begins a frame with cmd.
func Start(dst []byte, cmd, version string) Builder {
	dst = append(dst, cmd...)
	return Builder{dst: append(dst, '\n'), esc: escapingFor(cmd, versionOf(version))}
}

// Header appends one header. Names must not be empty or content-length
// (End writes that).
func (b Builder) Header(name, value string) Builder {
	b.dst = appendEscaped(b.dst, name, b.esc, true)
	b.dst = append(b.dst, ':')
	b.dst = appendEscaped(b.dst, value, b.esc, false)
	b.dst = append(b.dst, '\n')
	return b
}

// HeaderInt appends a header with a decimal value.
func (b Builder) HeaderInt(name string, v int64) Builder {
	b.dst = append(b.dst, name...)
	b.dst = append(b.dst, ':')
	b.dst = strconv.AppendInt(b.dst, v, 10)
	b.dst = append(b.dst, '\n')
	return b
}

// End writes content-length (when withLength or the body holds a NUL), the
// blank line, the body and the NUL, and returns the extended slice.
func (b Builder) End(body []byte, withLength bool) []byte {
	if withLength || bytes.IndexByte(body, 0) >= 0 {
		b.dst = appendContentLength(b.dst, len(body))
	}
	b.dst = append(b.dst, '\n')
	b.dst = append(b.dst, body...)
	return append(b.dst, 0)
}

// HeaderUint appends a header with a decimal value.
func (b Builder) HeaderUint(name string, v uint64) Builder {
	b.dst = append(b.dst, name...)
	b.dst = append(b.dst, ':')
	b.dst = strconv.AppendUint(b.dst, v, 10)
	b.dst = append(b.dst, '\n')
	return b
}

// PathHeader appends a header whose value is the elements of list and then
// last, separated by commas (escaped like any value), without joining them
// into a string first.
func (b Builder) PathHeader(name string, list []string, last string) Builder {
	b.dst = appendEscaped(b.dst, name, b.esc, true)
	b.dst = append(b.dst, ':')
	for _, s := range list {
		b.dst = appendEscaped(b.dst, s, b.esc, false)
		b.dst = append(b.dst, ',')
	}
	b.dst = appendEscaped(b.dst, last, b.esc, false)
	b.dst = append(b.dst, '\n')
	return b
}

// HeaderID appends a header whose value is "ID:<prefix>-<seq>" (ActiveMQ's
// message id form) without building the string; it writes what Header
// would.
func (b Builder) HeaderID(name, prefix string, seq uint64) Builder {
	b.dst = appendEscaped(b.dst, name, b.esc, true)
	b.dst = append(b.dst, ':')
	b.dst = appendEscaped(b.dst, "ID:", b.esc, false)
	b.dst = appendEscaped(b.dst, prefix, b.esc, false)
	b.dst = append(b.dst, '-')
	b.dst = strconv.AppendUint(b.dst, seq, 10)
	b.dst = append(b.dst, '\n')
	return b
}
