package bench

import (
	"net"
	"sync"
	"time"
)

// delayPipe copies both ways, holding every chunk for d: what is read at t
// is written at t+d, in order, without limiting throughput.
func delayPipe(a, b net.Conn, d time.Duration) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		delayHalf(b, a, d)
	}()
	delayHalf(a, b, d)
	wg.Wait()
}

type chunk struct {
	at   time.Time
	data []byte
}

func delayHalf(dst, src net.Conn, d time.Duration) {
	ch := make(chan chunk, 1024)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 32*1024)
			n, err := src.Read(buf)
			if n > 0 {
				ch <- chunk{time.Now().Add(d), buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		if w := time.Until(c.at); w > 0 {
			time.Sleep(w)
		}
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	for range ch { // drain so the reader ends
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		dst.Close()
	}
	src.Close()
}
