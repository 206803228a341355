package config

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Describe writes the effective configuration the way `hashi check` prints
// it: one section per concern, aligned columns, a stable order, and never a
// password (users show "plain" or "hashed", other secrets "set").
func Describe(w io.Writer, c *Config) {
	d := &describer{w: w}
	b := &c.Broker
	src := c.Source
	if src == "" {
		src = "(built-in default)"
	}
	d.section("broker")
	d.kv(
		"name", b.Name,
		"source", src,
		"data directory", b.DataDirectory,
		"persistent", onOff(b.Persistent),
		"advisory support", onOff(b.AdvisorySupport),
		"virtual topics", onOff(b.UseVirtualTopics),
		"scheduler support", onOff(b.SchedulerSupport),
		"destination purge", periodOrOff(b.SchedulePeriodForDestinationPurge)+maxPurged(b.MaxPurgedDestinationsPerSweep),
		"populate JMSXUserID", onOff(b.PopulateJMSXUserID),
		"start", onOff(b.Start),
	)
	d.transports(b)
	d.authentication(b.Authentication)
	d.authorization(b.Authorization)
	if len(b.OtherPlugins) > 0 {
		d.section("other plugins (parsed, not enforced)")
		d.line("  " + strings.Join(b.OtherPlugins, ", "))
	}
	d.policies(&b.Policy)
	d.section("system usage")
	u := b.SystemUsage
	mem := FormatSize(u.MemoryLimit)
	if u.MemoryPercentOfHeap > 0 {
		mem += fmt.Sprintf(" (percentOfJvmHeap %d ignored)", u.MemoryPercentOfHeap)
	}
	d.kv("memory", mem, "store", FormatSize(u.StoreLimit), "temp", FormatSize(u.TempLimit),
		"send fail if no space", onOff(u.SendFailIfNoSpace)+after(u.SendFailIfNoSpaceAfter))
	d.ssl(b.SSLContext)
	d.section("persistence")
	p := b.Persistence
	d.kv("adapter", p.Adapter, "directory", p.Directory, "journal sync", p.SyncMode)
	d.network(b.NetworkConnectors)
	d.destinations(b)
}

type describer struct {
	w     io.Writer
	first bool
}

func (d *describer) line(s string) { fmt.Fprintln(d.w, s) }

func (d *describer) section(title string) {
	if d.first {
		fmt.Fprintln(d.w)
	}
	d.first = true
	fmt.Fprintln(d.w, title)
}

// kv prints "  key   value" pairs aligned.
func (d *describer) kv(pairs ...string) { d.kvIndent("  ", pairs...) }

func (d *describer) kvIndent(indent string, pairs ...string) {
	var rows [][]string
	for i := 0; i+1 < len(pairs); i += 2 {
		rows = append(rows, []string{pairs[i], pairs[i+1]})
	}
	d.align(indent, rows)
}

// table prints a header and rows aligned, indented by two spaces.
func (d *describer) table(header []string, rows [][]string) {
	d.align("  ", append([][]string{header}, rows...))
}

// align writes rows as aligned columns (two spaces apart) without trailing
// blanks.
func (d *describer) align(indent string, rows [][]string) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s%s\t\n", indent, strings.Join(r, "\t"))
	}
	tw.Flush()
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line != "" {
			fmt.Fprintln(d.w, strings.TrimRight(line, " \n"))
		}
	}
}

func (d *describer) transports(b *Broker) {
	d.section(fmt.Sprintf("transport connectors (%d)", len(b.TransportConnectors)))
	if len(b.TransportConnectors) == 0 {
		d.line("  none: the broker accepts no client connections")
		return
	}
	var rows [][]string
	for _, tc := range b.TransportConnectors {
		tls := "no"
		if tc.TLS {
			tls = "yes"
			switch {
			case tc.NeedClientAuth:
				tls += ", client cert required"
			case tc.WantClientAuth:
				tls += ", client cert optional"
			}
		}
		var extra []string
		if tc.TCPKeepAlive {
			extra = append(extra, "keepAlive=true")
		}
		if tc.DefaultKeepAlive > 0 {
			extra = append(extra, "defaultKeepAlive="+ms(tc.DefaultKeepAlive))
		}
		if tc.MaxKeepAlive > 0 {
			extra = append(extra, "maxKeepAlive="+ms(tc.MaxKeepAlive))
		}
		if tc.DefaultHeartBeat != "" {
			extra = append(extra, "defaultHeartBeat="+tc.DefaultHeartBeat)
		}
		rows = append(rows, []string{tc.Name, string(tc.Protocol), tc.Addr, tls,
			limit(int64(tc.MaximumConnections), strconv.FormatInt(int64(tc.MaximumConnections), 10)),
			limit(tc.MaxFrameSize, FormatSize(tc.MaxFrameSize)), strings.Join(extra, " ")})
	}
	d.table([]string{"NAME", "PROTOCOL", "ADDRESS", "TLS", "MAX CONNECTIONS", "MAX FRAME", "OTHER"}, rows)
}

