package xml

import (
	"strings"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/config"
)

// brokerAttrs lists the other attributes of ActiveMQ 5.17's <broker> (XSD):
// they are kept in Broker.Attrs; values are checked where the type is plain.
var brokerAttrs = kinds(map[attrKind][]string{
	attrBool: {"adjustUsageLimits", "allowTempAutoCreationOnSend", "anonymousProducerAdvisorySupport",
		"cacheTempDestinations", "dedicatedTaskRunner", "deleteAllMessagesOnStartup",
		"enableMessageExpirationOnActiveDurableSubs", "enableStatistics", "keepDurableSubsActive",
		"monitorConnectionSplits", "passiveSlave", "populateUserNameInMBeans", "rejectDurableConsumers",
		"restartAllowed", "rollbackOnlyOnAsyncException", "shutdownOnMasterFailure", "shutdownOnSlaveFailure",
		"splitSystemUsageForProducersConsumers", "startAsync", "systemExitOnShutdown",
		"useAuthenticatedPrincipalForJMSXUserID", "useLocalHostBrokerName", "useLoggingForShutdownErrors",
		"useMirroredQueues", "useShutdownHook", "useTempMirroredQueues", "useVirtualDestSubs",
		"useVirtualDestSubsOnCreation", "waitForSlave"},
	attrInt: {"consumerSystemUsagePortion", "producerSystemUsagePortion", "maxSchedulerRepeatAllowed",
		"persistenceThreadPriority", "taskRunnerPriority", "systemExitOnShutdownExitCode",
		"storeOpenWireVersion", "diskUsageCheckRegrowThreshold", "maxUncommittedCount"},
	attrMillis: {"offlineDurableSubscriberTaskSchedule", "offlineDurableSubscriberTimeout",
		"timeBeforePurgeTempDestinations", "mbeanInvocationTimeout", "schedulePeriodForDiskUsageCheck",
		"waitForSlaveTimeout"},
	attrKeep: {"brokerId", "schedulerDirectory", "tmpDataDirectory", "vmConnectorURI", "dataDirectoryFile",
		"schedulerDirectoryFile", "brokerObjectName"},
	// Properties that take a Spring bean reference ("#name"): not supported.
	attrRef: {"adminView", "brokerContext", "consumerSystemUsage", "destinationFactory",
		"destinationPolicy", "ioExceptionHandler", "jobSchedulerStore", "managementContext",
		"messageAuthorizationPolicy", "persistenceAdapter", "persistenceFactory",
		"persistenceTaskRunnerFactory", "producerSystemUsage", "regionBroker", "sslContext",
		"startException", "systemUsage", "taskRunnerFactory", "tempDataStore"},
})

// unsupportedBrokerChildren are <broker> children Hashi does not implement.
var unsupportedBrokerChildren = map[string]string{
	"services":                     "broker services",
	"jmsBridgeConnectors":          "JMS bridges",
	"proxyConnectors":              "proxy connectors",
	"persistenceFactory":           "journaled JDBC persistence",
	"producerSystemUsage":          "split producer usage",
	"consumerSystemUsage":          "split consumer usage",
	"tempDataStore":                "a custom temp store",
	"ioExceptionHandler":           "IO exception handlers",
	"jobSchedulerStore":            "a custom job scheduler store",
	"networkConnectorURIs":         "networkConnectorURIs (use <networkConnectors>)",
	"transportConnectorURIs":       "transportConnectorURIs (use <transportConnectors>)",
	"persistenceTaskRunnerFactory": "task runner factories",
	"taskRunnerFactory":            "task runner factories",
	"messageAuthorizationPolicy":   "message authorization policies",
	"brokerContext":                "a broker context",
	"regionBroker":                 "a custom region broker",
	"adminView":                    "a custom admin view",
	"destinationFactory":           "a custom destination factory",
	"startException":               "startException",
	"brokerObjectName":             "JMX object names",
	"dataDirectoryFile":            "dataDirectoryFile (use dataDirectory=)",
	"tmpDataDirectory":             "tmpDataDirectory",
	"schedulerDirectoryFile":       "schedulerDirectoryFile",
}

