package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrMulticast is returned by ParseNetworkURI for multicast:// discovery.
var ErrMulticast = errors.New("multicast discovery is not supported; use static:")

// NetworkURI is a parsed networkConnector uri.
type NetworkURI struct {
	Mode      string     // "static" or "masterslave"
	Peers     []string   // every peer URI, in order
	Bridges   [][]string // per bridge, the peer URIs to try in order
	Reconnect Reconnect
	Options   map[string]string // the discovery query options as written
}

// peerSchemes are the transports a bridge may dial (reference §5.1): the
// OpenWire ones are served by the peer's auto listener.
var peerSchemes = setOf("tcp", "ssl", "nio", "nio+ssl", "auto", "auto+ssl", "stomp", "stomp+ssl")

// ignoredPeerOptions are per-peer transport options that are valid in
// ActiveMQ and have no effect in Hashi.
var ignoredPeerOptions = setOf(
	"connectionTimeout", "soTimeout", "soWriteTimeout", "keepAlive", "tcpNoDelay", "daemon",
	"trace", "useLocalHost", "socketBufferSize", "ioBufferSize", "useInactivityMonitor",
	"useKeepAlive", "verifyHostName", "closeAsync", "dynamicManagement", "startLogging",
)

// failoverOptions are the failover transport's options; inside static: they
// are accepted because the bridge's own reconnect loop does the retrying.
var failoverOptions = setOf(
	"randomize", "maxReconnectAttempts", "startupMaxReconnectAttempts", "initialReconnectDelay",
	"maxReconnectDelay", "useExponentialBackOff", "reconnectDelayExponent", "backup", "backupPoolSize",
	"timeout", "priorityBackup", "priorityURIs", "trackMessages", "maxCacheSize",
	"updateURIsSupported", "reconnectSupported", "updateURIsURL", "nested.wireFormat.maxInactivityDuration",
)

// ParseNetworkURI reads a networkConnector uri: static:(uri,...)?opts,
// static:uri, static://(...), masterslave:(a,b,...), with failover:(a,b)
// allowed inside static as one bridge with an ordered list. The query of
// static:/masterslave: holds the reconnect options (ActiveMQ defaults for the
// ones not given). multicast:// returns ErrMulticast.
func ParseNetworkURI(uri string) (NetworkURI, []string, error) {
	nu := NetworkURI{Reconnect: DefaultReconnect(), Options: map[string]string{}}
	s := strings.TrimSpace(uri)
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" {
		return nu, nil, fmt.Errorf("uri %q: want static:(tcp://host:port,...) or masterslave:(...)", uri)
	}
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "static", "masterslave":
	case "multicast":
		return nu, nil, ErrMulticast
	case "failover":
		return nu, nil, fmt.Errorf("uri %q: failover: is not a discovery uri; use masterslave:(...) or static:(failover:(...))", uri)
	default:
		if peerSchemes[scheme] {
			return nu, nil, fmt.Errorf("uri %q: a bare %s:// uri is not a discovery uri; use static:(%s)", uri, scheme, s)
		}
		return nu, nil, fmt.Errorf("uri %q: unsupported discovery scheme %q (want static: or masterslave:)", uri, scheme)
	}
	parts, query, err := splitComposite(rest)
	if err != nil {
		return nu, nil, fmt.Errorf("uri %q: %v", uri, err)
	}
	var warns []string
	for _, p := range parts {
		if strings.HasPrefix(strings.ToLower(p), "failover:") {
			if scheme == "masterslave" {
				return nu, nil, fmt.Errorf("uri %q: failover: cannot be nested in masterslave:", uri)
			}
			list, w, err := parseFailover(p)
			if err != nil {
				return nu, nil, fmt.Errorf("uri %q: %v", uri, err)
			}
			warns = append(warns, w...)
			nu.Bridges = append(nu.Bridges, list)
			nu.Peers = append(nu.Peers, list...)
			continue
		}
		w, err := checkPeer(p)
		if err != nil {
			return nu, nil, fmt.Errorf("uri %q: %v", uri, err)
		}
		warns = append(warns, w...)
		nu.Peers = append(nu.Peers, p)
		nu.Bridges = append(nu.Bridges, []string{p})
	}
	switch {
	case len(nu.Peers) == 0:
		return nu, nil, fmt.Errorf("uri %q: no peer uri", uri)
	case scheme == "masterslave":
		if len(nu.Peers) < 2 {
			return nu, nil, fmt.Errorf("uri %q: masterslave: needs at least 2 uris, got %d", uri, len(nu.Peers))
		}
		nu.Mode = "masterslave"
		nu.Bridges = [][]string{append([]string(nil), nu.Peers...)}
	case len(nu.Bridges) == 1 && len(nu.Bridges[0]) > 1:
		// static:(failover:(a,b)) is the manual form of masterslave:(a,b).
		nu.Mode = "masterslave"
	default:
		nu.Mode = "static"
	}
	opts, keys, err := splitQuery(query)
	if err != nil {
		return nu, nil, fmt.Errorf("uri %q: %v", uri, err)
	}
	nu.Options = opts
	for _, k := range keys {
		w, err := setReconnect(&nu.Reconnect, k, opts[k])
		if err != nil {
			return nu, nil, fmt.Errorf("uri %q: option %s: %v", uri, k, err)
		}
		if w != "" {
			warns = append(warns, w)
		}
	}
	return nu, warns, nil
}