func (d *describer) authentication(a *Authentication) {
	d.section("authentication")
	if a == nil {
		d.line("  none: every client is accepted without credentials")
		return
	}
	anon := "not allowed"
	if a.AnonymousAccessAllowed {
		anon = fmt.Sprintf("allowed as user %q, group %q", a.AnonymousUser, a.AnonymousGroup)
	}
	pairs := []string{"plugin", a.Plugin, "anonymous", anon}
	if a.JAASConfiguration != "" {
		pairs = append(pairs, "jaas configuration", a.JAASConfiguration)
	}
	if a.UsersFile != "" {
		pairs = append(pairs, "users file", a.UsersFile)
	}
	if a.GroupsFile != "" {
		pairs = append(pairs, "groups file", a.GroupsFile)
	}
	d.kv(pairs...)
	if len(a.Users) == 0 {
		d.line("  no users")
		return
	}
	var rows [][]string
	for _, u := range a.Users {
		pw := "plain"
		switch {
		case u.Password == "":
			pw = "empty"
		case IsPasswordHash(u.Password):
			pw = "hashed"
		}
		rows = append(rows, []string{u.Name, pw, strings.Join(u.Groups, ",")})
	}
	d.table([]string{"USER", "PASSWORD", "GROUPS"}, rows)
}

func (d *describer) authorization(z *Authorization) {
	d.section("authorization")
	if z == nil {
		d.line("  none: every user may read, write and create every destination")
		return
	}
	var rows [][]string
	for _, e := range z.Entries {
		rows = append(rows, aclRow(e.Dest.Kind.String(), e.Dest.Name, &e))
	}
	if z.Default != nil {
		rows = append(rows, aclRow("default", "(every destination)", z.Default))
	}
	if z.Temp != nil {
		rows = append(rows, aclRow("temp", "(temporary destinations)", z.Temp))
	}
	if len(rows) > 0 {
		d.table([]string{"KIND", "PATTERN", "READ", "WRITE", "ADMIN"}, rows)
	}
	if len(z.Entries) == 0 && z.Default == nil {
		d.line("  no entries: every operation on a non-temporary destination is denied")
	}
	if z.Temp == nil {
		d.line("  temporary destinations: open to every user (no tempDestinationAuthorizationEntry)")
	}
}

func aclRow(kind, pattern string, a *ACL) []string {
	list := func(g []string) string {
		if len(g) == 0 {
			return "-"
		}
		return strings.Join(g, ",")
	}
	return []string{kind, pattern, list(a.Read), list(a.Write), list(a.Admin)}
}

func (d *describer) policies(m *PolicyMap) {
	d.section(fmt.Sprintf("destination policies (%d)", len(m.Entries)))
	var rows [][]string
	for _, e := range m.Entries {
		rows = append(rows, append([]string{e.Dest.Kind.String(), e.Dest.Name}, policySettings(&e)))
	}
	if m.Default != nil {
		rows = append(rows, []string{"default", "(no other match)", policySettings(m.Default)})
	}
	if len(rows) == 0 {
		d.line("  none: ActiveMQ defaults everywhere")
		return
	}
	d.table([]string{"KIND", "PATTERN", "SETTINGS"}, rows)
}

func policySettings(e *PolicyEntry) string {
	s := []string{"producerFlowControl=" + onOff(e.ProducerFlowControl)}
	if e.MemoryLimit > 0 {
		s = append(s, "memoryLimit="+FormatSize(e.MemoryLimit))
	}
	if e.SendFailIfNoSpace {
		s = append(s, "sendFailIfNoSpace=on"+after(e.SendFailIfNoSpaceAfter))
	}
	if e.GCInactiveDestinations {
		s = append(s, "gcInactiveDestinations=on after "+ms(e.InactiveTimeoutBeforeGC))
	}
	if e.PendingMessageLimit >= 0 {
		s = append(s, "pendingMessageLimit="+strconv.Itoa(e.PendingMessageLimit))
	}
	if e.QueuePrefetch > 0 {
		s = append(s, "queuePrefetch="+strconv.Itoa(e.QueuePrefetch))
	}
	if e.TopicPrefetch > 0 {
		s = append(s, "topicPrefetch="+strconv.Itoa(e.TopicPrefetch))
	}
	if e.ExpireMessagesPeriod != DefaultExpirePeriod {
		s = append(s, "expireMessagesPeriod="+ms(e.ExpireMessagesPeriod))
	}
	if e.ReplayWhenNoConsumers {
		s = append(s, "replayWhenNoConsumers=on delay "+ms(e.ReplayDelay))
	}
	if len(e.Attrs) > 0 {
		s = append(s, "other: "+attrList(e.Attrs))
	}
	return strings.Join(s, " ")
}