// broker reads the <broker> element.
func (l *loader) broker(e *etree.Element, b *config.Broker) {
	b.Pos = l.pos.elem(e)
	a := l.attrs(e, "broker")
	a.strTo("brokerName", &b.Name)
	a.strTo("dataDirectory", &b.DataDirectory)
	a.boolean("persistent", &b.Persistent)
	a.boolean("useJmx", &b.UseJMX)
	a.boolean("advisorySupport", &b.AdvisorySupport)
	a.boolean("schedulerSupport", &b.SchedulerSupport)
	a.millis("schedulePeriodForDestinationPurge", &b.SchedulePeriodForDestinationPurge)
	a.integer("maxPurgedDestinationsPerSweep", &b.MaxPurgedDestinationsPerSweep)
	a.boolean("useVirtualTopics", &b.UseVirtualTopics)
	a.boolean("networkConnectorStartAsync", &b.NetworkConnectorStartAsync)
	a.boolean("populateJMSXUserID", &b.PopulateJMSXUserID)
	a.boolean("start", &b.Start)
	a.finish(brokerAttrs, nil)
	for _, k := range a.order {
		b.Attrs[k] = a.raw[k] // every attribute as written
	}
	seen := map[string]config.Pos{}
	for _, c := range l.children(e) {
		pos := l.pos.elem(c)
		switch c.Tag {
		case "systemUsage", "sslContext", "persistenceAdapter", "destinationPolicy":
			if prev, dup := seen[c.Tag]; dup {
				l.warnf(pos, "second <%s> (the first is at %s); this one replaces it", c.Tag, prev)
			}
			seen[c.Tag] = pos
		}
		switch c.Tag {
		case "transportConnectors":
			l.transportConnectors(c, b)
		case "networkConnectors":
			l.networkConnectors(c, b)
		case "plugins":
			l.plugins(c, b)
		case "destinationPolicy":
			l.destinationPolicy(c, b)
		case "systemUsage":
			l.systemUsage(c, b)
		case "sslContext":
			l.sslContext(c, b)
		case "persistenceAdapter":
			l.persistenceAdapter(c, b)
		case "destinations":
			b.Destinations = append(b.Destinations, l.destRefs(c, "destinations", true)...)
		case "destinationInterceptors":
			l.destinationInterceptors(c, b)
		case "managementContext":
			// JMX is not applicable to Hashi: ignored without a warning.
		case "shutdownHooks":
			l.warnf(pos, "<shutdownHooks> not supported (Hashi has no Spring context to stop); ignored")
		default:
			if what, ok := unsupportedBrokerChildren[c.Tag]; ok {
				l.warnf(pos, "<%s> not supported (%s); ignored", c.Tag, what)
			} else {
				l.warnf(pos, "unknown element <%s> in <broker>; ignored", c.Tag)
			}
		}
	}
}

var usageAttrs = kinds(map[attrKind][]string{
	attrKeep:   {"name", "limiter", "parent", "executor", "store", "usage", "portion", "usagePortion", "pollingTime", "percentUsageMinDelta", "percentUsage", "percentLimit", "total"},
	attrIgnore: {"adapter", "checkLimitsLogLevel", "jobSchedulerStore", "tempStore", "sendFailIfNoSpaceExplicitySet"},
})

// systemUsage reads <systemUsage><systemUsage ...>.
func (l *loader) systemUsage(prop *etree.Element, b *config.Broker) {
	e := l.wrapped(prop)
	if e == nil {
		return
	}
	u := config.NewSystemUsage()
	u.Pos = l.pos.elem(e)
	a := l.attrs(e, "systemUsage")
	a.boolean("sendFailIfNoSpace", &u.SendFailIfNoSpace)
	a.millis("sendFailIfNoSpaceAfterTimeout", &u.SendFailIfNoSpaceAfter)
	a.finish(usageAttrs, nil)
	for _, c := range l.children(e) {
		switch c.Tag {
		case "memoryUsage", "storeUsage", "tempUsage":
			in := l.wrapped(c)
			if in == nil {
				continue
			}
			ua := l.attrs(in, c.Tag)
			switch c.Tag {
			case "memoryUsage":
				hasLimit := ua.size("limit", &u.MemoryLimit)
				if ua.integer("percentOfJvmHeap", &u.MemoryPercentOfHeap) && !hasLimit {
					l.warnf(ua.pos("percentOfJvmHeap"), "memoryUsage: percentOfJvmHeap has no JVM heap to refer to in Hashi; the memory limit stays %s (set limit= instead)", config.FormatSize(u.MemoryLimit))
				}
			case "storeUsage":
				ua.size("limit", &u.StoreLimit)
			case "tempUsage":
				ua.size("limit", &u.TempLimit)
			}
			ua.finish(usageAttrs, nil)
		case "jobSchedulerUsage":
			l.warnf(l.pos.elem(c), "<jobSchedulerUsage> not supported (no job scheduler store); ignored")
		default:
			l.warnf(l.pos.elem(c), "unknown element <%s> in <systemUsage>; ignored", c.Tag)
		}
	}
	b.SystemUsage = u
}

