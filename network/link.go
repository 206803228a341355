package network

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
	"github.com/hashicorp/go-hclog"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/broker"
	"github.com/hashi-broker/hashi/broker/dest"
	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

// Link timing.
var (
	heartBeat    = 2 * time.Second // both ways; a silent peer is gone after 3 of them
	pingInterval = 2 * time.Second // round-trip probes
)

// link is one live connection of a bridge. The initiator writes client
// frames (SEND, ACK), the responder server frames (MESSAGE, RECEIPT); the
// engine above them is the same on both ends.
type link struct {
	br        *Bridge
	nc        net.Conn
	r         *wire.Reader
	out       *fq
	log       hclog.Logger
	initiator bool
	ident     authz.Identity // responder: the bridge user, for the peer's writes
	peer      peerInfo
	ready     bool // set under br.mu once the link carries messages

	dropPeer atomic.Bool // superseded by a duplex link the other way: forget the peer's state

	acks      []uint64          // onAck's scratch (reader goroutine)
	records   recordReader      // the reader goroutine's record decoder
	origin    *broker.Origin    // of the messages it receives (reader goroutine)
	batchAcks []outFrame        // onBatch's scratch
	batchRun  []*broker.Message // onBatch's scratch
	batchSeqs []uint64          // the sequence numbers of batchRun's messages
	waited    bool              // the reader waited for flow control: move the read deadline
	maxBatch  int               // the writer closes a batch frame past this body size
	pingSeq   atomic.Uint64
	pings     sync.Map // "p<n>" -> time sent
	done      chan struct{}
	closeOnce sync.Once
	reason    string
}

func newLink(br *Bridge, nc net.Conn, r *wire.Reader, initiator bool, peer peerInfo) *link {
	return &link{
		br: br, nc: nc, r: r, out: newFQ(&br.hot), initiator: initiator, peer: peer, maxBatch: batchLimit(peer.maxFrame),
		log: br.log.With("remote", peer.name, "addr", nc.RemoteAddr().String()), done: make(chan struct{}),
	}
}

// run carries the link until it breaks; it returns the reason.
func (l *link) run() error {
	br := l.br
	writerDone := make(chan struct{})
	go func() { l.writeLoop(); close(writerDone) }()
	go l.pingLoop()

	// A stale link (the peer reconnected before this end noticed the old
	// connection was dead) is stopped first, as ActiveMQ does for duplex
	// bridges: its watchers would otherwise run on and resend.
	// attachMu makes the takeover atomic: two connections of one bridge
	// starting together must not both find no link and both register (one
	// would run on, orphaned, with its watchers).
	br.attachMu.Lock()
	br.mu.Lock()
	old := br.link
	br.mu.Unlock()
	if old != nil {
		old.log.Warn("stopping the previous link of this bridge: the peer reconnected")
		old.close("superseded by a new connection from the peer")
		br.linkDown(old)
	}
	br.mu.Lock()
	if br.graceTmr != nil {
		br.graceTmr.Stop()
		br.graceTmr = nil
	}
	br.link = l
	br.remote = l.peer
	br.addr = l.nc.RemoteAddr().String()
	br.mu.Unlock()
	br.attachMu.Unlock()

	if br.duplex.Load() && br.m.loseDuplexRace(l) {
		l.dropPeer.Store(true)
		l.push(frame.New(frame.DISCONNECT)) // the peer ends its side now, not at the socket close
		l.close("two duplex links between the same brokers; keeping the one the broker with the smaller id initiated")
	} else {
		br.setState(Up, "")
		l.start()
	}

	err := l.readLoop()
	select {
	case <-l.done:
		// Closed from this end (shutdown, superseded, write failure): the
		// read error is only the deadline that woke the reader.
		err = errors.New(l.reason)
	default:
		l.close(errString(err))
	}
	<-writerDone
	l.nc.Close()
	if !br.linkDown(l) {
		return errSuperseded
	}
	if l.dropPeer.Load() {
		br.dropPeerState("")
	}
	return err
}