func (d *describer) ssl(s *SSLContext) {
	d.section("ssl context")
	if s == nil {
		d.line("  none")
		return
	}
	store := func(path, typ, pw string) string {
		if path == "" {
			return "-"
		}
		out := path + " (" + typ
		if pw != "" {
			out += ", password set"
		}
		return out + ")"
	}
	pairs := []string{
		"key store", store(s.KeyStore, s.KeyStoreType, s.KeyStorePassword),
		"trust store", store(s.TrustStore, s.TrustStoreType, s.TrustStorePassword),
	}
	if s.Protocol != "" {
		pairs = append(pairs, "protocol", s.Protocol)
	}
	if s.CRLPath != "" {
		pairs = append(pairs, "crl", s.CRLPath)
	}
	d.kv(pairs...)
}

func (d *describer) network(ncs []NetworkConnector) {
	d.section(fmt.Sprintf("network connectors (%d)", len(ncs)))
	for i, nc := range ncs {
		if i > 0 {
			d.line("")
		}
		d.line(fmt.Sprintf("  %q", nc.Name))
		var bridges []string
		for _, br := range nc.Bridges {
			bridges = append(bridges, strings.Join(br, " then "))
		}
		if len(bridges) == 0 {
			bridges = nc.Peers
		}
		user := nc.UserName
		switch {
		case user == "":
			user = "-"
		case nc.Password != "":
			user += " (password set)"
		default:
			user += " (password of the local user)"
		}
		r := nc.Reconnect
		backoff := "off"
		if r.UseExponentialBackOff {
			backoff = "x" + strconv.FormatFloat(r.BackOffMultiplier, 'g', -1, 64)
		}
		attempts := "unlimited"
		if r.MaxAttempts > 0 {
			attempts = strconv.Itoa(r.MaxAttempts)
		}
		pairs := []string{
			"mode", nc.Mode,
			"bridges", strings.Join(bridges, "; "),
			"duplex", onOff(nc.Duplex),
			"TTL", fmt.Sprintf("message %d, consumer %d", nc.MessageTTL, nc.ConsumerTTL),
			"conduit subscriptions", onOff(nc.ConduitSubscriptions),
			"dynamic only", onOff(nc.DynamicOnly),
			"decrease priority", onOff(nc.DecreaseNetworkConsumerPriority),
			"prefetch", strconv.Itoa(nc.PrefetchSize),
			"bridge temp dests", onOff(nc.BridgeTempDestinations),
			"static bridge", onOff(nc.StaticBridge),
			"always sync send", onOff(nc.AlwaysSyncSend),
			"demand grace", ms(nc.DemandGrace),
			"user", user,
			"reconnect", fmt.Sprintf("initial %s, max %s, backoff %s, attempts %s, min connect time %s",
				ms(r.InitialDelay), ms(r.MaxDelay), backoff, attempts, ms(r.MinConnectTime)),
			"excluded", destList(nc.Excluded),
			"dynamically included", destList(nc.DynamicallyIncluded),
			"statically included", destList(nc.StaticallyIncluded),
		}
		if len(nc.Attrs) > 0 {
			pairs = append(pairs, "other", attrList(nc.Attrs))
		}
		d.kvIndent("    ", pairs...)
	}
}

func (d *describer) destinations(b *Broker) {
	d.section(fmt.Sprintf("pre-created destinations (%d)", len(b.Destinations)))
	for _, r := range b.Destinations {
		d.line("  " + r.Dest.String())
	}
	d.section(fmt.Sprintf("virtual topics (%d)", len(b.VirtualTopics)))
	if len(b.VirtualTopics) == 0 {
		d.line("  none")
	}
	for _, v := range b.VirtualTopics {
		s := fmt.Sprintf("  topic %s -> queues %s<topic>", v.Name, v.Prefix)
		if v.Pos.Line == 0 {
			s += " (ActiveMQ default)"
		}
		d.line(s)
	}
	if len(b.Composites) > 0 {
		d.section(fmt.Sprintf("composite destinations (%d, not enforced)", len(b.Composites)))
		for _, c := range b.Composites {
			d.line(fmt.Sprintf("  %s -> %s", c.Dest, destList(c.ForwardTo)))
		}
	}
}

func destList(refs []DestRef) string {
	if len(refs) == 0 {
		return "-"
	}
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.Dest.String()
	}
	return strings.Join(s, ", ")
}

// attrList renders attributes sorted, hiding anything that looks like a secret.
func attrList(m map[string]string) string {
	var s []string
	for _, k := range sortedKeys(m) {
		v := m[k]
		if strings.Contains(strings.ToLower(k), "password") {
			v = "(set)"
		}
		s = append(s, k+"="+v)
	}
	return strings.Join(s, " ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func limit(n int64, s string) string {
	if n == 0 {
		return "-"
	}
	return s
}

func periodOrOff(d time.Duration) string {
	if d <= 0 {
		return "off"
	}
	return "every " + ms(d)
}

func maxPurged(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(", at most %d per sweep", n)
}

func after(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return " after " + ms(d)
}
