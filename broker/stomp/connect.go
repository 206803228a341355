package stomp

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3/frame"

	wire "github.com/hashi-broker/hashi/broker/stomp/frame"
)

var sprintf = fmt.Sprintf

// connect handles CONNECT/STOMP: version negotiation, login, heart-beats. It
// writes CONNECTED or ERROR itself and reports success.
func (c *conn) connect(f *frame.Frame) bool {
	v, err := wire.ParseVersion(f.Header.Get(frame.AcceptVersion))
	if err != nil {
		c.log.Warn("refusing connection: no common STOMP version", "accept-version", f.Header.Get(frame.AcceptVersion))
		e := errorFrame(f, "Supported protocol versions are 1.0,1.1,1.2")
		e.Header.Add(frame.Version, "1.0,1.1,1.2")
		c.nc.Write(wire.Append(nil, e, "1.0"))
		return false
	}
	c.version = v
	c.r.Version = v

	login, hasLogin := f.Header.Contains(frame.Login)
	id, err := c.b.Authenticate(login, f.Header.Get(frame.Passcode), hasLogin && login != "")
	if err != nil {
		c.b.LoginFailed("stomp", login, f.Header.Get("client-id"), c.remote, err)
		c.log.Warn("refusing connection", "user", login, "reason", err.Error())
		c.writeError(f, err.Error())
		return false
	}
	c.ident = id
	c.clientID = f.Header.Get("client-id")
	if c.clientID == "" {
		c.clientID = "ID:" + c.b.Name() + "-" + itoa(c.id)
	}
	c.log = c.log.With("client", c.clientID)
	if id.User != "" {
		c.log = c.log.With("user", id.User)
	}

	// Heart-beats: cx,cy from the client (or transport.defaultHeartBeat).
	// We send every cy and expect the client every cx, with grace. The
	// default exists for STOMP 1.0 clients, which cannot negotiate
	// heart-beats (ActiveMQ's AMQ-3603), so it applies to every version.
	hb := f.Header.Get(frame.HeartBeat)
	if hb == "" && c.info != nil && c.info.Connector != nil {
		hb = c.info.Connector.DefaultHeartBeat
	}
	var sx, sy time.Duration
	if hb != "" {
		cx, cy, err := frame.ParseHeartBeat(hb)
		if err != nil {
			c.writeError(f, "Invalid heart-beat header: "+hb)
			return false
		}
		sx, sy = cy, cx
		c.hbOut = sx
		if cx > 0 {
			c.hbIn = time.Duration(float64(cx) * c.srv.opts.HeartBeatGrace)
		}
	}

	ok := frame.New(frame.CONNECTED,
		frame.Version, v,
		frame.Server, "Hashi/"+c.srv.opts.Version,
		frame.Session, c.clientID,
		frame.HeartBeat, fmt.Sprintf("%d,%d", sx.Milliseconds(), sy.Milliseconds()))
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(wire.Append(nil, ok, v)); err != nil {
		return false
	}
	c.nc.SetWriteDeadline(time.Time{})
	c.log.Info("client connected", "version", v, "heart-beat", strings.TrimSpace(hb))
	return true
}
