package bench

import (
	"math"
	"time"
)

// Result is one run's outcome, printed as one JSON line.
type Result struct {
	Scenario    Scenario `json:"scenario"`
	URL         string   `json:"url"`
	SubURL      string   `json:"sub_url,omitempty"`
	Protocol    string   `json:"protocol"`
	MQTTVersion string   `json:"mqtt_version,omitempty"`
	QoS         byte     `json:"qos"`
	Size        int      `json:"size"`
	Publishers  int      `json:"publishers,omitempty"`
	Subscribers int      `json:"subscribers,omitempty"`
	Rate        float64  `json:"rate,omitempty"` // requested msgs/s

	Sent  int64 `json:"sent"`
	Acked int64 `json:"acked,omitempty"` // QoS 1/2 acknowledgements or receipts
	Counts
	PerSubscriber []Counts `json:"per_subscriber,omitempty"`

	MsgsPerSec     float64 `json:"msgs_per_sec"` // received / (last arrival − first send)
	MBPerSec       float64 `json:"mb_per_sec"`   // payload bytes received, 10^6 B/s
	SendMsgsPerSec float64 `json:"send_msgs_per_sec,omitempty"`

	P50us float64 `json:"p50_us,omitempty"`
	P90us float64 `json:"p90_us,omitempty"`
	P99us float64 `json:"p99_us,omitempty"`
	MaxUs float64 `json:"max_us,omitempty"`

	DurationSec float64 `json:"duration_s"` // first send to last arrival (conns: the whole run)

	// conns
	Conns         int               `json:"conns,omitempty"`
	ConnectFailed int               `json:"connect_failed,omitempty"`
	Dropped       int               `json:"dropped,omitempty"` // connections the broker closed while held
	ConnectPerSec float64           `json:"connect_per_sec,omitempty"`
	RSSBeforeKiB  int64             `json:"rss_before_kib,omitempty"`
	RSSAfterKiB   int64             `json:"rss_after_kib,omitempty"`
	RSSEndKiB     int64             `json:"rss_end_kib,omitempty"`
	RSSPerConnKiB float64           `json:"rss_per_conn_kib,omitempty"`
	CPUPerConnUs  float64           `json:"cpu_per_conn_us,omitempty"` // the broker's CPU time while connecting, per connection
	RelayThrough  bool              `json:"through_relay,omitempty"`
	Errors        []string          `json:"errors,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	StartedAt     time.Time         `json:"started_at"`
}

// LostPct is the lost share of expected deliveries, in percent.
func (r *Result) LostPct() float64 {
	if r.Expected == 0 {
		return 0
	}
	return 100 * float64(r.Lost) / float64(r.Expected)
}

// Metric returns a numeric field by its JSON name (msgs_per_sec, mb_per_sec,
// p50_us, p90_us, p99_us, max_us, rss_per_conn_kib, connect_per_sec,
// cpu_per_conn_us, lost_pct, send_msgs_per_sec).
func (r *Result) Metric(name string) (float64, bool) {
	switch name {
	case "msgs_per_sec":
		return r.MsgsPerSec, true
	case "mb_per_sec":
		return r.MBPerSec, true
	case "send_msgs_per_sec":
		return r.SendMsgsPerSec, true
	case "p50_us":
		return r.P50us, r.P50us > 0
	case "p90_us":
		return r.P90us, r.P90us > 0
	case "p99_us":
		return r.P99us, r.P99us > 0
	case "max_us":
		return r.MaxUs, r.MaxUs > 0
	case "rss_per_conn_kib":
		return r.RSSPerConnKiB, r.RSSAfterKiB > 0
	case "connect_per_sec":
		return r.ConnectPerSec, r.ConnectPerSec > 0
	case "cpu_per_conn_us":
		return r.CPUPerConnUs, r.CPUPerConnUs > 0
	case "lost_pct":
		return r.LostPct(), true
	}
	return 0, false
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// setLatency fills the percentiles from h (ns) in microseconds.
func (r *Result) setLatency(h *histogram) {
	if h.n == 0 {
		return
	}
	us := func(ns int64) float64 { return round(float64(ns)/1e3, 1) }
	r.P50us, r.P90us, r.P99us, r.MaxUs = us(h.percentile(0.50)), us(h.percentile(0.90)), us(h.percentile(0.99)), us(h.max)
}
