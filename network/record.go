package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
)

// Forwarded messages travel in batches (protocol 3): one STOMP frame to
// batchDest whose body is a run of binary records, one per message. A
// STOMP frame per message cost the receiver a third of its CPU in header
// parsing and decoding alone; a record is read with a few length-prefixed
// fields and no escaping. docs/network-protocol.md has the layout.
const (
	batchDest = "/topic/hashi.bridge.batch"
	// maxBatch is the body size after which the writer closes a batch
	// frame; a message larger than that travels in a batch of its own.
	maxBatch = 64 << 10
)

// Record flags.
const (
	recPersistent = 1 << iota
	recRetain
	recSync   // a retained value replayed at link start: store, do not deliver
	recResent // may have reached the receiver before: check for a duplicate
	recUTF8   // MQTT payload format indicator
	recReply  // a reply-to destination follows the correlation data
)

// errRecord reports a record that does not parse: the peer is broken, and
// the link is given up.
var errRecord = errors.New("malformed message record in a bridge batch")

// errRecordDest reports a record whose destination is unusable; the rest of
// the record was read, so it can be refused and the batch goes on.
var errRecordDest = errors.New("bad destination")

// appendRecord appends m as a record: a 4-byte big-endian length, then
//
//	flags, qos, priority, destination kind   1 byte each
//	seq                                      uvarint, 0 = not acknowledged
//	timestamp, expiry                        varint
//	destination name, message id             uvarint length + bytes
//	path                                     uvarint count, then each as length + bytes
//	content type, correlation data           length + bytes
//	reply-to (with recReply)                 kind byte, name as length + bytes
//	user properties                          uvarint count, then key and value as length + bytes
//	payload                                  the rest of the record
//
// origin names a message that entered the network here: its id is
// "ID:<origin>-<Seq>", written without building the string. The path is
// m.BrokerPath followed by self.
func appendRecord(b []byte, m *broker.Message, seq uint64, flags byte, origin, self string) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	p := m.Props
	if m.Persistent {
		flags |= recPersistent
	}
	if m.Retain {
		flags |= recRetain
	}
	if p != nil && p.PayloadUTF8 {
		flags |= recUTF8
	}
	if p != nil && p.ReplyTo.Name != "" {
		flags |= recReply
	}
	b = append(b, flags, m.QoS, m.Priority, byte(m.Dest.Kind))
	b = binary.AppendUvarint(b, seq)
	b = binary.AppendVarint(b, m.Timestamp)
	b = binary.AppendVarint(b, m.Expiry)
	b = appendString(b, m.Dest.Name)
	if id := m.KnownID(); id != "" {
		b = appendString(b, id)
	} else {
		var digits [20]byte
		n := strconv.AppendUint(digits[:0], m.Seq, 10)
		b = binary.AppendUvarint(b, uint64(3+len(origin)+1+len(n)))
		b = append(b, "ID:"...)
		b = append(b, origin...)
		b = append(b, '-')
		b = append(b, n...)
	}
	b = binary.AppendUvarint(b, uint64(len(m.BrokerPath)+1))
	for _, id := range m.BrokerPath {
		b = appendString(b, id)
	}
	b = appendString(b, self)
	if p == nil {
		b = append(b, 0, 0, 0) // content type, correlation data, user properties
	} else {
		b = appendString(b, p.ContentType)
		b = binary.AppendUvarint(b, uint64(len(p.CorrelationData)))
		b = append(b, p.CorrelationData...)
		if flags&recReply != 0 {
			b = append(b, byte(p.ReplyTo.Kind))
			b = appendString(b, p.ReplyTo.Name)
		}
		b = binary.AppendUvarint(b, uint64(len(p.User)))
		for _, kv := range p.User {
			b = appendString(b, kv.Key)
			b = appendString(b, kv.Value)
		}
	}
	b = append(b, m.Payload...)
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// forwardHeaders are the link's own fields of a forwarded message.
type forwardHeaders struct {
	seq          uint64 // acknowledge with it; 0 = not reliable
	sync, resent bool
}

// recordReader decodes the records of batches from one peer. It keeps the
// last destination and path: consecutive messages mostly share them, and
// reusing the strings saves an allocation each (both are read-only once
// decoded).
type recordReader struct {
	lastDest dest.Destination
	lastMQTT string // lastDest's MQTT topic name, for topics
	lastPath []string
	lastRaw  string // the path's encoded bytes
}

// next splits the first record off body. It returns errRecord for a body
// that does not hold a whole record.
func nextRecord(body []byte) (rec, rest []byte, err error) {
	if len(body) < 4 {
		return nil, nil, errRecord
	}
	n := binary.BigEndian.Uint32(body)
	if uint64(n) > uint64(len(body)-4) {
		return nil, nil, errRecord
	}
	return body[4 : 4+n], body[4+n:], nil
}

