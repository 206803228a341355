package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/hashi-broker/hashi/broker/mqtt/packet"
)

// Run executes one benchmark and returns its result. cfg is completed with
// SetDefaults and checked with Validate first. A run that could not start
// (no broker, refused subscription) returns an error; problems during the
// run are listed in Result.Errors and show up in the counts.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d, err := newDialer(&cfg)
	if err != nil {
		return nil, err
	}
	pubEP, _ := ParseURL(cfg.URL)
	res := &Result{
		Scenario: cfg.Scenario, URL: pubEP.String(), Protocol: pubEP.Proto, QoS: cfg.QoS, Size: cfg.Size,
		Rate: cfg.Rate, Tags: cfg.Tags, StartedAt: time.Now().UTC().Truncate(time.Second), RelayThrough: cfg.ThroughRelay,
	}
	if cfg.SubURL != "" {
		sub, _ := ParseURL(cfg.SubURL)
		res.SubURL = sub.String()
	}
	if pubEP.Proto == "mqtt" {
		res.MQTTVersion = "3.1.1"
		if cfg.MQTTVersion == packet.V5 {
			res.MQTTVersion = "5"
		}
	}
	if cfg.ThroughRelay {
		for _, u := range []string{cfg.URL, cfg.SubURL} {
			if u == "" {
				continue
			}
			ep, _ := ParseURL(u)
			if _, ok := d.relays[ep.Addr]; ok {
				continue
			}
			rl, err := NewRelay("127.0.0.1:0", ep.Addr, Faults{})
			if err != nil {
				return nil, err
			}
			defer rl.Close()
			d.relays[ep.Addr] = rl.Addr()
		}
	}
	switch cfg.Scenario {
	case Conns:
		res.Size, res.QoS = 0, 0
		err = runConns(ctx, &cfg, d, res)
	default:
		res.Publishers, res.Subscribers = cfg.Publishers, cfg.Subscribers
		err = runPubSub(ctx, &cfg, d, res)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Scenario, err)
	}
	return res, nil
}
