package xml

import (
	"fmt"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/config"
)

// transportAttrs are the other <transportConnector> attributes (XSD); kept
// in TransportConnector.Attrs.
var transportAttrs = kinds(map[attrKind][]string{
	attrBool: {"allowLinkStealing", "auditNetworkProducers", "disableAsyncDispatch", "displayStackTrace",
		"enableStatusMonitor", "rebalanceClusterClients", "updateClusterClients", "updateClusterClientsOnRemove",
		"warnOnRemoteClose"},
	attrInt:  {"maximumConsumersAllowedPerConnection", "maximumProducersAllowedPerConnection"},
	attrKeep: {"updateClusterFilter"},
	attrRef:  {"brokerInfo", "brokerService", "discoveryAgent", "messageAuthorizationPolicy", "publishedAddressPolicy", "server", "taskRunnerFactory"},
})

// transportConnectors reads <transportConnectors>.
func (l *loader) transportConnectors(e *etree.Element, b *config.Broker) {
	for _, c := range l.children(e) {
		if c.Tag != "transportConnector" {
			l.warnf(l.pos.elem(c), "unexpected <%s> in <transportConnectors> (want <transportConnector>); ignored", c.Tag)
			continue
		}
		if tc, ok := l.transportConnector(c); ok {
			b.TransportConnectors = append(b.TransportConnectors, tc)
		}
	}
}

// transportConnector reads one connector. Connectors that cannot be served
// (AMQP, no uri, a bad uri) are left out after a problem.
func (l *loader) transportConnector(e *etree.Element) (config.TransportConnector, bool) {
	label := e.SelectAttrValue("name", "")
	if label == "" {
		label = e.SelectAttrValue("uri", "")
	}
	what := fmt.Sprintf("transportConnector %q", label)
	a := l.attrs(e, what)
	tc, keep := l.transportURI(a, what)
	tc.Pos = l.pos.elem(e)
	tc.Name = tc.URI // ActiveMQ names an unnamed connector by its uri
	a.strTo("name", &tc.Name)
	if v, ok := a.str("discoveryUri"); ok {
		l.warnf(a.pos("discoveryUri"), "%s: discoveryUri %q: advertising the connector for discovery is not supported; ignored", what, v)
	}
	tc.Attrs = map[string]string{}
	a.finish(transportAttrs, tc.Attrs)
	for _, c := range l.children(e) {
		l.warnf(l.pos.elem(c), "%s: <%s> not supported; ignored", what, c.Tag)
	}
	return tc, keep && tc.Protocol != config.ProtoAMQP
}

// transportURI parses the connector's uri; false when there is none or it
// is bad (reported).
func (l *loader) transportURI(a *attrReader, what string) (config.TransportConnector, bool) {
	uri, ok := a.str("uri")
	if !ok {
		if !a.has("uri") {
			l.warnf(l.pos.elem(a.e), "%s has no uri (Amazon MQ manages its listeners itself); skipped", what)
		}
		return config.TransportConnector{}, false
	}
	tc, warns, err := config.ParseTransportURI(uri)
	upos := a.pos("uri")
	if err != nil {
		l.errorf(upos, "%s: %v", what, err)
		return tc, false
	}
	for _, w := range warns {
		l.warnf(upos, "%s: %s", what, w)
	}
	return tc, true
}
