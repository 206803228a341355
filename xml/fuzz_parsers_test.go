package xml

import (
	"strings"
	"testing"
)

// FuzzProperties feeds arbitrary text to the Java .properties parser: it
// must never panic, and every key it returns must come from the input.
func FuzzProperties(f *testing.F) {
	f.Add("a=b\nc: d\n# comment\n! other\nlong = one \\\n  two\nesc=\\u0041\\t\\n")
	f.Add("key\\ with\\ spaces = v\n\\\n")
	f.Fuzz(func(t *testing.T, data string) {
		for _, p := range parseProperties(data) {
			if len(p.key) > len(data)+1 {
				t.Fatalf("key %q longer than the input", p.key)
			}
		}
	})
}

// FuzzLoginConfig feeds arbitrary text to the JAAS login.config parser: it
// must never panic, and errors must name a position inside the input.
func FuzzLoginConfig(f *testing.F) {
	f.Add(`activemq { org.apache.activemq.jaas.PropertiesLoginModule required
  org.apache.activemq.jaas.properties.user="users.properties"
  org.apache.activemq.jaas.properties.group="groups.properties"; };`)
	f.Add("a { b sufficient; }; /* c */ // d\n")
	f.Fuzz(func(t *testing.T, src string) {
		_, err := parseLoginConfig(src)
		if err != nil && err.line > strings.Count(src, "\n")+1 {
			t.Fatalf("error at line %d of a %d-line input", err.line, strings.Count(src, "\n")+1)
		}
	})
}