// start announces demand, replicates retained values and resends what was
// in flight or waiting, then lets new traffic through.
func (l *link) start() {
	br := l.br
	if br.announces() {
		l.startAnnouncing()
	}
	if br.forwards() {
		l.startRetained()
		br.staticDemand()
	}
	br.mu.Lock()
	l.ready = true
	expired := br.pump()
	br.mu.Unlock()
	settleExpired(expired)
}

// install records a watcher's stop function for l, or stops the watcher at
// once when l is no longer the bridge's link (a newer one took over while l
// was starting; linkDown only stops what is recorded).
func (br *Bridge) install(l *link, slot *func(), stop func()) bool {
	br.mu.Lock()
	if br.link != l {
		br.mu.Unlock()
		stop()
		return false
	}
	*slot = stop
	br.mu.Unlock()
	return true
}

// errSuperseded ends a link that a newer one of the same bridge replaced.
var errSuperseded = errors.New("superseded by a new connection")

func errString(err error) string {
	switch {
	case err == nil:
		return "closed"
	case errors.Is(err, io.EOF):
		return "connection closed by peer"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "no heart-beat from peer"
	}
	return err.Error()
}

func (l *link) close(reason string) {
	l.closeOnce.Do(func() {
		l.reason = reason
		close(l.done)
		l.out.close()
		// Wake the reader; give the writer two seconds to send what is
		// queued (a DISCONNECT); run closes the socket after both.
		l.nc.SetReadDeadline(time.Now())
		l.nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
	})
}

func (l *link) readLoop() error {
	// Nothing keeps a frame's body past handling it (records are copied
	// out), so bodies share one buffer.
	// A STOMP connection handed over may have set a lower limit.
	l.r.ReuseBody, l.r.ReuseBodyMax, l.r.ReuseFrame = true, 0, false
	var deadlineAt time.Time
	for {
		// The peer sends a heart-beat every heartBeat: nothing for three is
		// a dead link. The deadline moves when the buffer is empty, at most
		// every quarter heart-beat (a timer update per frame was 5% of a
		// busy receiver), so it fires after 3 to 3.25 heart-beats. After
		// waiting for a local subscriber (flow control) it moves at once:
		// the peer had no chance to be heard meanwhile.
		if l.r.Buffered() == 0 || l.waited {
			if l.waited {
				l.waited, deadlineAt = false, time.Time{}
			}
			if now := time.Now(); now.Sub(deadlineAt) > heartBeat/4 {
				l.nc.SetReadDeadline(now.Add(3*heartBeat + heartBeat/4))
				deadlineAt = now
			}
		}
		f, err := l.r.Read()
		if err != nil {
			return err
		}
		if f == nil {
			continue
		}
		if err := l.handle(f); err != nil {
			return err
		}
	}
}

// handle dispatches one frame from the peer.
func (l *link) handle(f *frame.Frame) error {
	switch f.Command {
	case frame.SEND, frame.MESSAGE:
		switch f.Header.Get(frame.Destination) {
		case demandDest:
			return l.onDemand(f)
		case pingDest:
			l.onPing(f)
			return nil
		case topologyDest:
			l.onTopology(f)
			return nil
		case batchDest:
			return l.onBatch(f.Body)
		}
		return errors.New("unexpected message to " + f.Header.Get(frame.Destination) + " on a bridge")
	case frame.RECEIPT:
		l.onAck(f.Header.Get(frame.ReceiptId), f.Header.Get(hAcks), f.Header.Get(hDenied))
		return nil
	case frame.ACK, frame.NACK:
		l.onAck(f.Header.Get(frame.Id), f.Header.Get(hAcks), f.Header.Get(hDenied))
		return nil
	case frame.DISCONNECT:
		return io.EOF
	case frame.ERROR:
		return errors.New("peer sent ERROR: " + f.Header.Get(frame.Message))
	case frame.SUBSCRIBE, frame.UNSUBSCRIBE:
		return nil // the initiator's control subscription
	}
	return errors.New("unexpected " + f.Command + " on a bridge")
}

