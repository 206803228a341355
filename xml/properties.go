package xml

import (
	"strconv"
	"strings"
)

// property is one key=value entry of a Java .properties file.
type property struct {
	key, value string
	line       int // 1-based line where the entry starts
}

// parseProperties reads Java .properties syntax (java.util.Properties.load):
// "key=value", "key: value" or "key value"; '#' and '!' comment lines;
// a line ending in an odd number of backslashes continues on the next line
// (whose leading blanks are dropped); \t \n \r \f \uXXXX escapes, any other
// escaped character stands for itself. Leading blanks of a value are
// dropped, trailing ones kept.
func parseProperties(data string) []property {
	var out []property
	lines := strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		// Join continuation lines.
		for endsInEscape(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		if endsInEscape(line) {
			line = line[:len(line)-1]
		}
		k, v := splitProperty(line)
		out = append(out, property{key: unescapeProperty(k), value: unescapeProperty(v), line: start + 1})
	}
	return out
}

// endsInEscape reports whether s ends with an odd number of backslashes.
func endsInEscape(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits a logical line at the first unescaped '=', ':' or
// blank; blanks around the separator belong to neither side.
func splitProperty(line string) (key, value string) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	if i > len(line) {
		i = len(line)
	}
	key = line[:i]
	rest := line[i:]
	if rest != "" {
		sep := rest[0]
		rest = rest[1:]
		if sep != '=' && sep != ':' {
			rest = strings.TrimLeft(rest, " \t\f")
			if rest != "" && (rest[0] == '=' || rest[0] == ':') {
				rest = rest[1:]
			}
		}
	}
	return key, strings.TrimLeft(rest, " \t\f")
}

func unescapeProperty(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 < len(s) {
				if n, err := strconv.ParseUint(s[i+1:i+5], 16, 16); err == nil {
					b.WriteRune(rune(n))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
