package frame

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/go-stomp/stomp/v3/frame"
)

// Defaults of the Reader settings.
const (
	DefaultBufferSize    = 4096
	DefaultMaxHeaders    = 1000
	DefaultMaxHeaderLine = 64 << 10
)

const (
	// maxCommandLine bounds the first line of a frame: the longest command
	// is UNSUBSCRIBE, plus a CR.
	maxCommandLine = 16
	// firstBodyChunk is the largest body allocated up front from its
	// content-length; a longer body grows as its bytes arrive.
	firstBodyChunk = 64 << 10
	// maxKeptScratch is the largest scratch buffer kept between frames.
	maxKeptScratch = 64 << 10
	// maxKeptBody is the largest body ReuseBody reads into the kept buffer.
	maxKeptBody = 256 << 10
)

// errLineTooLong is readLine's report that a line passed its limit; Read
// turns it into ErrHeaderLineTooLong, ErrFrameTooLarge or ErrInvalidCommand.
var errLineTooLong = errors.New("line too long")

// Reader decodes STOMP frames from a byte stream.
//
// Read returns nil, nil for each EOL (LF or CRLF) met where a frame could
// start: a heart-beat, or one of the EOLs a peer may send after the NUL of
// a frame. They are not collapsed, so every heart-beat can refresh the
// caller's read deadline.
//
// A frame's size is counted on the wire, from the first byte of its command
// line to its NUL inclusive. Lines may end in LF or CRLF whatever the
// version (CRLF is only defined by 1.2; in 1.1 and 1.0 a CR before the LF
// is therefore not part of a header value). Repeated headers are all kept,
// in order; frame.Header.Get returns the first, as the specifications
// require, and the first content-length is the one used. Header names and
// values are not checked to be UTF-8.
//
// Returned frames share nothing with the Reader. A Reader is not safe for
// concurrent use.
type Reader struct {
	// MaxFrameSize is the largest accepted frame in bytes; 0 means no limit.
	MaxFrameSize int
	// MaxHeaders is the largest accepted number of headers in one frame;
	// <= 0 means DefaultMaxHeaders.
	MaxHeaders int
	// MaxHeaderLine is the longest accepted header line in bytes, EOL
	// excluded; <= 0 means DefaultMaxHeaderLine.
	MaxHeaderLine int
	// Version is the negotiated protocol version, "1.0", "1.1" or "1.2",
	// which selects the header escaping. Anything else, the empty string
	// included, means 1.0: set it once CONNECT has been answered.
	Version string
	// ReuseBody lets a body with a content-length of up to maxKeptBody
	// share a buffer the Reader keeps: such a body is valid only until the
	// next Read. For a caller that copies what it keeps (a bridge link),
	// it saves allocating and zeroing every body.
	ReuseBody bool
	// ReuseBodyMax, when positive, lowers the largest body ReuseBody reads
	// into the kept buffer (and so the buffer a connection keeps).
	ReuseBodyMax int
	// ReuseFrame lets every frame Read returns be the same frame.Frame and
	// frame.Header, refilled: a frame is then valid only until the next
	// Read (its names and values, strings, stay valid). For a caller that
	// keeps no frame past handling it, it saves two allocations a frame.
	ReuseFrame bool

	br   *bufio.Reader
	err  error        // sticky: after an error the stream is out of sync
	line []byte       // a line longer than the read buffer
	text []byte       // decoded header names and values of the current frame
	ends []int        // end of each name and value in text
	kv   []string     // names and values, handed to frame.NewHeader
	body []byte       // the reused body (ReuseBody)
	kept *frameHeader // the reused frame (ReuseFrame)
}

// frameHeader holds a decoded frame and its header.
type frameHeader struct {
	f frame.Frame
	h frame.Header
}

// NewReader returns a Reader that reads from r through a buffer of bufSize
// bytes (DefaultBufferSize when <= 0).
func NewReader(r io.Reader, bufSize int) *Reader {
	if bufSize <= 0 {
		bufSize = DefaultBufferSize
	}
	return &Reader{br: bufio.NewReaderSize(r, bufSize)}
}