var sslAttrs = kinds(map[attrKind][]string{attrRef: {"SSLContext", "secureRandom"}})

// sslContext reads <sslContext><sslContext keyStore=... /></sslContext>.
func (l *loader) sslContext(prop *etree.Element, b *config.Broker) {
	e := l.wrapped(prop)
	if e == nil {
		return
	}
	s := &config.SSLContext{Pos: l.pos.elem(e)}
	a := l.attrs(e, "sslContext")
	store := func(attr string, dst *string) {
		if v, ok := a.str(attr); ok && v != "" {
			if strings.HasPrefix(v, "classpath:") {
				l.errorf(a.pos(attr), "sslContext: %s %q: classpath resources are not supported; give a file path", attr, v)
				return
			}
			*dst = l.path(v)
		}
	}
	store("keyStore", &s.KeyStore)
	store("trustStore", &s.TrustStore)
	store("crlPath", &s.CRLPath)
	a.strTo("keyStorePassword", &s.KeyStorePassword)
	a.strTo("keyStoreKeyPassword", &s.KeyStoreKeyPassword)
	a.strTo("trustStorePassword", &s.TrustStorePassword)
	a.strTo("keyStoreAlgorithm", &s.KeyStoreAlgorithm)
	a.strTo("trustStoreAlgorithm", &s.TrustStoreAlgorithm)
	a.strTo("protocol", &s.Protocol)
	a.strTo("provider", &s.Provider)
	a.strTo("secureRandomAlgorithm", &s.SecureRandomAlgorithm)
	s.KeyStoreType = storeType(a, "keyStoreType", s.KeyStore)
	s.TrustStoreType = storeType(a, "trustStoreType", s.TrustStore)
	a.finish(sslAttrs, nil)
	for _, c := range l.children(e) {
		l.warnf(l.pos.elem(c), "unknown element <%s> in <sslContext>; ignored", c.Tag)
	}
	b.SSLContext = s
}

// storeType is the keyStoreType/trustStoreType attribute (lower-cased) or a
// guess from the file's extension: .p12/.pfx are PKCS#12, .jks/.ks/.ts are
// JKS, anything else PEM.
func storeType(a *attrReader, attr, path string) string {
	if v, ok := a.str(attr); ok && v != "" {
		return strings.ToLower(v)
	}
	if path == "" {
		return ""
	}
	lower := strings.ToLower(path)
	for _, ext := range []string{".p12", ".pfx"} {
		if strings.HasSuffix(lower, ext) {
			return "pkcs12"
		}
	}
	for _, ext := range []string{".jks", ".ks", ".ts", ".keystore", ".truststore"} {
		if strings.HasSuffix(lower, ext) {
			return "jks"
		}
	}
	return "pem"
}

