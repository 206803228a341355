package dest

import (
	"slices"
	"strings"
	"testing"
)

func collect(x *Index[string], q string) []string {
	got := x.Collect(q, nil)
	slices.Sort(got)
	return got
}

// Subscription patterns as keys, concrete names as queries: delivery.
func TestIndexDelivery(t *testing.T) {
	x := NewIndex[string](true)
	for _, k := range []string{"a.b.c", "a.*.c", "a.>", "a.b.*", ">", "*", "*.b.>", "b", "$SYS.>", "$SYS.broker.*"} {
		x.Add(k, k)
	}
	cases := []struct {
		name string
		want string
	}{
		{"a.b.c", "> a.b.* a.> a.b.c *.b.> a.*.c"},
		{"a", "* > a.>"}, // "a.>" matches "a" [ActiveMQ wildcards; MQTT-4.7.1-2]
		{"a.b", "> a.> *.b.>"},
		{"b", "* > b"},
		{"x.y", ">"},
		{"$SYS.broker.load", "$SYS.> $SYS.broker.*"}, // leading wildcards never match $ topics [MQTT-4.7.2-1]
		{"$SYS", "$SYS.>"},
		{"c.b", "> *.b.>"},
	}
	for _, c := range cases {
		want := strings.Fields(c.want)
		slices.Sort(want)
		if got := collect(x, c.name); !slices.Equal(got, want) {
			t.Errorf("Match(%q) = %v, want %v", c.name, got, want)
		}
	}
}

// Concrete names as keys, patterns as queries: retained lookup.
func TestIndexRetainedLookup(t *testing.T) {
	x := NewIndex[string](true)
	for _, k := range []string{"sport", "sport.tennis", "sport.tennis.player1", "sport.golf", "news", "$SYS.uptime", "finance.sport"} {
		x.Add(k, k)
	}
	cases := []struct{ q, want string }{
		{"sport.>", "sport sport.tennis sport.tennis.player1 sport.golf"},
		{"sport.*", "sport.tennis sport.golf"},
		{"*", "sport news"},
		{">", "sport sport.tennis sport.tennis.player1 sport.golf news finance.sport"},
		{"*.sport", "finance.sport"},
		{"$SYS.*", "$SYS.uptime"},
		{"sport.tennis", "sport.tennis"},
		{"nothing.>", ""},
	}
	for _, c := range cases {
		want := strings.Fields(c.want)
		slices.Sort(want)
		if got := collect(x, c.q); !slices.Equal(got, want) {
			t.Errorf("Match(%q) = %v, want %v", c.q, got, want)
		}
	}
}

// Patterns on both sides: an ACL entry matters for a subscription when they
// intersect.
func TestIndexPatternOverlap(t *testing.T) {
	x := NewIndex[string](false)
	for _, k := range []string{"USERS.>", "USERS.*.inbox", "ADMIN.x", ">"} {
		x.Add(k, k)
	}
	cases := []struct{ q, want string }{
		{"USERS.>", "> USERS.> USERS.*.inbox"},
		{"USERS.*", "> USERS.>"},
		{"*.x", "> ADMIN.x USERS.>"},
		{"USERS.bob.inbox", "> USERS.> USERS.*.inbox"},
	}
	for _, c := range cases {
		want := strings.Fields(c.want)
		slices.Sort(want)
		if got := collect(x, c.q); !slices.Equal(got, want) {
			t.Errorf("Match(%q) = %v, want %v", c.q, got, want)
		}
	}
}