// decode builds a message from one record. The payload and the
// correlation data are copied: the batch body is not kept alive by the
// messages it carried. A record with an unusable destination returns an
// error wrapping errRecordDest with its forwardHeaders filled in, so the
// sender can be told; any other error means the record does not parse.
func (r *recordReader) decode(rec []byte) (*broker.Message, forwardHeaders, error) {
	var fh forwardHeaders
	d := decoder{b: rec}
	flags, qos, prio, kind := d.byte(), d.byte(), d.byte(), d.byte()
	fh.seq = d.uvarint()
	fh.sync, fh.resent = flags&recSync != 0, flags&recResent != 0
	timestamp, expiry := d.varint(), d.varint()
	name := d.bytes()
	id := d.bytes()
	path := r.path(&d)
	contentType := d.bytes()
	corr := d.bytes()
	var replyTo dest.Destination
	if flags&recReply != 0 {
		rk := d.byte()
		rn := d.bytes()
		if rk <= byte(dest.TempQueue) && len(rn) > 0 {
			replyTo = dest.Destination{Kind: dest.Kind(rk), Name: string(rn)}
		}
	}
	nUser := d.count(2)
	users := d.b
	for range 2 * nUser {
		d.bytes()
	}
	if d.bad {
		return nil, fh, errRecord
	}
	payload := d.b
	if kind > byte(dest.TempQueue) || len(name) == 0 {
		return nil, fh, fmt.Errorf("%w: kind %d, name %q", errRecordDest, kind, name)
	}

	// One allocation for the message, its payload and its id: the batch
	// body is reused for the next frame. Properties, which a device's
	// telemetry rarely has, take one more.
	m, buf := broker.NewMessage(len(payload), id)
	if n := copy(buf, payload); n > 0 {
		m.Payload = buf
	}
	m.Persistent, m.Retain = flags&recPersistent != 0, flags&recRetain != 0
	m.Timestamp, m.Expiry = timestamp, expiry
	m.BrokerPath = path
	if flags&recUTF8 != 0 || len(contentType) > 0 || len(corr) > 0 || replyTo.Name != "" || nUser > 0 {
		props := &broker.Props{PayloadUTF8: flags&recUTF8 != 0, ContentType: string(contentType), ReplyTo: replyTo}
		if len(corr) > 0 {
			props.CorrelationData = append([]byte(nil), corr...)
		}
		if nUser > 0 {
			d = decoder{b: users}
			props.User = make([]broker.KV, nUser)
			for i := range props.User {
				props.User[i] = broker.KV{Key: string(d.bytes()), Value: string(d.bytes())}
			}
		}
		m.Props = props
	}
	m.QoS, m.Priority = qos, prio
	if qos > 2 {
		m.QoS = 0
	}
	if prio > 9 {
		m.Priority = 4
	}
	if r.lastDest.Kind != dest.Kind(kind) || r.lastDest.Name != string(name) {
		r.lastDest = dest.Destination{Kind: dest.Kind(kind), Name: string(name)}
		r.lastMQTT = ""
		if r.lastDest.Kind == dest.Topic {
			r.lastMQTT = dest.ToMQTT(r.lastDest.Name)
		}
	}
	m.Dest = r.lastDest
	if r.lastMQTT != "" {
		m.SetMQTTTopic(r.lastMQTT)
	}
	return m, fh, nil
}

// path reads the broker path, reusing the previous record's when the bytes
// are the same.
func (r *recordReader) path(d *decoder) []string {
	start := d.b
	// The encoding is self-delimiting: bytes that begin with the last
	// path's encoding hold that path.
	if n := len(r.lastRaw); n > 0 && len(start) >= n && string(start[:n]) == r.lastRaw {
		d.b = start[n:]
		return r.lastPath
	}
	n := d.count(1)
	for range n {
		d.bytes()
	}
	if d.bad {
		return nil
	}
	raw := start[:len(start)-len(d.b)]
	p := make([]string, n)
	d2 := decoder{b: raw}
	d2.uvarint()
	for i := range p {
		p[i] = string(d2.bytes())
	}
	r.lastPath, r.lastRaw = p, string(raw)
	return p
}

// decoder reads a record's fields; past the end (or on a malformed varint)
// it sets bad and returns zero values.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if b := d.b; len(b) > 0 && b[0] < 0x80 {
		d.b = b[1:]
		return uint64(b[0])
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// varint reads a zig-zag varint, as binary.AppendVarint writes it.
func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// bytes reads a length-prefixed field. Lengths under 128, one byte on the
// wire, are read here: a record is a dozen such fields, and a call to
// uvarint for each cost the receiver a tenth of its CPU.
func (d *decoder) bytes() []byte {
	b := d.b
	if len(b) > 0 && b[0] < 0x80 && int(b[0]) < len(b) {
		n := 1 + int(b[0])
		d.b = b[n:]
		return b[1:n]
	}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad = true
		d.b = nil
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

// count reads a number of entries each at least min bytes long, refusing
// one the rest of the record cannot hold (so nothing is allocated for it).
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/min) {
		d.bad = true
		d.b = nil
		return 0
	}
	return int(n)
}
