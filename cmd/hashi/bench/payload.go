package bench

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// HeaderLen is the size of the header at the start of every payload:
//
//	0..4   publisher id (big endian; ProbeID for warm-up probes)
//	4..12  sequence number, from 0 per publisher
//	12..20 send time, nanoseconds since the run started
//	20..24 CRC-32C of bytes 0..20
//
// The bytes after the header are a fixed pattern (patternByte).
const HeaderLen = 24

// ProbeID is the publisher id of warm-up probes, which prove that a
// subscription carries messages before the measured run starts. Probes are
// never counted.
const ProbeID = 0xFFFFFFFF

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is a decoded payload header.
type header struct {
	pub  uint32
	seq  uint64
	sent int64
}

// putHeader writes the header into p[:HeaderLen].
func putHeader(p []byte, h header) {
	binary.BigEndian.PutUint32(p[0:], h.pub)
	binary.BigEndian.PutUint64(p[4:], h.seq)
	binary.BigEndian.PutUint64(p[12:], uint64(h.sent))
	binary.BigEndian.PutUint32(p[20:], crc32.Checksum(p[:20], castagnoli))
}

// parseHeader decodes the header; ok is false when the payload is too short
// or the checksum does not match.
func parseHeader(p []byte) (h header, ok bool) {
	if len(p) < HeaderLen || binary.BigEndian.Uint32(p[20:]) != crc32.Checksum(p[:20], castagnoli) {
		return header{}, false
	}
	return header{
		pub:  binary.BigEndian.Uint32(p[0:]),
		seq:  binary.BigEndian.Uint64(p[4:]),
		sent: int64(binary.BigEndian.Uint64(p[12:])),
	}, true
}

func patternByte(i int) byte { return byte(i*7 + 13) }

// newPayload returns a payload buffer of size bytes with the pattern after
// the header; publishers rewrite only the header per message.
func newPayload(size int) []byte {
	p := make([]byte, size)
	for i := HeaderLen; i < size; i++ {
		p[i] = patternByte(i)
	}
	return p
}

// bodyIntact reports whether the bytes after the header are the pattern;
// ref is a payload from newPayload of the expected size.
func bodyIntact(p, ref []byte) bool {
	return len(p) == len(ref) && bytes.Equal(p[HeaderLen:], ref[HeaderLen:])
}
