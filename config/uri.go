package config

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// transportSchemes maps every accepted transportConnector scheme to the
// protocol it serves and whether it is TLS (reference §2.1). OpenWire schemes
// become the auto listener: Hashi does not speak OpenWire, the auto listener
// sniffs MQTT and STOMP.
var transportSchemes = map[string]struct {
	proto Protocol
	tls   bool
}{
	"mqtt": {ProtoMQTT, false}, "mqtt+nio": {ProtoMQTT, false},
	"mqtt+ssl": {ProtoMQTT, true}, "mqtt+nio+ssl": {ProtoMQTT, true},
	"stomp": {ProtoSTOMP, false}, "stomp+nio": {ProtoSTOMP, false},
	"stomp+ssl": {ProtoSTOMP, true}, "stomp+nio+ssl": {ProtoSTOMP, true},
	"tcp": {ProtoAuto, false}, "nio": {ProtoAuto, false},
	"ssl": {ProtoAuto, true}, "nio+ssl": {ProtoAuto, true},
	"auto": {ProtoAuto, false}, "auto+nio": {ProtoAuto, false},
	"auto+ssl": {ProtoAuto, true}, "auto+nio+ssl": {ProtoAuto, true},
	"ws": {ProtoWS, false}, "wss": {ProtoWS, true},
}

// ignoredTransportOptions are ActiveMQ URI options that are valid but have
// no meaning for Hashi (OpenWire tuning, JVM socket and SSL engine knobs,
// cluster updates). They are kept in Options and accepted silently.
var ignoredTransportOptions = setOf(
	"backlog", "useQueueForAccept", "allowLinkStealing", "updateClusterClients",
	"rebalanceClusterClients", "updateClusterClientsOnRemove", "updateClusterFilter",
	"protocolDetectionTimeOut", "maxConnectionThreadPoolSize", "auto.protocols",
	"transport.closeAsync", "transport.soTimeout", "transport.soWriteTimeout",
	"transport.tcpNoDelay", "transport.trace", "transport.useInactivityMonitor",
	"transport.useKeepAlive", "transport.socketBufferSize", "transport.ioBufferSize",
	"transport.connectionTimeout", "transport.daemon", "transport.trafficClass",
	"transport.typeOfService", "transport.diffServ", "transport.useLocalHost", "transport.startLogging",
	"transport.dynamicManagement", "transport.threadName", "transport.logWriterName",
	"transport.hbGracePeriodMultiplier", "transport.activeMQSubscriptionPrefetch",
	"transport.subscriptionStrategy", "transport.publishDollarTopics",
	"transport.enabledProtocols", "transport.enabledCipherSuites", "transport.verifyHostName",
	"transport.minmumWireFormatVersion", "transport.maxInactivityDuration",
	"transport.maxInactivityDurationInitalDelay", "transport.inactivityMonitor",
	"transport.transformer", "transport.stompTransformer", "transport.jmsTransformer",
	"transport.prefetchSize", "transport.producerCredit", "transport.allowHttpUpgrade",
	"wireFormat.maxInactivityDuration", "wireFormat.maxInactivityDurationInitalDelay",
	"wireFormat.cacheEnabled", "wireFormat.cacheSize", "wireFormat.tcpNoDelayEnabled",
	"wireFormat.tightEncodingEnabled", "wireFormat.sizePrefixDisabled",
	"wireFormat.stackTraceEnabled", "wireFormat.version", "wireFormat.host",
	"wireFormat.maxFrameSizeEnabled", "wireFormat.producerCredit", "wireFormat.transformer",
	"wireFormat.allowNonSaslConnections", "wireFormat.prefetch",
)

// ignoredWireFormatPrefixes cover per-protocol options of the auto transport
// for protocols Hashi does not speak.
var ignoredWireFormatPrefixes = []string{"wireFormat.default.", "wireFormat.openwire.", "wireFormat.amqp.", "transport.ssl."}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// splitQuery parses "a=1&b=2" as ActiveMQ's URISupport does: pairs split on
// '&', keys and values URL-unescaped, a key without '=' gets "". Later
// duplicates win. The keys are returned in order of first appearance.
func splitQuery(q string) (map[string]string, []string, error) {
	opts := map[string]string{}
	var keys []string
	if q == "" {
		return opts, nil, nil
	}
	for _, part := range strings.Split(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		ku, err := url.QueryUnescape(k)
		if err != nil {
			return nil, nil, fmt.Errorf("bad query option %q: %v", part, err)
		}
		vu, err := url.QueryUnescape(v)
		if err != nil {
			return nil, nil, fmt.Errorf("bad query option %q: %v", part, err)
		}
		if _, dup := opts[ku]; !dup {
			keys = append(keys, ku)
		}
		opts[ku] = vu
	}
	return opts, keys, nil
}

// hostPort checks u's authority: a host (possibly empty, meaning every
// interface) and a port 0..65535.
func hostPort(u *url.URL) (string, error) {
	if u.Host == "" {
		return "", fmt.Errorf("missing host and port")
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			return "", fmt.Errorf("missing port")
		}
		return "", fmt.Errorf("bad host:port %q", u.Host)
	}
	if port == "" {
		return "", fmt.Errorf("missing port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("bad port %q", port)
	}
	return net.JoinHostPort(host, port), nil
}

