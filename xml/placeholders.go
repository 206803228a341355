package xml

import (
	"fmt"
	"path/filepath"
	"strings"
)

// resolver expands ${name} placeholders the way ActiveMQ's Spring context
// does, looking a name up in order in:
//  1. the properties files named by PropertyPlaceholderConfigurer beans
//     (a later file overrides an earlier one);
//  2. the built-ins bin/activemq sets as system properties: activemq.conf
//     (the config file's folder), activemq.base and activemq.home (its
//     parent), activemq.data ($ACTIVEMQ_DATA, else "data" in the working
//     directory);
//  3. the environment, by the exact name and then upper-cased with '.'
//     turned into '_' (${activemq.data} <- ACTIVEMQ_DATA).
//
// ${name:default} uses default when the name is not found. Values found in
// properties files are expanded in turn.
type resolver struct {
	props    map[string]string
	propFrom map[string]string // name -> file it came from, for messages
	builtins map[string]string
	env      func(string) (string, bool)
	// ignoreUnresolvable mirrors the bean property of that name: unknown
	// placeholders are left as written.
	ignoreUnresolvable bool
}

// maxExpandDepth bounds nested and recursive placeholders.
const maxExpandDepth = 32

// errUnresolved is a placeholder with no value.
type errUnresolved struct{ name string }

func (e *errUnresolved) Error() string {
	return fmt.Sprintf("unresolvable placeholder ${%s}", e.name)
}

func newResolver(confDir, workDir string, env func(string) (string, bool)) *resolver {
	data, ok := env("ACTIVEMQ_DATA")
	if !ok || data == "" {
		data = filepath.Join(workDir, "data")
	}
	base := filepath.Dir(confDir)
	return &resolver{
		props:    map[string]string{},
		propFrom: map[string]string{},
		builtins: map[string]string{
			"activemq.conf": confDir,
			"activemq.base": base,
			"activemq.home": base,
			"activemq.data": data,
		},
		env: env,
	}
}

// lookup finds name without expanding the value.
func (r *resolver) lookup(name string) (string, bool) {
	if v, ok := r.props[name]; ok {
		return v, true
	}
	if v, ok := r.builtins[name]; ok {
		return v, true
	}
	if v, ok := r.env(name); ok {
		return v, true
	}
	if up := strings.ToUpper(strings.ReplaceAll(name, ".", "_")); up != name {
		if v, ok := r.env(up); ok {
			return v, true
		}
	}
	return "", false
}

// expand replaces every placeholder in s. The error is an *errUnresolved
// naming the first placeholder that has no value, or a recursion error.
func (r *resolver) expand(s string) (string, error) {
	return r.expandDepth(s, 0, nil)
}

func (r *resolver) expandDepth(s string, depth int, visiting []string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	if depth > maxExpandDepth {
		return "", fmt.Errorf("placeholders nested deeper than %d", maxExpandDepth)
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := closingBrace(s, i+2)
		if end < 0 { // no closing brace: Spring leaves the text as it is
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		inner, err := r.expandDepth(s[i+2:end], depth+1, visiting)
		if err != nil {
			return "", err
		}
		name, def, hasDef := strings.Cut(inner, ":")
		for _, v := range visiting {
			if v == name {
				return "", fmt.Errorf("placeholder ${%s} refers to itself (%s)", name, strings.Join(append(visiting, name), " -> "))
			}
		}
		val, ok := r.lookup(name)
		switch {
		case ok:
			val, err = r.expandDepth(val, depth+1, append(visiting, name))
			if err != nil {
				return "", err
			}
		case hasDef:
			val = def
		case r.ignoreUnresolvable:
			val = s[i : end+1]
		default:
			return "", &errUnresolved{name: name}
		}
		b.WriteString(val)
		s = s[end+1:]
	}
}

// closingBrace returns the index of the '}' that closes a placeholder whose
// name starts at from, allowing nested ${...}; -1 if there is none.
func closingBrace(s string, from int) int {
	depth := 0
	for i := from; i < len(s); i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
			i++
		case s[i] == '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// isEncrypted reports a jasypt "ENC(...)" value.
func isEncrypted(v string) bool {
	v = strings.TrimSpace(v)
	return strings.HasPrefix(v, "ENC(") && strings.HasSuffix(v, ")")
}