// onAck settles reliable forwards (id and the list in more) or a ping.
func (l *link) onAck(id, more, denied string) {
	if strings.HasPrefix(id, "p") {
		if t, ok := l.pings.LoadAndDelete(id); ok {
			rtt := time.Since(t.(time.Time))
			l.br.mu.Lock()
			l.br.rtt = rtt
			l.br.mu.Unlock()
		}
		return
	}
	seqs := l.acks[:0]
	if seq, err := strconv.ParseUint(id, 10, 64); err == nil {
		seqs = append(seqs, seq)
	}
	parseAckList(more, func(seq uint64) { seqs = append(seqs, seq) })
	l.br.acked(seqs, denied)
	if cap(seqs) <= 4096 {
		l.acks = seqs[:0]
	}
}

// onBatch publishes the messages of a batch frame locally, in order, and
// queues the plain acknowledgements for the whole batch at once.
// Consecutive messages to one topic, most of a stream, are published as a
// run (broker.PublishRun).
func (l *link) onBatch(body []byte) error {
	acks := l.batchAcks[:0]
	run, seqs := l.batchRun[:0], l.batchSeqs[:0]
	flush := func() {
		l.publishRun(run, seqs, &acks)
		clear(run)
		run, seqs = run[:0], seqs[:0]
	}
	defer func() {
		clear(run)
		l.batchRun, l.batchSeqs = run[:0], seqs[:0]
	}()
	for len(body) > 0 {
		rec, rest, err := nextRecord(body)
		if err != nil {
			return err
		}
		body = rest
		m, fh, err := l.records.decode(rec)
		switch {
		case errors.Is(err, errRecordDest):
			l.log.Warn("dropping a forwarded message", "error", err)
			l.ack(fh.seq, err.Error())
			continue
		case err != nil:
			return err
		}
		if !fh.sync && m.Dest.Kind == dest.Topic {
			if !l.admit(m, fh, &acks) {
				continue
			}
			if len(run) > 0 && run[0].Dest != m.Dest {
				flush()
			}
			run, seqs = append(run, m), append(seqs, fh.seq)
			continue
		}
		flush() // before this message, in order
		l.onMessage(m, fh, &acks)
	}
	flush()
	l.out.pushAll(acks)
	l.batchAcks = acks[:0]
	return nil
}

// publishRun publishes admitted messages to one topic, seqs[i] being the
// sequence number of run[i] (0 for one sent without acknowledgement), and
// acknowledges the reliable ones, as onMessage does message by message.
// When a local subscriber is draining but behind (flow.go), the reliable
// messages just published are acknowledged once it caught up, which slows
// the peer through its window, and if unacknowledged ones were among them
// the link reads no more from the peer until then.
func (l *link) publishRun(run []*broker.Message, seqs []uint64, acks *[]outFrame) {
	for len(run) > 0 {
		n, waits := l.br.b.PublishRun(run)
		if len(waits) == 0 {
			for i, seq := range seqs[:n] {
				if seq != 0 {
					l.record(seq, run[i])
					*acks = appendAck(*acks, seq)
				}
			}
		} else {
			l.ackDrained(run[:n], seqs[:n], waits)
			if slices.Contains(seqs[:n], 0) {
				broker.WaitFlow(waits, qos0Wait, l.done)
				l.waited = true
			}
		}
		run, seqs = run[n:], seqs[n:]
	}
}

// ackDrained acknowledges the reliable messages of run once the congested
// receivers drained, or after 5 s at most: they were delivered here, and a
// peer holding them unacknowledged would resend them after a reconnect.
func (l *link) ackDrained(run []*broker.Message, seqs []uint64, waits []<-chan struct{}) {
	var ms []*broker.Message
	var ss []uint64
	for i, seq := range seqs {
		if seq != 0 {
			ms, ss = append(ms, run[i]), append(ss, seq)
		}
	}
	if len(ss) == 0 {
		return
	}
	go func() {
		broker.WaitFlow(waits, 5*time.Second, l.done)
		for i, seq := range ss {
			l.record(seq, ms[i])
			l.ack(seq, "")
		}
	}()
}

