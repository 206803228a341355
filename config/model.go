// Package config holds Hashi's configuration as plain typed values: what an
// activemq.xml file says, after placeholders are resolved and defaults applied.
// The xml package fills it in; broker and network receive it and never look at
// XML. Validate reports every problem at once, each with its file position.
package config

import (
	"time"

	"github.com/hashi-broker/hashi/broker/dest"
)

// Pos is a position in a configuration file.
type Pos struct {
	File string
	Line int
	Col  int
}

// Config is one loaded configuration file.
type Config struct {
	Source string // path of the file ("" for the embedded default)
	Broker Broker
}

// Broker is the <broker> element.
type Broker struct {
	Pos                               Pos
	Name                              string // brokerName, default "localhost"
	DataDirectory                     string // absolute or relative to the working directory
	Persistent                        bool   // default true
	UseJMX                            bool
	AdvisorySupport                   bool // default true
	SchedulerSupport                  bool
	SchedulePeriodForDestinationPurge time.Duration // 0 = no GC sweeps
	MaxPurgedDestinationsPerSweep     int
	UseVirtualTopics                  bool // default true
	NetworkConnectorStartAsync        bool
	PopulateJMSXUserID                bool
	Start                             bool              // default true
	Attrs                             map[string]string // every attribute as written, for `hashi check` and diffs

	TransportConnectors []TransportConnector
	Authentication      *Authentication // nil: no authentication plugin
	Authorization       *Authorization  // nil: no authorization plugin
	OtherPlugins        []string        // plugin element names that are parsed but not enforced
	Policy              PolicyMap
	SystemUsage         SystemUsage
	SSLContext          *SSLContext // nil: none configured
	Persistence         Persistence
	NetworkConnectors   []NetworkConnector
	Destinations        []DestRef // pre-created destinations (<destinations>)
	VirtualTopics       []VirtualTopic
	Composites          []CompositeDestination // compositeQueue/compositeTopic: parsed, not enforced yet
}

// Protocol is what a transport connector speaks.
type Protocol string

const (
	ProtoMQTT  Protocol = "mqtt"
	ProtoSTOMP Protocol = "stomp"
	ProtoAuto  Protocol = "auto" // sniff MQTT/STOMP (tcp://, ssl://, nio://, auto://)
	ProtoWS    Protocol = "ws"   // WebSocket carrying MQTT or STOMP
	ProtoAMQP  Protocol = "amqp" // parsed, not served (warning)
)

// TransportConnector is one <transportConnector>.
type TransportConnector struct {
	Pos                Pos
	Name               string
	URI                string // as written
	Scheme             string // e.g. "mqtt+ssl"
	Protocol           Protocol
	TLS                bool
	Addr               string // host:port to listen on; "0.0.0.0" kept as written
	MaximumConnections int    // 0 = unlimited
	MaxFrameSize       int64  // wireFormat.maxFrameSize / maxDataLength; 0 = protocol default
	NeedClientAuth     bool
	WantClientAuth     bool
	TCPKeepAlive       bool          // transport.keepAlive: TCP keep-alive probes on accepted sockets (default off, as in ActiveMQ)
	DefaultKeepAlive   time.Duration // MQTT: applied when a client asks for 0
	MaxKeepAlive       time.Duration // Hashi: the longest keepalive a client may ask for (0 = no cap)
	DefaultHeartBeat   string        // STOMP transport.defaultHeartBeat "cx,cy"
	Options            map[string]string
	Attrs              map[string]string // other <transportConnector> attributes as written (updateClusterClients, ...)
}

// User is a broker user from simpleAuthenticationPlugin or users.properties.
type User struct {
	Pos      Pos
	Name     string
	Password string // plain text or a hash ("$2a$..." bcrypt, "$argon2id$...")
	Groups   []string
}

// Authentication is the configured authentication plugin.
type Authentication struct {
	Pos                    Pos
	Plugin                 string // "simpleAuthenticationPlugin" or "jaasAuthenticationPlugin"
	AnonymousAccessAllowed bool
	AnonymousUser          string // default "anonymous"
	AnonymousGroup         string // default "anonymous"
	Users                  []User
	// JAAS properties files, resolved to absolute paths (empty for the simple plugin).
	JAASConfiguration string // login.config ("" when users/groups.properties sit beside the config file)
	JAASEntry         string // the configuration= entry used in login.config, e.g. "activemq"
	UsersFile         string
	GroupsFile        string
}

// ACL is one authorizationEntry (or the default / temp entry).
type ACL struct {
	Pos   Pos
	Dest  dest.Destination // pattern; Kind from the queue=/topic=/tempQueue=/tempTopic= attribute
	Read  []string         // group names, trimmed; "*" means everyone
	Write []string
	Admin []string
}

// Authorization is the authorizationPlugin's map.
type Authorization struct {
	Pos     Pos
	Entries []ACL
	Default *ACL // defaultEntry, unioned into every lookup
	Temp    *ACL // tempDestinationAuthorizationEntry; nil = temp destinations open to all
}

