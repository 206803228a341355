package config

import (
	"path/filepath"
	"time"
)

// Built-in defaults, as ActiveMQ 5.18 has them (reference §1.3, §5.2, §7).
const (
	DefaultBrokerName    = "localhost"
	DefaultDataDirectory = "activemq-data" // ActiveMQ's BrokerService default, relative to the working directory
	DefaultMemoryLimit   = 1 << 30         // systemUsage memoryUsage: 1 GiB
	DefaultStoreLimit    = 100 << 30       // storeUsage: 100 GiB
	DefaultTempLimit     = 50 << 30        // tempUsage: 50 GiB
	DefaultAnonymousUser = "anonymous"
	DefaultNCName        = "NC" // networkConnector name in ActiveMQ's code (its docs say "bridge")
	DefaultPrefetchSize  = 1000
	DefaultDemandGrace   = 60 * time.Second
	DefaultInactiveGC    = 60 * time.Second // policyEntry inactiveTimeoutBeforeGC
	DefaultExpirePeriod  = 30 * time.Second // policyEntry expireMessagesPeriod
	DefaultKahaDBSubdir  = "kahadb"
)

// NewBroker returns a Broker holding ActiveMQ's defaults and nothing else: no
// connectors, no plugins, kahaDB persistence under the data directory.
func NewBroker() Broker {
	return Broker{
		Name:             DefaultBrokerName,
		DataDirectory:    DefaultDataDirectory,
		Persistent:       true,
		UseJMX:           true,
		AdvisorySupport:  true,
		UseVirtualTopics: true,
		Start:            true,
		Attrs:            map[string]string{},
		SystemUsage:      NewSystemUsage(),
		Persistence: Persistence{
			Adapter:   "kahaDB",
			Directory: filepath.Join(DefaultDataDirectory, DefaultKahaDBSubdir),
			SyncMode:  "always",
			Attrs:     map[string]string{},
		},
	}
}

// NewSystemUsage returns ActiveMQ's built-in limits: memory 1 GiB, store
// 100 GiB, temp 50 GiB.
func NewSystemUsage() SystemUsage {
	return SystemUsage{
		MemoryLimit: DefaultMemoryLimit,
		StoreLimit:  DefaultStoreLimit,
		TempLimit:   DefaultTempLimit,
	}
}

// NewPolicyEntry returns a policyEntry with ActiveMQ's defaults for dest.
func NewPolicyEntry() PolicyEntry {
	return PolicyEntry{
		ProducerFlowControl:     true,
		InactiveTimeoutBeforeGC: DefaultInactiveGC,
		PendingMessageLimit:     -1,
		ExpireMessagesPeriod:    DefaultExpirePeriod,
		Attrs:                   map[string]string{},
	}
}

// NewAuthentication returns an authentication plugin with ActiveMQ's
// anonymous defaults (anonymous access off, user and group "anonymous").
func NewAuthentication(plugin string) *Authentication {
	return &Authentication{
		Plugin:         plugin,
		AnonymousUser:  DefaultAnonymousUser,
		AnonymousGroup: DefaultAnonymousUser,
	}
}

// DefaultReconnect returns the static discovery agent's defaults: 1 s
// initial delay doubling up to 30 s, unlimited attempts, 5 s minimum
// connect time.
func DefaultReconnect() Reconnect {
	return Reconnect{
		InitialDelay:          time.Second,
		MaxDelay:              30 * time.Second,
		UseExponentialBackOff: true,
		BackOffMultiplier:     2,
		MaxAttempts:           0,
		MinConnectTime:        5 * time.Second,
	}
}

// NewNetworkConnector returns a networkConnector with ActiveMQ 5.18's
// defaults (decreaseNetworkConsumerPriority is true since 5.18.0) plus
// Hashi's demandGrace.
func NewNetworkConnector() NetworkConnector {
	return NetworkConnector{
		Name:                            DefaultNCName,
		Reconnect:                       DefaultReconnect(),
		MessageTTL:                      1,
		ConsumerTTL:                     1,
		ConduitSubscriptions:            true,
		DecreaseNetworkConsumerPriority: true,
		PrefetchSize:                    DefaultPrefetchSize,
		BridgeTempDestinations:          true,
		AlwaysSyncSend:                  true,
		DemandGrace:                     DefaultDemandGrace,
		Attrs:                           map[string]string{},
	}
}

// DefaultVirtualTopic is ActiveMQ's built-in virtual topic mapping, active
// when useVirtualTopics is true and no virtualDestinationInterceptor is
// configured.
func DefaultVirtualTopic() VirtualTopic {
	return VirtualTopic{Name: "VirtualTopic.>", Prefix: "Consumer.*."}
}
