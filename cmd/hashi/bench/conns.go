package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// connectWorkers is how many connections are being opened at once.
const connectWorkers = 32

// idleConn is one held connection of the conns scenario: no buffers, one
// small reader goroutine that only notices PINGRESPs and a close.
type idleConn struct {
	c   net.Conn
	tcp *net.TCPConn
}

func runConns(ctx context.Context, cfg *Config, d *dialer, res *Result) error {
	ep, err := ParseURL(cfg.URL)
	if err != nil {
		return err
	}
	if ep.Proto != "mqtt" {
		return fmt.Errorf("%w: the conns scenario speaks MQTT", ErrConfig)
	}
	before, err := readRSS(cfg.PID)
	if err != nil {
		return err
	}
	var (
		conns            = make([]*idleConn, cfg.Conns)
		opened, failed   atomic.Int64
		dropped          atomic.Int64
		closing          atomic.Bool
		readers, dialers sync.WaitGroup
		errMu            sync.Mutex
		errs             []string
		next             atomic.Int64
		suffix           = randomID()
	)
	prog := startProgress(cfg.Progress, "conns", func() (int64, int64, int64) { return opened.Load(), 0, 0 })
	cpuBefore, cpuOK := readCPU(cfg.PID)
	begin := time.Now()
	for w := 0; w < connectWorkers; w++ {
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.Conns || ctx.Err() != nil {
					return
				}
				ic, err := dialIdle(ctx, d, ep, cfg, fmt.Sprintf("hb-c-%s-%d", suffix, i))
				if err != nil {
					failed.Add(1)
					errMu.Lock()
					if len(errs) < 5 {
						errs = append(errs, err.Error())
					}
					errMu.Unlock()
					continue
				}
				conns[i] = ic
				opened.Add(1)
				readers.Add(1)
				go func() {
					defer readers.Done()
					buf := make([]byte, 64)
					for {
						if _, err := ic.c.Read(buf); err != nil {
							if !closing.Load() {
								dropped.Add(1)
							}
							return
						}
					}
				}()
			}
		}()
	}
	dialers.Wait()
	connectTime := time.Since(begin)
	cpuAfter, cpuAfterOK := readCPU(cfg.PID)
	prog.stop()

	after := settleRSS(ctx, cfg.PID)
	// Hold the connections, pinging at half the keep-alive.
	hold := time.NewTimer(cfg.Duration)
	ping := time.NewTicker(cfg.KeepAlive / 2)
	pingreq := []byte{byte(packet.TypePingreq) << 4, 0}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-hold.C:
			break loop
		case <-ping.C:
			for _, ic := range conns {
				if ic != nil {
					_ = ic.c.SetWriteDeadline(time.Now().Add(time.Second))
					_, _ = ic.c.Write(pingreq)
				}
			}
		}
	}
	hold.Stop()
	ping.Stop()
	end, _ := readRSS(cfg.PID)
	closing.Store(true)
	for _, ic := range conns {
		if ic != nil {
			if ic.tcp != nil {
				_ = ic.tcp.SetLinger(0) // no TIME_WAIT: repeated runs need the ports
			}
			ic.c.Close()
		}
	}
	readers.Wait()

	n := opened.Load()
	res.Conns = int(n)
	res.ConnectFailed = int(failed.Load())
	res.Dropped = int(dropped.Load())
	res.Errors = errs
	res.DurationSec = round(time.Since(begin).Seconds(), 3)
	if connectTime > 0 {
		res.ConnectPerSec = round(float64(n)/connectTime.Seconds(), 1)
	}
	if cfg.PID > 0 {
		res.RSSBeforeKiB, res.RSSAfterKiB, res.RSSEndKiB = before, after, end
		if n > 0 {
			res.RSSPerConnKiB = round(float64(after-before)/float64(n), 2)
		}
		if n > 0 && cpuOK && cpuAfterOK {
			res.CPUPerConnUs = round(float64((cpuAfter-cpuBefore).Microseconds())/float64(n), 1)
		}
	}
	return nil
}

