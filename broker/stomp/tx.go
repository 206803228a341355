package stomp

import (
	"github.com/go-stomp/stomp/v3/frame"

	"github.com/hashi-broker/hashi/broker"
)

// transaction buffers SENDs and ACK/NACKs until COMMIT.
type transaction struct {
	sends []*broker.Message
	acks  []txAck
}

type txAck struct {
	ref ackRef
	ack bool
}

func (c *conn) tx(id string) (*transaction, error) {
	t := c.txs[id]
	if t == nil {
		return nil, refusef("Invalid transaction id: %s", id)
	}
	return t, nil
}

func (c *conn) begin(f *frame.Frame) error {
	id := f.Header.Get(frame.Transaction)
	if id == "" {
		return refusef("BEGIN without a transaction header")
	}
	if c.txs[id] != nil {
		return refusef("Transaction %s is already started", id)
	}
	c.txs[id] = &transaction{}
	return nil
}

// commit applies the transaction's sends and acknowledgements in order.
func (c *conn) commit(f *frame.Frame) error {
	id := f.Header.Get(frame.Transaction)
	t, err := c.tx(id)
	if err != nil {
		return err
	}
	delete(c.txs, id)
	for _, a := range t.acks {
		c.settle(a.ref, a.ack)
	}
	return c.publish(t.sends)
}

func (c *conn) abort(f *frame.Frame) error {
	id := f.Header.Get(frame.Transaction)
	if _, err := c.tx(id); err != nil {
		return err
	}
	c.rollback(id)
	return nil
}

// rollback discards the sends; messages the transaction acknowledged are
// redelivered, as a JMS rollback does.
func (c *conn) rollback(id string) {
	t := c.txs[id]
	delete(c.txs, id)
	if t == nil {
		return
	}
	for _, a := range t.acks {
		if a.ref.sub.consumer.Outstanding(a.ref.tag) {
			c.settle(a.ref, false)
		}
	}
}