// Buffered returns the number of bytes received but not yet decoded.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// Read reads the next frame, or returns nil, nil for a heart-beat EOL.
//
// It returns io.EOF when the stream ends between frames and
// io.ErrUnexpectedEOF when it ends inside one. Decoding errors wrap one of
// the package's sentinel errors. Every error is sticky: the stream is no
// longer in step with the frames, and STOMP requires the connection to be
// closed after an ERROR frame anyway.
func (r *Reader) Read() (*frame.Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	f, err := r.read()
	if cap(r.text) > maxKeptScratch {
		r.text = nil
	}
	if cap(r.line) > maxKeptScratch {
		r.line = nil
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	return f, nil
}

func (r *Reader) read() (*frame.Frame, error) {
	line, size, err := r.readLine(maxCommandLine)
	switch {
	case err == io.EOF && size == 0:
		return nil, io.EOF
	case err == io.EOF && !commandPrefix(line):
		return nil, fmt.Errorf("%w: %q", ErrInvalidCommand, trunc(string(line)))
	case err == errLineTooLong:
		return nil, fmt.Errorf("%w: command line longer than %d bytes", ErrInvalidCommand, maxCommandLine)
	case err != nil:
		return nil, unexpected(err)
	case len(line) == 0:
		return nil, nil // heart-beat
	}
	cmd, ok := command(line)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrInvalidCommand, line)
	}
	maxSize := r.MaxFrameSize
	if maxSize > 0 && size > maxSize {
		return nil, fmt.Errorf("%w: %s frame over the limit of %d bytes", ErrFrameTooLarge, cmd, maxSize)
	}
	if err := r.readHeaders(cmd, &size); err != nil {
		return nil, err
	}

	text := string(r.text) // one allocation for all names and values
	r.kv = r.kv[:0]
	start := 0
	for _, end := range r.ends {
		r.kv = append(r.kv, text[start:end])
		start = end
	}
	f := r.newFrame(cmd)
	clear(r.kv) // do not keep the strings alive

	n := -1
	if v, ok := f.Header.Contains(frame.ContentLength); ok {
		if n, ok = parseContentLength(v); !ok {
			return nil, fmt.Errorf("%w: %s frame has content-length %q", ErrMalformed, cmd, trunc(v))
		}
		if n == lengthOverflow {
			return nil, fmt.Errorf("%w: %s frame has content-length %s", ErrFrameTooLarge, cmd, trunc(v))
		}
	}
	if n < 0 {
		f.Body, err = r.readToNUL(cmd, size)
	} else {
		f.Body, err = r.readBody(cmd, size, n)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// readHeaders decodes the header lines and the blank line that ends them
// into r.text and r.ends, adding the bytes read to *size.
func (r *Reader) readHeaders(cmd string, size *int) error {
	esc := escapingFor(cmd, versionOf(r.Version))
	maxLine := r.MaxHeaderLine
	if maxLine <= 0 {
		maxLine = DefaultMaxHeaderLine
	}
	maxHeaders := r.MaxHeaders
	if maxHeaders <= 0 {
		maxHeaders = DefaultMaxHeaders
	}
	maxSize := r.MaxFrameSize
	r.text, r.ends = r.text[:0], r.ends[:0]
	for i := 1; ; i++ {
		limit, byFrame := maxLine, false
		if maxSize > 0 && maxSize-*size < limit {
			limit, byFrame = maxSize-*size, true
		}
		line, n, err := r.readLine(limit)
		*size += n
		switch {
		case err == errLineTooLong && byFrame:
			return fmt.Errorf("%w: %s frame over the limit of %d bytes in header %d", ErrFrameTooLarge, cmd, maxSize, i)
		case err == errLineTooLong:
			return fmt.Errorf("%w: %s frame header %d is longer than %d bytes", ErrHeaderLineTooLong, cmd, i, maxLine)
		case err != nil:
			return unexpected(err)
		case maxSize > 0 && *size > maxSize:
			return fmt.Errorf("%w: %s frame over the limit of %d bytes in header %d", ErrFrameTooLarge, cmd, maxSize, i)
		case len(line) == 0:
			return nil
		case i > maxHeaders:
			return fmt.Errorf("%w: %s frame has more than %d headers", ErrTooManyHeaders, cmd, maxHeaders)
		}
		colon := bytes.IndexByte(line, ':')
		switch {
		case colon < 0:
			return fmt.Errorf("%w: %s frame header %d has no colon", ErrMalformed, cmd, i)
		case colon == 0:
			return fmt.Errorf("%w: %s frame header %d has an empty name", ErrMalformed, cmd, i)
		}
		var bad string
		for _, part := range [2][]byte{line[:colon], line[colon+1:]} {
			if r.text, bad = appendUnescaped(r.text, part, esc); bad != "" {
				return fmt.Errorf("%w %q in %s frame header %d (STOMP %s)", ErrBadEscape, bad, cmd, i, versionOf(r.Version))
			}
			r.ends = append(r.ends, len(r.text))
		}
	}
}

// newFrame returns a frame for cmd with the headers in r.kv: a new one (the
// frame and its header in one allocation), or with ReuseFrame the kept one,
// emptied and refilled.
func (r *Reader) newFrame(cmd string) *frame.Frame {
	if !r.ReuseFrame {
		fh := &frameHeader{h: *frame.NewHeader(r.kv...)}
		fh.f.Command, fh.f.Header = cmd, &fh.h
		return &fh.f
	}
	if r.kept == nil {
		r.kept = &frameHeader{}
		r.kept.f.Header = &r.kept.h
	}
	h := &r.kept.h
	for h.Len() > 0 { // go-stomp's Header has no reset; Del keeps the capacity
		k, _ := h.GetAt(0)
		h.Del(k)
	}
	for i := 0; i+1 < len(r.kv); i += 2 {
		h.Add(r.kv[i], r.kv[i+1])
	}
	r.kept.f.Command, r.kept.f.Body = cmd, nil
	return &r.kept.f
}

// keptBody is the largest body ReuseBody reads into the kept buffer.
func (r *Reader) keptBody() int {
	if r.ReuseBodyMax > 0 {
		return min(r.ReuseBodyMax, maxKeptBody)
	}
	return maxKeptBody
}

// Reused reports whether body is in the buffer ReuseBody shares between
// frames, and so valid only until the next Read.
func (r *Reader) Reused(body []byte) bool {
	return len(body) > 0 && cap(r.body) > 0 && &body[0] == &r.body[0]
}

// readBody reads a body of n bytes announced by content-length and the NUL
// after it. The limit is checked before anything is allocated, and a body
// larger than firstBodyChunk is allocated as it arrives.
func (r *Reader) readBody(cmd string, size, n int) ([]byte, error) {
	if maxSize := r.MaxFrameSize; maxSize > 0 && n > maxSize-size-1 {
		return nil, fmt.Errorf("%w: %s frame has content-length %d, over the limit of %d bytes", ErrFrameTooLarge, cmd, n, maxSize)
	}
	var body []byte
	if kept := r.keptBody(); r.ReuseBody && n > 0 && n <= kept {
		if cap(r.body) < n {
			r.body = make([]byte, min(max(n, 2*cap(r.body)), kept))
		}
		body = r.body[:n]
		if _, err := io.ReadFull(r.br, body); err != nil {
			return nil, unexpected(err)
		}
	} else if n > 0 {
		body = make([]byte, min(n, firstBodyChunk))
		if _, err := io.ReadFull(r.br, body); err != nil {
			return nil, unexpected(err)
		}
	}
	for len(body) < n {
		if len(body) == cap(body) {
			grown := make([]byte, len(body), min(2*cap(body), n))
			copy(grown, body)
			body = grown
		}
		m, err := r.br.Read(body[len(body):cap(body)])
		body = body[:len(body)+m]
		if err != nil && len(body) < n {
			return nil, unexpected(err)
		}
	}
	c, err := r.br.ReadByte()
	if err != nil {
		return nil, unexpected(err)
	}
	if c != 0 {
		return nil, fmt.Errorf("%w: %s frame body of content-length %d is not followed by NUL", ErrMalformed, cmd, n)
	}
	return body, nil
}

// readToNUL reads a body without content-length, up to the first NUL.
func (r *Reader) readToNUL(cmd string, size int) ([]byte, error) {
	var body []byte
	for {
		seg, err := r.br.ReadSlice(0)
		size += len(seg)
		if maxSize := r.MaxFrameSize; maxSize > 0 && size > maxSize {
			return nil, fmt.Errorf("%w: %s frame body over the limit of %d bytes", ErrFrameTooLarge, cmd, maxSize)
		}
		if err == nil {
			return append(body, seg[:len(seg)-1]...), nil
		}
		if err != bufio.ErrBufferFull {
			return nil, unexpected(err)
		}
		body = appendDoubling(body, seg)
	}
}

// appendDoubling appends seg to body, at least doubling the capacity when
// it grows, so that the bytes allocated for a body read piece by piece stay
// within twice its final size (append grows large slices by only 1.25).
func appendDoubling(body, seg []byte) []byte {
	if need := len(body) + len(seg); need > cap(body) {
		grown := make([]byte, len(body), max(need, 2*cap(body), 512))
		copy(grown, body)
		body = grown
	}
	return append(body, seg...)
}

// readLine reads one line and returns it without its LF or CRLF, and the
// number of bytes consumed. The line is valid until the next read. A line
// of more than limit bytes is refused with errLineTooLong once limit+2
// bytes of it have been read, so no more than that is buffered.
func (r *Reader) readLine(limit int) (line []byte, n int, err error) {
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull && len(b) <= limit+1 {
		r.line = append(r.line[:0], b...)
		for err == bufio.ErrBufferFull && len(r.line) <= limit+1 {
			b, err = r.br.ReadSlice('\n')
			r.line = append(r.line, b...)
		}
		b = r.line
	}
	n = len(b)
	if err == bufio.ErrBufferFull {
		return nil, n, errLineTooLong
	}
	if err != nil {
		return b, n, err // the partial line, for error messages
	}
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	if len(b) > limit {
		return nil, n, errLineTooLong
	}
	return b, n, nil
}

// command returns the constant for a command line, without allocating.
func command(line []byte) (string, bool) {
	switch string(line) {
	case frame.SEND:
		return frame.SEND, true
	case frame.MESSAGE:
		return frame.MESSAGE, true
	case frame.ACK:
		return frame.ACK, true
	case frame.NACK:
		return frame.NACK, true
	case frame.SUBSCRIBE:
		return frame.SUBSCRIBE, true
	case frame.UNSUBSCRIBE:
		return frame.UNSUBSCRIBE, true
	case frame.BEGIN:
		return frame.BEGIN, true
	case frame.COMMIT:
		return frame.COMMIT, true
	case frame.ABORT:
		return frame.ABORT, true
	case frame.RECEIPT:
		return frame.RECEIPT, true
	case frame.ERROR:
		return frame.ERROR, true
	case frame.CONNECT:
		return frame.CONNECT, true
	case frame.STOMP:
		return frame.STOMP, true
	case frame.CONNECTED:
		return frame.CONNECTED, true
	case frame.DISCONNECT:
		return frame.DISCONNECT, true
	}
	return "", false
}

// commandPrefix reports whether a partial first line could have become a
// command, so that a stream ending in garbage is reported as such.
func commandPrefix(b []byte) bool {
	if n := len(b); n > 0 && b[n-1] == '\r' { // only an LF may follow
		_, ok := command(b[:n-1])
		return ok || n == 1
	}
	for _, c := range [...]string{frame.SEND, frame.SUBSCRIBE, frame.UNSUBSCRIBE,
		frame.ACK, frame.NACK, frame.BEGIN, frame.COMMIT, frame.ABORT,
		frame.DISCONNECT, frame.CONNECT, frame.STOMP, frame.CONNECTED,
		frame.MESSAGE, frame.RECEIPT, frame.ERROR} {
		if len(b) <= len(c) && c[:len(b)] == string(b) {
			return true
		}
	}
	return false
}

// parseContentLength parses a content-length value: decimal digits only,
// no sign or spaces, so that every peer reads the same length. A value too
// large for an int yields lengthOverflow.
func parseContentLength(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt-int(c-'0'))/10 {
			n = lengthOverflow
			continue
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// lengthOverflow is parseContentLength's result for a number that does not
// fit an int.
const lengthOverflow = math.MaxInt

// unexpected maps io.EOF inside a frame to io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// trunc shortens a peer supplied string quoted in an error message.
func trunc(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