// ParseTransportURI reads a transportConnector uri such as
// "mqtt+ssl://0.0.0.0:8883?maximumConnections=1000&transport.needClientAuth=true".
// It fills every TransportConnector field derived from the URI (not Name or
// Pos). The returned warnings name unknown options and ignored parts; an
// AMQP URI parses with Protocol ProtoAMQP and a warning, since Hashi does
// not serve AMQP.
func ParseTransportURI(uri string) (TransportConnector, []string, error) {
	tc := TransportConnector{URI: uri, Options: map[string]string{}}
	var warns []string
	u, err := url.Parse(strings.TrimSpace(uri))
	if err != nil {
		return tc, nil, fmt.Errorf("uri %q: %v", uri, unwrapURLError(err))
	}
	scheme := strings.ToLower(u.Scheme)
	tc.Scheme = scheme
	if scheme == "" {
		return tc, nil, fmt.Errorf("uri %q: missing scheme (want e.g. mqtt://0.0.0.0:1883)", uri)
	}
	if strings.HasPrefix(scheme, "amqp") {
		tc.Protocol = ProtoAMQP
		tc.TLS = strings.Contains(scheme, "ssl") || strings.HasSuffix(scheme, "wss")
		return tc, []string{"AMQP is not supported; connector skipped"}, nil
	}
	sc, ok := transportSchemes[scheme]
	if !ok {
		return tc, nil, fmt.Errorf("uri %q: unsupported scheme %q (want mqtt, stomp, tcp, nio, ssl, auto, ws, wss or a +nio/+ssl variant)", uri, scheme)
	}
	tc.Protocol, tc.TLS = sc.proto, sc.tls
	if u.Opaque != "" {
		return tc, nil, fmt.Errorf("uri %q: want %s://host:port", uri, scheme)
	}
	addr, err := hostPort(u)
	if err != nil {
		return tc, nil, fmt.Errorf("uri %q: %v", uri, err)
	}
	tc.Addr = addr
	if u.User != nil {
		warns = append(warns, "user info in the uri is ignored")
	}
	if u.Path != "" && u.Path != "/" {
		warns = append(warns, fmt.Sprintf("path %q is ignored", u.Path))
	}
	opts, keys, err := splitQuery(u.RawQuery)
	if err != nil {
		return tc, nil, fmt.Errorf("uri %q: %v", uri, err)
	}
	tc.Options = opts
	var dataLen int64
	for _, k := range keys {
		v := opts[k]
		bad := func(e error) error { return fmt.Errorf("uri %q: option %s: %v", uri, k, e) }
		switch k {
		case "maximumConnections":
			n, err := ParseInt(v)
			if err != nil {
				return tc, nil, bad(err)
			}
			tc.MaximumConnections = n
		case "wireFormat.maxFrameSize", "wireFormat.stomp.maxFrameSize", "wireFormat.mqtt.maxFrameSize":
			n, err := ParseSize(v)
			if err != nil {
				return tc, nil, bad(err)
			}
			tc.MaxFrameSize = minSet(tc.MaxFrameSize, n)
		case "wireFormat.maxDataLength", "wireFormat.stomp.maxDataLength":
			n, err := ParseSize(v)
			if err != nil {
				return tc, nil, bad(err)
			}
			dataLen = minSet(dataLen, n)
		case "transport.needClientAuth", "transport.wantClientAuth":
			b, err := ParseBool(v)
			if err != nil {
				return tc, nil, bad(err)
			}
			if k == "transport.needClientAuth" {
				tc.NeedClientAuth = b
			} else {
				tc.WantClientAuth = b
			}
			if b && !tc.TLS {
				warns = append(warns, fmt.Sprintf("%s has no effect without TLS", k))
			}
		case "transport.keepAlive":
			b, err := ParseBool(v)
			if err != nil {
				return tc, nil, bad(err)
			}
			tc.TCPKeepAlive = b
		case "transport.defaultKeepAlive", "transport.maxKeepAlive":
			d, err := ParseMillis(v)
			if err != nil {
				return tc, nil, bad(err)
			}
			if d < 0 {
				return tc, nil, bad(fmt.Errorf("must be >= 0, got %s", v))
			}
			if k == "transport.defaultKeepAlive" {
				tc.DefaultKeepAlive = d
			} else {
				tc.MaxKeepAlive = d
			}
		case "transport.defaultHeartBeat":
			if err := checkHeartBeat(v); err != nil {
				return tc, nil, bad(err)
			}
			tc.DefaultHeartBeat = strings.ReplaceAll(v, " ", "")
		default:
			if !ignoredTransportOption(k) {
				warns = append(warns, fmt.Sprintf("unknown option %q ignored", k))
			}
		}
	}
	if dataLen > 0 {
		tc.MaxFrameSize = minSet(tc.MaxFrameSize, dataLen)
	}
	return tc, warns, nil
}

func ignoredTransportOption(k string) bool {
	if ignoredTransportOptions[k] {
		return true
	}
	for _, p := range ignoredWireFormatPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// minSet returns the smaller of two limits where 0 means "not set".
func minSet(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// checkHeartBeat validates a STOMP heart-beat pair "cx,cy" (milliseconds).
func checkHeartBeat(v string) error {
	a, b, ok := strings.Cut(strings.ReplaceAll(v, " ", ""), ",")
	if !ok {
		return fmt.Errorf("%q is not a heart-beat pair \"cx,cy\"", v)
	}
	for _, s := range []string{a, b} {
		if n, err := strconv.ParseUint(s, 10, 31); err != nil || n > 1<<31 {
			return fmt.Errorf("%q is not a heart-beat pair \"cx,cy\" of milliseconds", v)
		}
	}
	return nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// sortedKeys returns m's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ms renders a duration as ActiveMQ writes it, in milliseconds.
func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + "ms" }
