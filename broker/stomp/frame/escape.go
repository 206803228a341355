package frame

import (
	"bytes"

	"github.com/go-stomp/stomp/v3/frame"
)

// Header escaping (STOMP 1.1 and 1.2 "Value Encoding").
//
//	1.2: \r -> CR, \n -> LF, \c -> ':', \\ -> '\'
//	1.1:            \n -> LF, \c -> ':', \\ -> '\'
//	1.0: no escaping
//
// CONNECT and CONNECTED frames are never escaped, whatever the version, so
// that a 1.0 peer can read them. The STOMP frame is CONNECT under another
// name and is treated the same way.

// escaping is how the headers of one frame are encoded.
type escaping uint8

const (
	escNone escaping = iota // 1.0, and CONNECT, STOMP and CONNECTED frames
	esc11
	esc12
)

// escapingFor returns the escaping of a frame with command cmd in version v.
func escapingFor(cmd string, v version) escaping {
	switch cmd {
	case frame.CONNECT, frame.STOMP, frame.CONNECTED:
		return escNone
	}
	switch v {
	case v11:
		return esc11
	case v12:
		return esc12
	}
	return escNone
}

// appendUnescaped appends b to dst, decoding the escape sequences of e. If
// b contains a sequence e does not define, or ends in a lone backslash, it
// returns that sequence as bad and dst is incomplete.
func appendUnescaped(dst, b []byte, e escaping) (out []byte, bad string) {
	if e == escNone {
		return append(dst, b...), ""
	}
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 {
			return append(dst, b...), ""
		}
		dst = append(dst, b[:i]...)
		if i+1 == len(b) {
			return dst, `\`
		}
		switch b[i+1] {
		case 'n':
			dst = append(dst, '\n')
		case 'c':
			dst = append(dst, ':')
		case '\\':
			dst = append(dst, '\\')
		case 'r':
			if e != esc12 {
				return dst, `\r`
			}
			dst = append(dst, '\r')
		default:
			return dst, string(b[i : i+2])
		}
		b = b[i+2:]
	}
}

// unrepresentable is written in place of a byte that the receiver could
// not decode back (see appendEscaped).
const unrepresentable = "_"

// appendEscaped appends the header name (name true) or value s to dst,
// encoded with e. Bytes that cannot be represented are replaced with '_'
// rather than written raw, because a raw one would let a header value
// forge further headers or a content-length for the receiver:
//
//   - without escaping, CR and LF anywhere, and ':' in a name;
//   - in 1.1, a CR that ends a value (1.1 has no escape for CR, and a CR
//     before the LF is taken as part of a CRLF line ending).
func appendEscaped(dst []byte, s string, e escaping, name bool) []byte {
	// Most names and values hold no byte that any version escapes: find
	// the first that might be with a table, then decide byte by byte.
	first := 0
	for first < len(s) && !mayEscape[s[first]] {
		first++
	}
	if first == len(s) {
		return append(dst, s...)
	}
	start := 0
	for i := first; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '\\':
			if e != escNone {
				rep = `\\`
			}
		case '\n':
			if e == escNone {
				rep = unrepresentable
			} else {
				rep = `\n`
			}
		case ':':
			if e != escNone {
				rep = `\c`
			} else if name {
				rep = unrepresentable
			}
		case '\r':
			switch {
			case e == esc12:
				rep = `\r`
			case e == escNone, !name && i == len(s)-1:
				rep = unrepresentable
			}
		default:
			continue
		}
		if rep != "" {
			dst = append(dst, s[start:i]...)
			dst = append(dst, rep...)
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}

// mayEscape marks the bytes appendEscaped may have to encode.
var mayEscape = [256]bool{'\\': true, '\n': true, ':': true, '\r': true}
