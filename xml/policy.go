package xml

import (
	"fmt"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/config"
)

// policyAttrs are the policyEntry attributes Hashi does not model: kept in
// PolicyEntry.Attrs silently, with their values checked.
var policyAttrs = kinds(map[attrKind][]string{
	attrBool: {"advisoryForConsumed", "advisoryForDelivery", "advisoryForDiscardingMessages",
		"advisoryForFastProducers", "advisoryForSlowConsumers", "advisoryWhenFull", "advisoryForDispatched",
		"allConsumersExclusiveByDefault", "alwaysRetroactive", "doOptimzeMessageStorage", "enableAudit",
		"gcWithNetworkConsumers", "includeBodyForAdvisory", "lazyDispatch", "optimizedDispatch",
		"persistJMSRedelivered", "prioritizedMessages", "reduceMemoryFootprint", "sendAdvisoryIfNoConsumers",
		"sendDuplicateFromStoreToDLQ", "strictOrderDispatch", "useCache", "useConsumerPriority",
		"usePrefetchExtension", "useTopicSubscriptionInflightStats"},
	attrInt: {"consumersBeforeDispatchStarts", "cursorMemoryHighWaterMark", "durableTopicPrefetch",
		"maxAuditDepth", "maxBrowsePageSize", "maxDestinations", "maxExpirePageSize", "maxPageSize",
		"maxProducersToAudit", "maxQueueAuditDepth", "optimizeMessageStoreInFlightLimit",
		"queueBrowserPrefetch", "storeUsageHighWaterMark"},
	attrMillis: {"blockedProducerWarningInterval", "timeBeforeDispatchStarts"},
	attrSize:   {"minimumMessageSize"},
	attrKeep:   {"messageGroupMapFactoryType"},
	// Bean-valued properties given as attributes (Spring references).
	attrRef: {"deadLetterStrategy", "destination", "dispatchPolicy", "messageEvictionStrategy",
		"messageGroupMapFactory", "networkBridgeFilterFactory", "pendingDurableSubscriberPolicy",
		"pendingMessageLimitStrategy", "pendingQueuePolicy", "pendingSubscriberPolicy",
		"slowConsumerStrategy", "subscriptionRecoveryPolicy"},
})

// notEnforcedPolicyChildren are policyEntry children that parse but that
// Hashi does not act on.
var notEnforcedPolicyChildren = setOf(
	"deadLetterStrategy", "pendingQueuePolicy", "pendingSubscriberPolicy", "pendingDurableSubscriberPolicy",
	"dispatchPolicy", "subscriptionRecoveryPolicy", "slowConsumerStrategy", "messageEvictionStrategy",
	"messageGroupMapFactory",
)

// destinationPolicy reads <destinationPolicy><policyMap>.
func (l *loader) destinationPolicy(prop *etree.Element, b *config.Broker) {
	m := l.wrapped(prop)
	if m == nil {
		return
	}
	if m.Tag != "policyMap" {
		l.warnf(l.pos.elem(m), "unexpected <%s> in <destinationPolicy> (want <policyMap>); ignored", m.Tag)
		return
	}
	var pm config.PolicyMap
	l.attrs(m, "policyMap").finish(kinds(map[attrKind][]string{attrRef: {"defaultEntry", "policyEntries"}}), nil)
	for _, c := range l.children(m) {
		switch c.Tag {
		case "policyEntries":
			for _, en := range l.children(c) {
				if en.Tag != "policyEntry" {
					l.warnf(l.pos.elem(en), "unexpected <%s> in <policyEntries> (want <policyEntry>); ignored", en.Tag)
					continue
				}
				if pe, ok := l.policyEntry(en, true); ok {
					pm.Entries = append(pm.Entries, pe)
				}
			}
		case "defaultEntry":
			in := l.wrapped(c)
			if in == nil {
				continue
			}
			if in.Tag != "policyEntry" {
				l.warnf(l.pos.elem(in), "unexpected <%s> in <defaultEntry> (want <policyEntry>); ignored", in.Tag)
				continue
			}
			if pe, ok := l.policyEntry(in, false); ok {
				pm.Default = &pe
			}
		default:
			l.warnf(l.pos.elem(c), "unknown element <%s> in <policyMap>; ignored", c.Tag)
		}
	}
	b.Policy = pm
}