// dialIdle opens one MQTT connection and waits for its CONNACK.
func dialIdle(ctx context.Context, d *dialer, ep Endpoint, cfg *Config, id string) (*idleConn, error) {
	c, err := d.dial(ctx, ep)
	if err != nil {
		return nil, err
	}
	ic := &idleConn{c: c}
	if tc, ok := c.(*net.TCPConn); ok {
		ic.tcp = tc
	} else if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		ic.tcp, _ = nc.NetConn().(*net.TCPConn)
	}
	cp := &packet.Connect{ClientID: id, CleanStart: true, KeepAlive: uint16(cfg.KeepAlive / time.Second)}
	if cfg.Username != "" {
		cp.UsernameFlag, cp.Username = true, cfg.Username
		if cfg.Password != "" {
			cp.PasswordFlag, cp.Password = true, []byte(cfg.Password)
		}
	}
	buf, err := packet.Append(nil, cp, cfg.MQTTVersion)
	if err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(buf); err != nil {
		c.Close()
		return nil, fmt.Errorf("MQTT connect: %w", err)
	}
	// A CONNACK is at most a few hundred bytes; read it exactly so that no
	// buffer outlives the handshake.
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:2]); err != nil {
		c.Close()
		return nil, fmt.Errorf("MQTT connect: %w", err)
	}
	n, i := 0, 1
	for ; ; i++ {
		n |= int(hdr[i]&0x7F) << (7 * (i - 1))
		if hdr[i] < 0x80 || i == 4 {
			break
		}
		if _, err := io.ReadFull(c, hdr[i+1:i+2]); err != nil {
			c.Close()
			return nil, fmt.Errorf("MQTT connect: %w", err)
		}
	}
	frame := make([]byte, i+1+n)
	copy(frame, hdr[:i+1])
	if _, err := io.ReadFull(c, frame[i+1:]); err != nil {
		c.Close()
		return nil, fmt.Errorf("MQTT connect: %w", err)
	}
	p, _, err := packet.Decode(frame, cfg.MQTTVersion)
	if err == nil {
		if ack, ok := p.(*packet.Connack); !ok {
			err = fmt.Errorf("%w: expected CONNACK, got %v", ErrProtocol, p.Type())
		} else if ack.ReasonCode != packet.Success {
			err = fmt.Errorf("connection refused: %v", ack.ReasonCode)
		}
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("MQTT connect: %w", err)
	}
	_ = c.SetDeadline(time.Time{})
	return ic, nil
}

// readRSS returns the resident set size of process pid in KiB from
// /proc/PID/status (0 when pid is 0).
func readRSS(pid int) (int64, error) {
	if pid <= 0 {
		return 0, nil
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("%w: broker RSS: %v", ErrConfig, err)
	}
	defer f.Close()
	return parseVmRSS(f)
}

// parseVmRSS reads the VmRSS line of a /proc/PID/status file, in KiB.
func parseVmRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			v = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))
			return strconv.ParseInt(string(v), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("bench: no VmRSS line (a kernel thread?)")
}

// readCPU returns the CPU time (user and system) process pid has used, from
// /proc/PID/stat; false when pid is 0 or the file cannot be read. The kernel
// counts it in clock ticks of 10 ms (USER_HZ is 100 on Linux), so a run
// must keep the broker busy for a second or more to be measured to 1 %.
func readCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	ticks, err := parseStatCPU(string(b))
	if err != nil {
		return 0, false
	}
	return time.Duration(ticks) * 10 * time.Millisecond, true
}

// parseStatCPU returns utime + stime (fields 14 and 15) of a /proc/PID/stat
// line, in clock ticks. The command name (field 2) is in parentheses and
// may hold spaces and parentheses itself: fields are counted after the
// last ')'.
func parseStatCPU(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("bench: no command name in /proc/PID/stat")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("bench: short /proc/PID/stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("bench: /proc/PID/stat: %w", err)
	}
	return utime + stime, nil
}

// settleRSS samples the broker's RSS until two samples 250 ms apart differ
// by less than 1% (at most 5 s), as brokers finish allocating for new
// connections after the CONNACK.
func settleRSS(ctx context.Context, pid int) int64 {
	if pid <= 0 {
		return 0
	}
	prev, _ := readRSS(pid)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(250 * time.Millisecond)
		cur, err := readRSS(pid)
		if err != nil {
			return prev
		}
		if d := cur - prev; d*100 < cur && -d*100 < cur {
			return cur
		}
		prev = cur
	}
	return prev
}