func TestIndexAddRemovePrunes(t *testing.T) {
	x := NewIndex[int](false)
	if !x.Add("a.b.c", 1) || x.Add("a.b.c", 1) {
		t.Fatal("Add must report new values only")
	}
	x.Add("a.b.c", 2)
	x.Add("a.>", 3)
	x.Add("a.>.ignored", 4) // segments after '>' are ignored
	if got := x.Get("a.>"); !slices.Equal(got, []int{3, 4}) {
		t.Fatalf("Get(a.>) = %v", got)
	}
	if x.Len() != 4 {
		t.Fatalf("Len = %d", x.Len())
	}
	for _, kv := range []struct {
		k string
		v int
	}{{"a.b.c", 1}, {"a.b.c", 2}, {"a.>", 3}, {"a.>", 4}} {
		if !x.Remove(kv.k, kv.v) {
			t.Fatalf("Remove(%s,%d) = false", kv.k, kv.v)
		}
	}
	if x.Remove("a.b.c", 1) {
		t.Fatal("second Remove must fail")
	}
	if !x.root.empty() || x.Len() != 0 {
		t.Fatalf("index not pruned: %+v", x.root)
	}
}

func TestMQTTMapping(t *testing.T) {
	cases := []struct{ mqtt, amq string }{
		{"devices/42/state", "devices.42.state"},
		{"sensors/#", "sensors.>"},
		{"+/b/+", "*.b.*"},
		{"a.b/c", "a/b.c"},
		{"plain", "plain"},
	}
	for _, c := range cases {
		if got := FromMQTT(c.mqtt); got != c.amq {
			t.Errorf("FromMQTT(%q) = %q, want %q", c.mqtt, got, c.amq)
		}
		if got := ToMQTT(c.amq); got != c.mqtt {
			t.Errorf("ToMQTT(%q) = %q, want %q", c.amq, got, c.mqtt)
		}
	}
}

func TestSTOMPMapping(t *testing.T) {
	cases := []struct {
		in   string
		want Destination
		err  bool
	}{
		{"/queue/orders", Q("orders"), false},
		{"/topic/devices.>", T("devices.>"), false},
		{"/topic/a/b", T("a/b"), false},
		{"/temp-queue/r1", Destination{TempQueue, "r1"}, false},
		{"/remote-temp-topic/ID:x:1", Destination{TempTopic, "ID:x:1"}, false},
		{"orders", Destination{}, true},
		{"/queue/", Destination{}, true},
	}
	for _, c := range cases {
		got, err := FromSTOMP(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("FromSTOMP(%q) = %v, %v", c.in, got, err)
		}
	}
	if s := Q("orders").STOMP(); s != "/queue/orders" {
		t.Errorf("STOMP() = %q", s)
	}
}

func TestParseAndValidate(t *testing.T) {
	if d, err := Parse("queue://orders", Topic); err != nil || d != Q("orders") {
		t.Errorf("Parse = %v %v", d, err)
	}
	if d, err := Parse("a.b", Topic); err != nil || d != T("a.b") {
		t.Errorf("Parse = %v %v", d, err)
	}
	ds, err := ParseList("FOO.A,topic://NOTIFY", Queue)
	if err != nil || len(ds) != 2 || ds[0] != Q("FOO.A") || ds[1] != T("NOTIFY") {
		t.Errorf("ParseList = %v %v", ds, err)
	}
	if err := ValidatePattern("PRICE.>.IBM"); err == nil {
		t.Error("'>' in the middle must be rejected")
	}
	if err := ValidatePattern("PRICE.*.IBM"); err != nil {
		t.Error(err)
	}
	if !IsWildcard("a.*") || IsWildcard("a*.b") || !IsWildcard(">") {
		t.Error("IsWildcard wrong")
	}
}

func BenchmarkIndexMatch(b *testing.B) {
	x := NewIndex[int](true)
	for i := 0; i < 1000; i++ {
		x.Add("devices."+string(rune('a'+i%26))+"."+strings.Repeat("x", i%7)+".state", i)
	}
	x.Add("devices.*.*.state", -1)
	x.Add("devices.>", -2)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		x.Match("devices.c.xxx.state", func(int) { n++ })
	}
	if n == 0 {
		b.Fatal("no match")
	}
}
