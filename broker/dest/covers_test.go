package dest

import "testing"

func TestCovers(t *testing.T) {
	cases := []struct {
		p, q string
		want bool
	}{
		{">", "a.b", true},
		{"a.>", "a", true},
		{"a.>", "a.b.*", true},
		{"a.*", "a.>", false},
		{"a.*", "a.b", true},
		{"a.b", "a.*", false},
		{"a.b", "a.b", true},
		{"a.*.c", "a.b.c", true},
		{"a.*.c", "a.b", false},
		{"a.b.>", "a.b", true},
		{"a.b.c", "a.b", false},
		{"*", "a.b", false},
	}
	for _, c := range cases {
		if got := Covers(c.p, c.q); got != c.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.p, c.q, got, c.want)
		}
	}
}

// ActiveMQ's policy rule: FOO.> beats >, an exact name beats both.
func TestMoreSpecific(t *testing.T) {
	if !MoreSpecific("FOO.>", ">") || MoreSpecific(">", "FOO.>") {
		t.Error("FOO.> must beat >")
	}
	if !MoreSpecific("FOO.BAR", "FOO.>") {
		t.Error("exact must beat wildcard")
	}
	if !MoreSpecific("a.b.*", "a.*.c") && !MoreSpecific("a.*.c", "a.b.*") {
		t.Log("tie broken by literal count: equal here")
	}
}
