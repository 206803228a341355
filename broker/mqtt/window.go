package mqtt

// window holds a session's in-flight QoS 1/2 deliveries by packet id.
//
// Packet ids are handed out in turn, so the ids in flight form a sliding
// range, and a table of 2^k slots indexed by the id modulo 2^k holds them
// with neither hashing nor an allocation per delivery (a map of pointers
// cost both on every QoS 1 message). The table starts small, made on the
// first delivery, and doubles when the next id's slot is still taken by an
// older delivery the client has not acknowledged, up to 65,536 slots, where
// every id has a slot of its own. Like a map, it does not shrink.
type window struct {
	slots []inflight // slot i holds the id ≡ i (mod len); pid 0 marks a free slot
	n     int        // deliveries in flight
	last  uint16     // the id handed out last
}

// windowMin is the number of slots a window starts with.
const windowMin = 8

// inflight is a QoS 1/2 delivery sent to the client and not yet acknowledged.
type inflight struct {
	delivery
	pid    uint16
	pubrec bool // QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP
	order  uint64
}

func (w *window) slot(pid uint16) *inflight { return &w.slots[int(pid)&(len(w.slots)-1)] }

// get returns the delivery in flight with id pid, or nil. The pointer is
// valid until the next add.
func (w *window) get(pid uint16) *inflight {
	if w.n == 0 || pid == 0 {
		return nil
	}
	if f := w.slot(pid); f.pid == pid {
		return f
	}
	return nil
}

// add puts d in flight under the next packet id not in use [MQTT-2.2.1-3]
// and returns it; the pointer is valid until the next add. The caller
// keeps fewer than 65,535 deliveries in flight (the receive maximum), so an
// id is always free.
func (w *window) add(d delivery, order uint64) *inflight {
	if w.slots == nil {
		w.slots = make([]inflight, windowMin)
	}
	pid := w.last
	for {
		if pid++; pid == 0 {
			pid = 1
		}
		f := w.slot(pid)
		for f.pid != 0 && f.pid != pid {
			// An older delivery holds the slot: make room.
			w.grow()
			f = w.slot(pid)
		}
		if f.pid == pid {
			continue // still in flight since the ids last wrapped around
		}
		*f = inflight{delivery: d, pid: pid, order: order}
		w.n++
		w.last = pid
		return f
	}
}

// grow doubles the table, moving every delivery to its slot in the new one.
func (w *window) grow() {
	old := w.slots
	w.slots = make([]inflight, 2*len(old))
	for i := range old {
		if old[i].pid != 0 {
			*w.slot(old[i].pid) = old[i]
		}
	}
}

// remove takes f, which get or add returned, out of flight.
func (w *window) remove(f *inflight) {
	*f = inflight{} // drops the message for the collector
	w.n--
}

// each calls fn for every delivery in flight, in no particular order.
func (w *window) each(fn func(*inflight)) {
	for i := range w.slots {
		if w.slots[i].pid != 0 {
			fn(&w.slots[i])
		}
	}
}

// reset empties the window and frees its table.
func (w *window) reset() { *w = window{last: w.last} }