// splitComposite splits "(a,b)?q", "//(a,b)?q", "a" (no parentheses: the
// whole rest is the one component, query included) into components and the
// composite's query.
func splitComposite(rest string) ([]string, string, error) {
	rest = strings.TrimPrefix(strings.TrimSpace(rest), "//")
	if !strings.HasPrefix(rest, "(") {
		if rest == "" {
			return nil, "", fmt.Errorf("no peer uri")
		}
		return []string{rest}, "", nil
	}
	end := matchParen(rest)
	if end < 0 {
		return nil, "", fmt.Errorf("unbalanced parentheses")
	}
	after := strings.TrimPrefix(rest[end+1:], "/")
	query := ""
	if after != "" {
		if after[0] != '?' {
			return nil, "", fmt.Errorf("unexpected %q after ')'", after)
		}
		query = after[1:]
	}
	var parts []string
	depth, start := 0, 1
	inner := rest[:end]
	for i := 1; i < len(inner); i++ {
		switch inner[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, strings.TrimSpace(inner[start:i]))
				start = i + 1
			}
		}
	}
	parts = append(parts, strings.TrimSpace(inner[start:]))
	for _, p := range parts {
		if p == "" {
			return nil, "", fmt.Errorf("empty peer uri in the list")
		}
	}
	return parts, query, nil
}

// matchParen returns the index of the ')' closing s[0] == '(' or -1.
func matchParen(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// parseFailover reads failover:(a,b)?opts nested in static: into an ordered
// list of peers.
func parseFailover(p string) ([]string, []string, error) {
	parts, query, err := splitComposite(p[len("failover:"):])
	if err != nil {
		return nil, nil, fmt.Errorf("%q: %v", p, err)
	}
	var warns []string
	for _, q := range parts {
		if strings.Contains(q, "(") {
			return nil, nil, fmt.Errorf("%q: nested composite uri %q", p, q)
		}
		w, err := checkPeer(q)
		if err != nil {
			return nil, nil, err
		}
		warns = append(warns, w...)
	}
	opts, keys, err := splitQuery(query)
	if err != nil {
		return nil, nil, fmt.Errorf("%q: %v", p, err)
	}
	for _, k := range keys {
		switch {
		case k == "randomize":
			if b, err := ParseBool(opts[k]); err == nil && b {
				warns = append(warns, "failover randomize=true is ignored: peers are tried in the listed order")
			}
		case !failoverOptions[k]:
			warns = append(warns, fmt.Sprintf("unknown failover option %q ignored", k))
		}
	}
	return parts, warns, nil
}

// checkPeer validates one bridge peer: a supported scheme, a host and a port.
func checkPeer(p string) ([]string, error) {
	u, err := url.Parse(p)
	if err != nil {
		return nil, fmt.Errorf("peer %q: %v", p, unwrapURLError(err))
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" || u.Opaque != "" {
		return nil, fmt.Errorf("peer %q: want scheme://host:port", p)
	}
	if !peerSchemes[scheme] {
		return nil, fmt.Errorf("peer %q: scheme %q is not supported for network bridges (want tcp, ssl, nio, nio+ssl, auto, auto+ssl, stomp or stomp+ssl)", p, scheme)
	}
	if _, err := hostPort(u); err != nil {
		return nil, fmt.Errorf("peer %q: %v", p, err)
	}
	if h := u.Hostname(); h == "" {
		return nil, fmt.Errorf("peer %q: missing host", p)
	}
	_, keys, err := splitQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("peer %q: %v", p, err)
	}
	var warns []string
	for _, k := range keys {
		if !ignoredPeerOptions[k] && !strings.HasPrefix(k, "wireFormat.") && !strings.HasPrefix(k, "socket.") {
			warns = append(warns, fmt.Sprintf("peer %q: unknown option %q ignored", p, k))
		}
	}
	return warns, nil
}

// setReconnect applies one discovery-agent query option.
func setReconnect(r *Reconnect, k, v string) (string, error) {
	nonNeg := func(s string) (time.Duration, error) {
		d, err := ParseMillis(s)
		if err != nil {
			return 0, err
		}
		if d < 0 {
			return 0, fmt.Errorf("must be >= 0, got %s", s)
		}
		return d, nil
	}
	switch k {
	case "initialReconnectDelay", "maxReconnectDelay", "minConnectTime":
		d, err := nonNeg(v)
		if err != nil {
			return "", err
		}
		switch k {
		case "initialReconnectDelay":
			r.InitialDelay = d
		case "maxReconnectDelay":
			r.MaxDelay = d
		default:
			r.MinConnectTime = d
		}
	case "useExponentialBackOff":
		b, err := ParseBool(v)
		if err != nil {
			return "", err
		}
		r.UseExponentialBackOff = b
	case "backOffMultiplier":
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 1 || f > 1e6 {
			return "", fmt.Errorf("%q is not a multiplier >= 1", v)
		}
		r.BackOffMultiplier = f
	case "maxReconnectAttempts":
		n, err := ParseInt(v)
		if err != nil {
			return "", err
		}
		if n < 0 {
			n = 0 // ActiveMQ: anything <= 0 retries forever
		}
		r.MaxAttempts = n
	default:
		if strings.HasPrefix(k, "discovered.") {
			return fmt.Sprintf("option %q is not supported (set options on each peer uri instead); ignored", k), nil
		}
		return fmt.Sprintf("unknown option %q ignored", k), nil
	}
	return "", nil
}