// admit makes the checks every forwarded message passes and stamps its
// origin; it reports false for one it dropped or acknowledged already.
func (l *link) admit(m *broker.Message, fh forwardHeaders, acks *[]outFrame) bool {
	br := l.br
	seq := fh.seq
	br.in.Add(1)
	// Only a message delivered here counts as seen: one refused (full
	// queue, authorization) must be accepted when the peer sends it again.
	if seq != 0 {
		if !fh.resent {
			br.dedupe.resendsOver()
		} else if br.dedupe.has(keyOf(m)) {
			*acks = appendAck(*acks, seq) // a resend after a broken link: delivered already
			return false
		}
	}
	if contains(m.BrokerPath, br.b.ID()) {
		*acks = appendAck(*acks, seq) // would loop back here
		return false
	}
	if !l.initiator && br.b.AuthzEnabled() && !br.b.Allowed(l.ident, authz.Write, m.Dest) {
		br.b.Denied("bridge", l.ident, br.key, authz.Write, m.Dest)
		l.ack(seq, authz.Denial(l.ident, authz.Write, m.Dest).Error())
		return false
	}
	if l.origin == nil {
		l.origin = &broker.Origin{Bridge: br.key, ClientID: br.key, User: l.ident.User}
	}
	m.Origin = l.origin
	return true
}

// onMessage publishes a forwarded message locally and acknowledges it: a
// plain acknowledgement given at once is appended to acks, one given later
// or a refusal is queued by itself.
func (l *link) onMessage(m *broker.Message, fh forwardHeaders, acks *[]outFrame) {
	if !l.admit(m, fh, acks) {
		return
	}
	br := l.br
	seq := fh.seq
	if fh.sync {
		br.b.StoreRetained(m)
		l.record(seq, m)
		*acks = appendAck(*acks, seq)
		return
	}
	if !m.Dest.Kind.IsQueue() {
		_, waits := br.b.PublishFlow(m)
		if len(waits) > 0 && seq == 0 {
			// A local subscriber is draining but behind: read no more
			// from the peer until it caught up (flow.go).
			broker.WaitFlow(waits, qos0Wait, l.done)
			l.waited = true
		}
		if len(waits) > 0 && seq != 0 {
			// A congested receiver here: acknowledge once it drained, so
			// the peer's window slows the far publisher; keep reading.
			l.ackDrained([]*broker.Message{m}, []uint64{seq}, waits)
			return
		}
		l.record(seq, m)
		*acks = appendAck(*acks, seq)
		return
	}
	if err := br.b.SendWithin(m, 30*time.Second); err != nil {
		l.log.Warn("cannot accept forwarded message", "destination", m.Dest.String(), "error", err)
		l.ack(seq, err.Error())
		return
	}
	l.record(seq, m)
	*acks = appendAck(*acks, seq)
}

// appendAck adds a plain acknowledgement of seq, if it has one.
func appendAck(acks []outFrame, seq uint64) []outFrame {
	if seq == 0 {
		return acks
	}
	return append(acks, outFrame{ack: seq})
}

// record remembers a reliable message as delivered here, for the duplicate
// check of resends.
func (l *link) record(seq uint64, m *broker.Message) {
	if seq != 0 {
		l.br.dedupe.add(keyOf(m))
	}
}

// ack acknowledges a reliable message from the peer: RECEIPT from the
// responder, ACK from the initiator. Plain acknowledgements are batched by
// the writer (acks.go); a refusal travels in a frame of its own.
func (l *link) ack(seq uint64, denied string) {
	if seq == 0 {
		return
	}
	if denied == "" {
		l.out.push(outFrame{ack: seq})
		return
	}
	var f *frame.Frame
	if l.initiator {
		f = frame.New(frame.ACK, frame.Id, strconv.FormatUint(seq, 10))
	} else {
		f = frame.New(frame.RECEIPT, frame.ReceiptId, strconv.FormatUint(seq, 10))
	}
	f.Header.Add(hDenied, denied)
	l.push(f)
}

// onDemand applies a demand announcement from the peer.
func (l *link) onDemand(f *frame.Frame) error {
	br := l.br
	switch f.Header.Get(hOp) {
	case "sync":
		br.syncBegin()
	case "synced":
		br.syncEnd()
	case "add", "remove":
		d, err := dest.Parse(f.Header.Get(hDest), dest.Topic)
		if err != nil {
			l.log.Warn("bad demand announcement", "dest", f.Header.Get(hDest))
			return nil
		}
		if f.Header.Get(hOp) == "add" {
			br.demandAdd(f.Header.Get(hDID), d, splitPath(f.Header.Get(hPath)))
		} else {
			br.demandRemove(f.Header.Get(hDID), d)
		}
	}
	return nil
}

