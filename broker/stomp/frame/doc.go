// Package frame is Hashi's STOMP wire codec for STOMP 1.0, 1.1 and 1.2.
//
// # What is reused from go-stomp
//
// Frames are go-stomp's [frame.Frame] values with a [frame.Header], and the
// command and header name constants (frame.SEND, frame.ContentLength, ...)
// and frame.ParseHeartBeat come from github.com/go-stomp/stomp/v3/frame as
// well, so client code, test clients and the server share one frame type.
//
// # Why the reader and writer are ours
//
// go-stomp's frame.Reader is written for a client talking to a trusted
// server. A server cannot use it: it allocates whatever content-length
// announces before a byte of the body has arrived, reads a body without
// content-length until a NUL however long it gets, unescapes headers the
// same way for every protocol version, and unescapes CONNECT and CONNECTED
// headers, which STOMP never escapes. Its Writer flushes after every frame,
// one system call per frame. [Reader] and [Append] replace both:
//
//   - [Reader] enforces MaxFrameSize (refusing an oversized content-length
//     before allocating, and a body without content-length as soon as it
//     passes the limit), MaxHeaders and MaxHeaderLine; a body announced by
//     content-length is allocated as it arrives, so with no limit the
//     memory used follows the bytes received rather than the announcement.
//   - Header escaping follows the negotiated version: 1.2 decodes \r \n \c
//     and \\, 1.1 decodes \n \c and \\, 1.0 has no escaping. An undefined
//     escape sequence is a fatal protocol error [ErrBadEscape], as both
//     specifications require. CONNECT, STOMP and CONNECTED frames are never
//     escaped.
//   - [Append] encodes into a caller supplied slice and never writes or
//     flushes, so the server can batch many frames into one write.
//
// Errors are package sentinels ([ErrFrameTooLarge], [ErrMalformed], ...)
// wrapped with the frame and header they concern, so that errors.Is selects
// the problem and the message can go into an ERROR frame.
//
// The codec checks the wire format only. Which commands a peer may send,
// which frames may carry a body and which headers are required is left to
// the protocol layer.
package frame