// PolicyEntry is one policyEntry. Zero values of optional fields mean "not set".
type PolicyEntry struct {
	Pos                     Pos
	Dest                    dest.Destination // pattern
	ProducerFlowControl     bool             // default true
	MemoryLimit             int64            // bytes, 0 = share of systemUsage memory
	SendFailIfNoSpace       bool
	SendFailIfNoSpaceAfter  time.Duration
	GCInactiveDestinations  bool
	InactiveTimeoutBeforeGC time.Duration // default 60 s
	PendingMessageLimit     int           // constantPendingMessageLimitStrategy limit; -1 = not set
	QueuePrefetch           int           // 0 = not set
	TopicPrefetch           int
	ExpireMessagesPeriod    time.Duration
	ReplayWhenNoConsumers   bool          // conditionalNetworkBridgeFilterFactory
	ReplayDelay             time.Duration // default 0 (ActiveMQ: 0)
	Attrs                   map[string]string
}

// PolicyMap is the destinationPolicy.
type PolicyMap struct {
	Entries []PolicyEntry
	Default *PolicyEntry
}

// SystemUsage bounds memory and disk.
type SystemUsage struct {
	Pos                    Pos   // the inner <systemUsage> (zero when not configured)
	MemoryLimit            int64 // bytes; default 1 GiB when unset (ActiveMQ's built-in default)
	MemoryPercentOfHeap    int   // percentOfJvmHeap as written (Hashi uses MemoryLimit)
	StoreLimit             int64 // default 100 GiB
	TempLimit              int64 // default 50 GiB
	SendFailIfNoSpace      bool
	SendFailIfNoSpaceAfter time.Duration
}

// SSLContext is the broker-wide TLS material. Paths are absolute (the loader
// resolves "file:" prefixes and paths relative to the config file's folder).
type SSLContext struct {
	Pos                 Pos
	KeyStore            string
	KeyStorePassword    string
	KeyStoreKeyPassword string
	KeyStoreType        string // "pem" (default when the file is PEM), "pkcs12", "jks"
	TrustStore          string
	TrustStorePassword  string
	TrustStoreType      string
	// The remaining attributes of ActiveMQ's sslContext, as written.
	KeyStoreAlgorithm     string
	TrustStoreAlgorithm   string
	Protocol              string // "TLS" when unset
	Provider              string
	SecureRandomAlgorithm string
	CRLPath               string // absolute, like the stores
}

// Persistence is the persistenceAdapter.
type Persistence struct {
	Pos       Pos
	Adapter   string // "kahaDB" (default), "memoryPersistenceAdapter", "jdbcPersistenceAdapter", ...
	Directory string // absolute or relative to the working directory
	SyncMode  string // journalDiskSyncStrategy: "always" (default), "periodic", "never"
	Attrs     map[string]string
}

// Reconnect holds the discovery agent's reconnect options.
type Reconnect struct {
	InitialDelay          time.Duration // 1 s
	MaxDelay              time.Duration // 30 s
	UseExponentialBackOff bool          // true
	BackOffMultiplier     float64       // 2
	MaxAttempts           int           // 0 = unlimited
	MinConnectTime        time.Duration // 5 s
}

// NetworkConnector is one <networkConnector>.
type NetworkConnector struct {
	Pos   Pos
	Name  string   // default "NC"
	URI   string   // as written
	Mode  string   // "static" or "masterslave"
	Peers []string // one entry per bridge for static; the ordered pair/list for masterslave
	// Bridges is the dial plan: per bridge, the peer URIs to try in order.
	// static:(a,b) gives [[a] [b]]; masterslave:(a,b) gives [[a b]]; a
	// failover:(c,d) nested in static gives one bridge [c d] (and Peers then
	// lists every URI flat, in order).
	Bridges                         [][]string
	Reconnect                       Reconnect
	Duplex                          bool
	MessageTTL                      int // default 1; -1 unlimited
	ConsumerTTL                     int // default 1
	ConduitSubscriptions            bool
	DynamicOnly                     bool
	DecreaseNetworkConsumerPriority bool
	PrefetchSize                    int // default 1000
	UserName                        string
	Password                        string // empty: use the local user of the same name
	RemoteUserName                  string // remoteUserName: credentials for the remote side (default UserName)
	RemotePassword                  string
	BridgeTempDestinations          bool // default true
	StaticBridge                    bool
	AlwaysSyncSend                  bool          // default true
	DemandGrace                     time.Duration // Hashi: how long remote demand outlives a broken link (60 s)
	Excluded                        []DestRef
	DynamicallyIncluded             []DestRef
	StaticallyIncluded              []DestRef
	Attrs                           map[string]string
}

// DestRef is a <queue physicalName=".."/> or <topic physicalName=".."/>.
type DestRef struct {
	Pos  Pos
	Dest dest.Destination
}

// VirtualTopic is a virtual topic mapping; the default (when none is configured
// and useVirtualTopics is true) is Name "VirtualTopic.>", Prefix "Consumer.*.".
// The loader adds that default mapping itself (with a zero Pos) when the file
// declares no virtualDestinationInterceptor, so after loading an empty list
// means "no virtual topics".
type VirtualTopic struct {
	Pos    Pos
	Name   string
	Prefix string
	Attrs  map[string]string // other attributes as written (selectorAware, local, ...)
}

// CompositeDestination is a compositeQueue or compositeTopic: sends to Dest are
// forwarded to every ForwardTo destination. Parsed, not enforced yet.
type CompositeDestination struct {
	Pos         Pos
	Dest        dest.Destination
	ForwardOnly bool // default true: Dest itself keeps nothing
	ForwardTo   []DestRef
	Attrs       map[string]string
}
