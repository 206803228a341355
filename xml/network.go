package xml

import (
	"errors"
	"fmt"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/config"
)

// networkAttrs are the networkConnector attributes Hashi keeps in
// NetworkConnector.Attrs (reference §5.2), with their value types.
var networkAttrs = kinds(map[attrKind][]string{
	attrBool: {"conduitNetworkQueueSubscriptions", "suppressDuplicateQueueSubscriptions",
		"suppressDuplicateTopicSubscriptions", "dispatchAsync", "syncDurableSubs", "useVirtualDestSubs",
		"useCompression", "checkDuplicateMessagesOnDuplex", "advisoryForFailedForward", "gcDestinationViews",
		"useBrokerNameAsIdSees"},
	attrInt:    {"consumerPriorityBase", "advisoryPrefetchSize", "advisoryAckPercentage"},
	attrMillis: {"gcSweepTime"},
	attrKeep:   {"destinationFilter", "clientIdToken", "brokerName", "brokerURL", "localUri", "objectName", "discoveryURI"},
	attrRef: {"bridgeFactory", "brokerService", "connectionFilter", "discoveryAgent", "sslContext",
		"durableDestinations", "excludedDestinations", "dynamicallyIncludedDestinations",
		"staticallyIncludedDestinations", "mbeanServer"},
})

// networkConnectors reads <networkConnectors>.
func (l *loader) networkConnectors(e *etree.Element, b *config.Broker) {
	for _, c := range l.children(e) {
		switch c.Tag {
		case "networkConnector":
			if nc, ok := l.networkConnector(c); ok {
				b.NetworkConnectors = append(b.NetworkConnectors, nc)
			}
		case "multicastNetworkConnector", "ldapNetworkConnector":
			l.warnf(l.pos.elem(c), "<%s> not supported (use <networkConnector uri=\"static:(...)\">); ignored", c.Tag)
		default:
			l.warnf(l.pos.elem(c), "unexpected <%s> in <networkConnectors> (want <networkConnector>); ignored", c.Tag)
		}
	}
}

// networkConnector reads one networkConnector with ActiveMQ 5.18 defaults.
// A connector whose uri cannot be used is left out after a problem.
func (l *loader) networkConnector(e *etree.Element) (config.NetworkConnector, bool) {
	nc := config.NewNetworkConnector()
	nc.Pos = l.pos.elem(e)
	what := fmt.Sprintf("networkConnector %q", e.SelectAttrValue("name", config.DefaultNCName))
	a := l.attrs(e, what)
	a.strTo("name", &nc.Name)
	keep := l.networkURI(&nc, a, what)
	a.boolean("duplex", &nc.Duplex)
	var ttl int
	if a.integer("networkTTL", &ttl) {
		nc.MessageTTL, nc.ConsumerTTL = ttl, ttl // unless given below
	}
	a.integer("messageTTL", &nc.MessageTTL)
	a.integer("consumerTTL", &nc.ConsumerTTL)
	a.boolean("conduitSubscriptions", &nc.ConduitSubscriptions)
	a.boolean("dynamicOnly", &nc.DynamicOnly)
	a.boolean("decreaseNetworkConsumerPriority", &nc.DecreaseNetworkConsumerPriority)
	a.integer("prefetchSize", &nc.PrefetchSize)
	a.strTo("userName", &nc.UserName)
	a.strTo("password", &nc.Password)
	a.strTo("remoteUserName", &nc.RemoteUserName)
	a.strTo("remotePassword", &nc.RemotePassword)
	a.boolean("bridgeTempDestinations", &nc.BridgeTempDestinations)
	a.boolean("staticBridge", &nc.StaticBridge)
	a.boolean("alwaysSyncSend", &nc.AlwaysSyncSend)
	a.millis("demandGrace", &nc.DemandGrace)
	a.finish(networkAttrs, nc.Attrs)

	for _, c := range l.children(e) {
		switch c.Tag {
		case "excludedDestinations":
			nc.Excluded = append(nc.Excluded, l.destRefs(c, what+" excludedDestinations", false)...)
		case "dynamicallyIncludedDestinations":
			nc.DynamicallyIncluded = append(nc.DynamicallyIncluded, l.destRefs(c, what+" dynamicallyIncludedDestinations", false)...)
		case "staticallyIncludedDestinations":
			nc.StaticallyIncluded = append(nc.StaticallyIncluded, l.destRefs(c, what+" staticallyIncludedDestinations", false)...)
		case "durableDestinations":
			l.warnf(l.pos.elem(c), "%s: <durableDestinations> not supported (durable subscriptions are not bridged ahead of demand); ignored", what)
		default:
			l.warnf(l.pos.elem(c), "%s: unknown element <%s>; ignored", what, c.Tag)
		}
	}
	return nc, keep
}

// networkURI parses the connector's uri into nc. It reports whether the
// connector can be kept: multicast is skipped with a warning, any other bad
// uri with an error.
func (l *loader) networkURI(nc *config.NetworkConnector, a *attrReader, what string) bool {
	uri, ok := a.str("uri")
	if !ok {
		if !a.has("uri") {
			l.errorf(nc.Pos, "%s: no uri", what)
		}
		return false
	}
	nc.URI = uri
	nu, warns, err := config.ParseNetworkURI(uri)
	upos := a.pos("uri")
	switch {
	case errors.Is(err, config.ErrMulticast):
		l.warnf(upos, "%s: uri %q: %v; connector skipped", what, uri, err)
		return false
	case err != nil:
		l.errorf(upos, "%s: %v", what, err)
		return false
	}
	for _, w := range warns {
		l.warnf(upos, "%s: %s", what, w)
	}
	nc.Mode, nc.Peers, nc.Bridges, nc.Reconnect = nu.Mode, nu.Peers, nu.Bridges, nu.Reconnect
	return true
}
