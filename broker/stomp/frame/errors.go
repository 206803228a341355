package frame

import "errors"

// Errors returned by Reader.Read, always wrapped with the command and
// header concerned; test them with errors.Is. I/O errors are returned as
// they are, except that io.EOF inside a frame becomes io.ErrUnexpectedEOF.
var (
	// ErrFrameTooLarge: the frame (command, headers and body) is larger
	// than Reader.MaxFrameSize, or its content-length does not fit an int.
	ErrFrameTooLarge = errors.New("stomp: frame too large")
	// ErrTooManyHeaders: the frame has more than Reader.MaxHeaders headers.
	ErrTooManyHeaders = errors.New("stomp: too many headers")
	// ErrHeaderLineTooLong: a header line is longer than
	// Reader.MaxHeaderLine bytes.
	ErrHeaderLineTooLong = errors.New("stomp: header line too long")
	// ErrInvalidCommand: the first line of a frame is not a STOMP command.
	ErrInvalidCommand = errors.New("stomp: invalid command")
	// ErrMalformed: a header without a colon or with an empty name, a
	// content-length that is not a decimal number, or a body of
	// content-length bytes that is not followed by a NUL.
	ErrMalformed = errors.New("stomp: malformed frame")
	// ErrBadEscape: a header contains an escape sequence that the
	// negotiated version does not define, such as \t. STOMP 1.1 and 1.2
	// make this a fatal protocol error.
	ErrBadEscape = errors.New("stomp: undefined escape sequence")
	// ErrUnsupportedVersion: ParseVersion found no version in common.
	ErrUnsupportedVersion = errors.New("stomp: unsupported protocol version")
)