// onPing answers the peer's round-trip probe.
func (l *link) onPing(f *frame.Frame) {
	if l.initiator {
		l.push(frame.New(frame.ACK, frame.Id, f.Header.Get(hSeq)))
	} else {
		l.push(frame.New(frame.RECEIPT, frame.ReceiptId, f.Header.Get(frame.Receipt)))
	}
}

func (l *link) pingLoop() {
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		id := "p" + strconv.FormatUint(l.pingSeq.Add(1), 10)
		l.pings.Store(id, time.Now())
		l.push(l.frameTo(pingDest, id))
		l.push(l.topologyFrame())
		select {
		case <-l.done:
			return
		case <-t.C:
		}
		// forget unanswered probes
		l.pings.Range(func(k, v any) bool {
			if time.Since(v.(time.Time)) > 10*pingInterval {
				l.pings.Delete(k)
			}
			return true
		})
	}
}

// frameTo builds a SEND (initiator) or MESSAGE (responder) to a control
// destination; ackID is the receipt / ack id the peer should answer with.
func (l *link) frameTo(destination, ackID string) *frame.Frame {
	if l.initiator {
		f := frame.New(frame.SEND, frame.Destination, destination)
		if ackID != "" {
			f.Header.Add(frame.Receipt, ackID)
		}
		return f
	}
	f := frame.New(frame.MESSAGE, frame.Destination, destination, frame.Subscription, controlSub,
		frame.MessageId, "c")
	if ackID != "" {
		f.Header.Add(frame.Ack, ackID)
		f.Header.Add(hSeq, ackID)
	}
	return f
}

func (l *link) push(f *frame.Frame) {
	l.out.push(outFrame{raw: wire.Append(nil, f, "1.2")})
}

// appendRecord appends the record of a forwarded message to a batch body.
func (l *link) appendRecord(body []byte, fw *forward, resent bool) []byte {
	var flags byte
	if fw.sync {
		flags |= recSync
	}
	if resent {
		flags |= recResent
	}
	id := l.br.b.ID()
	return appendRecord(body, fw.m, fw.seq, flags, id, id)
}

// appendBatch appends the frame carrying a batch body: SEND from the
// initiator, MESSAGE on the control subscription from the responder.
func (l *link) appendBatch(buf, body []byte) []byte {
	var b wire.Builder
	if l.initiator {
		b = wire.Start(buf, frame.SEND, "1.2").Header(frame.Destination, batchDest)
	} else {
		b = wire.Start(buf, frame.MESSAGE, "1.2").Header(frame.Destination, batchDest).
			Header(frame.Subscription, controlSub).Header(frame.MessageId, "b")
	}
	return b.End(body, true)
}

// batchLimit is the batch body size for a peer that reads frames of at
// most maxFrame bytes (0: no limit), leaving room for the frame's headers.
func batchLimit(maxFrame int) int {
	if maxFrame > 0 && maxFrame/2 < maxBatch {
		return max(maxFrame/2, 1)
	}
	return maxBatch
}

// writeLoop writes what is queued, one write per batch taken: control
// frames as they are, forwarded messages gathered into batch frames (a
// control frame between them closes the batch, so the order holds), and
// the plain acknowledgements in one frame at the end.
func (l *link) writeLoop() {
	var (
		batch []outFrame
		acks  []uint64
		list  []byte
		body  []byte
	)
	buf := make([]byte, 0, 64*1024)
	for {
		items, ok := l.out.take(batch, heartBeat)
		if !ok {
			return
		}
		if items == nil {
			buf = wire.AppendHeartBeat(buf[:0])
		}
		acks = acks[:0]
		flush := func() {
			if len(body) > 0 {
				buf = l.appendBatch(buf, body)
				body = body[:0]
			}
		}
		for _, it := range items {
			switch {
			case it.ack != 0:
				acks = append(acks, it.ack)
				continue
			case it.raw != nil:
				flush()
				buf = append(buf, it.raw...)
			default:
				if it.msg != nil {
					id := l.br.b.ID()
					body = appendRecord(body, it.msg, 0, 0, id, id)
				} else {
					body = l.appendRecord(body, it.fwd, it.resent)
				}
				if len(body) >= l.maxBatch {
					flush()
				}
			}
			if len(buf) >= 64*1024 {
				if !l.write(buf) {
					return
				}
				buf = buf[:0]
			}
		}
		flush()
		if cap(body) > 4*maxBatch {
			body = nil // a huge message passed: do not keep its buffer
		}
		if len(acks) > 0 {
			buf, list = l.appendAcks(buf, acks, list)
		}
		if len(buf) > 0 && !l.write(buf) {
			return
		}
		buf = buf[:0]
		clear(items)
		batch = items[:0]
	}
}