// policyEntry reads one policyEntry; typed says it needs a destination.
func (l *loader) policyEntry(e *etree.Element, typed bool) (config.PolicyEntry, bool) {
	pe := config.NewPolicyEntry()
	pe.Pos = l.pos.elem(e)
	what := "defaultEntry policyEntry"
	if typed {
		what = "policyEntry"
		for _, k := range []string{"queue", "topic", "tempQueue", "tempTopic"} {
			if v := e.SelectAttr(k); v != nil && v.Space == "" {
				what = fmt.Sprintf("policyEntry %s=%q", k, v.Value)
				break
			}
		}
	}
	a := l.attrs(e, what)
	d, ok := l.entryDest(a, what, typed)
	if !ok {
		return pe, false
	}
	pe.Dest = d
	a.boolean("producerFlowControl", &pe.ProducerFlowControl)
	a.size("memoryLimit", &pe.MemoryLimit)
	a.boolean("sendFailIfNoSpace", &pe.SendFailIfNoSpace)
	a.millis("sendFailIfNoSpaceAfterTimeout", &pe.SendFailIfNoSpaceAfter)
	a.boolean("gcInactiveDestinations", &pe.GCInactiveDestinations)
	if a.has("inactiveTimeoutBeforeGC") && a.has("inactiveTimoutBeforeGC") {
		l.errorf(a.pos("inactiveTimoutBeforeGC"), "%s: both inactiveTimeoutBeforeGC and its misspelling inactiveTimoutBeforeGC are given; keep one", what)
		a.used["inactiveTimoutBeforeGC"] = true
	}
	a.millis("inactiveTimeoutBeforeGC", &pe.InactiveTimeoutBeforeGC)
	a.millis("inactiveTimoutBeforeGC", &pe.InactiveTimeoutBeforeGC)
	a.integer("queuePrefetch", &pe.QueuePrefetch)
	a.integer("topicPrefetch", &pe.TopicPrefetch)
	a.millis("expireMessagesPeriod", &pe.ExpireMessagesPeriod)
	a.finish(policyAttrs, pe.Attrs)
	for _, c := range l.children(e) {
		pos := l.pos.elem(c)
		switch {
		case c.Tag == "pendingMessageLimitStrategy":
			s := l.wrapped(c)
			if s == nil {
				continue
			}
			if s.Tag != "constantPendingMessageLimitStrategy" {
				l.warnf(l.pos.elem(s), "%s: <%s> is not enforced by Hashi (only constantPendingMessageLimitStrategy)", what, s.Tag)
				continue
			}
			sa := l.attrs(s, "constantPendingMessageLimitStrategy")
			if !sa.integer("limit", &pe.PendingMessageLimit) && !sa.has("limit") {
				l.warnf(l.pos.elem(s), "%s: constantPendingMessageLimitStrategy without limit= (ActiveMQ's default is -1: never discard)", what)
			}
			sa.finish(nil, nil)
		case c.Tag == "networkBridgeFilterFactory":
			f := l.wrapped(c)
			if f == nil {
				continue
			}
			if f.Tag != "conditionalNetworkBridgeFilterFactory" {
				l.warnf(l.pos.elem(f), "%s: <%s> is not enforced by Hashi (only conditionalNetworkBridgeFilterFactory)", what, f.Tag)
				continue
			}
			fa := l.attrs(f, "conditionalNetworkBridgeFilterFactory")
			fa.boolean("replayWhenNoConsumers", &pe.ReplayWhenNoConsumers)
			fa.millis("replayDelay", &pe.ReplayDelay)
			fa.finish(kinds(map[attrKind][]string{attrWarnSet: {"selectorAware", "rateLimit", "rateDuration"}}), pe.Attrs)
		case notEnforcedPolicyChildren[c.Tag]:
			l.warnf(pos, "%s: <%s> is not enforced by Hashi; ignored", what, c.Tag)
		default:
			l.warnf(pos, "%s: unknown element <%s>; ignored", what, c.Tag)
		}
	}
	return pe, true
}