var kahaDBAttrs = kinds(map[attrKind][]string{
	attrBool: {"archiveCorruptedIndex", "archiveDataLogs", "checkForCorruptJournalFiles", "checksumJournalFiles",
		"cleanupOnStop", "compactAcksAfterNoGC", "compactAcksIgnoresStoreGrowth", "concurrentStoreAndDispatchQueues",
		"concurrentStoreAndDispatchTopics", "enableAckCompaction", "enableIndexDiskSyncs", "enableIndexPageCaching",
		"enableIndexRecoveryFile", "enableIndexWriteAsync", "enableSubscriptionStatistics", "forceRecoverIndex",
		"ignoreMissingJournalfiles", "useIndexLFRUEviction", "useLock", "stopOnError", "createTransactionStore",
		"useExternalMessageReferences"},
	attrInt: {"indexCacheSize", "indexWriteBatchSize", "maxAsyncJobs", "failoverProducersAuditDepth",
		"maxFailoverProducersToTrack", "databaseLockedWaitDelay"},
	attrMillis: {"checkpointInterval", "cleanupInterval", "journalDiskSyncInterval", "lockKeepAlivePeriod"},
	attrSize:   {"journalMaxFileLength", "journalMaxWriteBatchSize"},
	attrKeep: {"brokerName", "brokerService", "directoryArchive", "indexDirectory", "indexLFUEvictionFactor",
		"preallocationScope", "preallocationStrategy", "purgeRecoveredXATransactionStrategy",
		"scheduledThreadPoolExecutor", "transactionIdTransformer", "usageManager", "locker"},
})

// persistenceAdapter reads <persistenceAdapter><kahaDB .../></persistenceAdapter>.
func (l *loader) persistenceAdapter(prop *etree.Element, b *config.Broker) {
	e := l.wrapped(prop)
	if e == nil {
		return
	}
	p := config.Persistence{Pos: l.pos.elem(e), Adapter: e.Tag, SyncMode: "always", Attrs: map[string]string{}}
	l.persistenceDirSet = false
	a := l.attrs(e, e.Tag)
	dir := func(attr string) {
		if v, ok := a.str(attr); ok && v != "" {
			p.Directory = v
			l.persistenceDirSet = true
		}
	}
	switch e.Tag {
	case "kahaDB":
		dir("directory")
		if v, ok := a.str("journalDiskSyncStrategy"); ok {
			p.SyncMode = strings.ToLower(strings.TrimSpace(v))
		} else {
			var syncs = true
			if a.boolean("enableJournalDiskSyncs", &syncs) && !syncs {
				p.SyncMode = "never" // what the deprecated flag maps to
			}
		}
		a.finish(kahaDBAttrs, p.Attrs)
		for _, c := range l.children(e) {
			l.warnf(l.pos.elem(c), "kahaDB: <%s> not supported (Hashi takes a plain file lock on its store); ignored", c.Tag)
		}
	case "memoryPersistenceAdapter":
		a.finish(kahaDBAttrs, p.Attrs)
		l.persistenceDirSet = true
	default:
		dir("directory")
		if !l.persistenceDirSet {
			dir("dataDirectory")
		}
		for _, k := range a.order {
			a.used[k] = true
			p.Attrs[k] = a.vals[k]
		}
		l.warnf(p.Pos, "persistence adapter <%s> is not supported: Hashi keeps messages in its own store (under the data directory); its settings are ignored", e.Tag)
	}
	b.Persistence = p
}

// destRefs reads <queue physicalName=".."/> and <topic physicalName=".."/>
// children of e.
func (l *loader) destRefs(e *etree.Element, what string, temps bool) []config.DestRef {
	var out []config.DestRef
	for _, c := range l.children(e) {
		kind, ok := kindOf(c.Tag)
		if !ok || (kind.IsTemp() && !temps) {
			l.warnf(l.pos.elem(c), "%s: unexpected <%s> (want <queue> or <topic>); ignored", what, c.Tag)
			continue
		}
		if kind.IsTemp() {
			l.warnf(l.pos.elem(c), "%s: <%s> cannot be pre-created (temporary destinations belong to a connection); ignored", what, c.Tag)
			continue
		}
		a := l.attrs(c, what+" <"+c.Tag+">")
		name, ok := a.str("physicalName")
		if !ok {
			if !a.has("physicalName") {
				l.errorf(l.pos.elem(c), "%s: <%s> needs a physicalName", what, c.Tag)
			}
			continue
		}
		a.finish(kinds(map[attrKind][]string{attrWarnSet: {"name", "properties", "DLQ", "compositeDestinations"}}), nil)
		out = append(out, config.DestRef{Pos: l.pos.elem(c), Dest: destOf(kind, name)})
	}
	return out
}
