package xml

import (
	"reflect"
	"testing"
)

func TestParseProperties(t *testing.T) {
	src := "# comment\n" +
		"! also a comment\n" +
		"activemq.username=system\n" +
		"activemq.password = manager\n" +
		"guest.password:password\n" +
		"spaced   value with spaces  \n" +
		"  indented=yes\n" +
		"multi=first,\\\n" +
		"      second,\\\n" +
		"      third\n" +
		"escaped\\ key=tab\\there\n" +
		"unicode=caf\\u00e9\n" +
		"empty=\n" +
		"justkey\n" +
		"colon\\:key=v\n" +
		"path=C:\\\\dir\n" +
		"\n" +
		"admins=admin, user\r\n"
	want := []property{
		{"activemq.username", "system", 3},
		{"activemq.password", "manager", 4},
		{"guest.password", "password", 5},
		{"spaced", "value with spaces  ", 6},
		{"indented", "yes", 7},
		{"multi", "first,second,third", 8},
		{"escaped key", "tab\there", 11},
		{"unicode", "café", 12},
		{"empty", "", 13},
		{"justkey", "", 14},
		{"colon:key", "v", 15},
		{"path", `C:\dir`, 16},
		{"admins", "admin, user", 18},
	}
	if got := parseProperties(src); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseLoginConfig(t *testing.T) {
	src := `/* comment */
activemq {
    org.apache.activemq.jaas.PropertiesLoginModule required
        debug=true
        reload="true"
        org.apache.activemq.jaas.properties.user="users.properties"
        org.apache.activemq.jaas.properties.group="groups.properties";
    // guests
    org.apache.activemq.jaas.GuestLoginModule optional credentialsInvalidate=true;
};
other { a.B sufficient; };
`
	got, err := parseLoginConfig(src)
	if err != nil {
		t.Fatal(err.msg)
	}
	mods := got["activemq"]
	if len(mods) != 2 || mods[0].class != "org.apache.activemq.jaas.PropertiesLoginModule" || mods[0].flag != "required" ||
		mods[0].options["org.apache.activemq.jaas.properties.group"] != "groups.properties" || mods[0].options["reload"] != "true" ||
		mods[0].line != 3 || mods[1].line != 9 || mods[1].options["credentialsInvalidate"] != "true" {
		t.Errorf("activemq entry %+v", mods)
	}
	if len(got["other"]) != 1 || got["other"][0].flag != "sufficient" {
		t.Errorf("other entry %+v", got["other"])
	}
	for src, want := range map[string]string{
		"activemq { a.B required x=\"1\" }": "login.config: module a.B: expected '=' after option \"}\"",
		"activemq { a.B required; }":        "login.config: entry \"activemq\": expected ';' after '}'",
		"activemq a.B required; };":         "login.config: expected '{' after entry \"activemq\"",
		"activemq { a.B required x=\"1\n":   "login.config: unterminated quoted string",
		"activemq { a.B required; /* x":     "login.config: unterminated /* comment",
		"activemq { a.B ; };":               "login.config: module a.B: expected a flag (required, requisite, sufficient, optional)",
		"; x":                               "login.config: expected an entry name, got \";\"",
		"activemq { a.B required x = ; };":  "login.config: module a.B: option \"x\" has no value",
	} {
		if _, err := parseLoginConfig(src); err == nil || err.msg != want {
			t.Errorf("%q: got %+v, want %q", src, err, want)
		}
	}
}