// appendAcks appends one frame acknowledging seqs: RECEIPT from the
// responder, ACK from the initiator, the first number as its id and the
// others in hashi-acks.
func (l *link) appendAcks(buf []byte, seqs []uint64, list []byte) ([]byte, []byte) {
	var b wire.Builder
	if l.initiator {
		b = wire.Start(buf, frame.ACK, "1.2").HeaderUint(frame.Id, seqs[0])
	} else {
		b = wire.Start(buf, frame.RECEIPT, "1.2").HeaderUint(frame.ReceiptId, seqs[0])
	}
	if len(seqs) > 1 {
		list = appendAckList(list[:0], seqs[1:])
		b = b.Header(hAcks, string(list))
	}
	return b.End(nil, false), list
}

func (l *link) write(b []byte) bool {
	l.nc.SetWriteDeadline(time.Now().Add(3 * heartBeat))
	if _, err := l.nc.Write(b); err != nil {
		l.close("write failed: " + err.Error())
		l.nc.Close()
		return false
	}
	return true
}

// startAnnouncing tells the peer about local consumers: the full list now,
// then every change.
func (l *link) startAnnouncing() {
	br := l.br
	// The watcher's events describe changes after the snapshot, and its
	// goroutine may run at once: it waits until the snapshot is queued, or
	// an event would reach the peer before the sync that wipes it (an add
	// lost) or before the snapshot's add it undoes (a remove lost).
	snapshotSent := make(chan struct{})
	snapshot, stop := br.b.WatchDemand(func(ev broker.DemandEvent) {
		<-snapshotSent
		if br.announceable(ev.Demand, l.peer.id) {
			l.announce(ev.Add, ev.Demand)
		}
	})
	if !br.install(l, &br.watchStop, stop) {
		close(snapshotSent)
		return
	}
	// The sync markers frame the snapshot so the peer drops demand that
	// vanished during an outage.
	l.push(l.demandFrame("sync"))
	for _, d := range snapshot {
		if br.announceable(d, l.peer.id) {
			l.announce(true, d)
		}
	}
	l.push(l.demandFrame("synced"))
	close(snapshotSent)
}

func (l *link) demandFrame(op string) *frame.Frame {
	f := l.frameTo(demandDest, "")
	f.Header.Add(hOp, op)
	return f
}

func (l *link) announce(add bool, d broker.Demand) {
	op := "remove"
	if add {
		op = "add"
	}
	f := l.demandFrame(op)
	f.Header.Add(hDest, d.Dest.String())
	f.Header.Add(hDID, strconv.FormatUint(d.ID, 10))
	f.Header.Add(hPath, joinPath(d.BrokerPath))
	l.push(f)
}

// startRetained keeps retained values network-wide: the current ones go to
// the peer now (stored there, not delivered), later retained publishes as
// they happen, whatever the peer's demand.
func (l *link) startRetained() {
	br := l.br
	stop := br.b.WatchRetained(func(m *broker.Message) {
		if r, _ := br.current(); r.permitted(m.Dest) && r.forwardable(m, l.peer.id) {
			br.enqueue(&forward{m: m})
		}
	})
	if !br.install(l, &br.retStop, stop) {
		return
	}
	r, _ := br.current()
	for _, m := range br.b.AllRetained() {
		if r.permitted(m.Dest) && r.forwardable(m, l.peer.id) {
			br.enqueue(&forward{m: m, sync: true})
		}
	}
}
