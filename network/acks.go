package network

import (
	"strconv"
	"strings"
)

// Acknowledgements in batches (protocol 2). The receiver of reliable
// messages acknowledges each one, and one acknowledgement frame per message
// cost both ends as much as the message itself. The link's writer instead
// gathers the plain acknowledgements queued for one write into a single
// RECEIPT/ACK: its receipt-id/id is the first sequence number and
// hashi-acks lists the others as ascending runs ("7-19,21"). A refusal
// (hashi-denied) still travels alone.

// maxAckRun bounds one run of an acknowledgement list and maxAcks the
// numbers one frame may settle, so a hostile list cannot make the sender
// loop for long; a window is far smaller.
const (
	maxAckRun = 1 << 16
	maxAcks   = 1 << 20
)

// appendAckList appends seqs (after the first, which is the frame's id) as
// runs: "a-b" for consecutive numbers, "a" alone.
func appendAckList(b []byte, seqs []uint64) []byte {
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 && seqs[j+1] != 0 && seqs[j+1]-seqs[i] < maxAckRun {
			j++
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, seqs[i], 10)
		if j > i {
			b = append(b, '-')
			b = strconv.AppendUint(b, seqs[j], 10)
		}
		i = j + 1
	}
	return b
}

// parseAckList calls fn for every number listed, in order; malformed
// entries and runs over maxAckRun are skipped, and listing stops after
// maxAcks numbers.
func parseAckList(s string, fn func(uint64)) {
	n := 0
	for s != "" && n < maxAcks {
		var part string
		part, s, _ = strings.Cut(s, ",")
		lo, hi, isRun := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 64)
		if err != nil {
			continue
		}
		b := a
		if isRun {
			if b, err = strconv.ParseUint(hi, 10, 64); err != nil || b < a || b-a >= maxAckRun {
				continue
			}
		}
		for x := a; n < maxAcks; x++ {
			fn(x)
			n++
			if x == b {
				break
			}
		}
	}
}
