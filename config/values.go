package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// sizeRE is ActiveMQ's MemoryPropertyEditor syntax: a number and an optional
// 1024-based unit, case-insensitive ("20 mb", "1 gb", "64kb", "1024").
var sizeRE = regexp.MustCompile(`(?i)^\s*(\d+)\s*(b|k(b)?|m(b)?|g(b)?)?\s*$`)

// ParseSize reads a byte size the way ActiveMQ does: "20 mb", "1 gb",
// "100 MB", "64kb", "1024". Units are 1024-based.
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (want a number with an optional unit b, kb, mb or gb)", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	var mul int64 = 1
	switch strings.ToLower(m[2]) {
	case "k", "kb":
		mul = 1 << 10
	case "m", "mb":
		mul = 1 << 20
	case "g", "gb":
		mul = 1 << 30
	}
	if n > math.MaxInt64/mul {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mul, nil
}

// ParseBool accepts "true" or "false" in any case (surrounding spaces are
// ignored); anything else is an error.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want true or false)", s)
}

// ParseInt reads a decimal int (surrounding spaces are ignored).
func ParseInt(s string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, strconv.IntSize)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return int(n), nil
}

// ParseMillis reads a duration given in milliseconds, as ActiveMQ writes
// every timeout ("30000"). Negative values are returned as they are (-1 often
// means "off"); callers check ranges.
func ParseMillis(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of milliseconds", s)
	}
	if n > math.MaxInt64/int64(time.Millisecond) || n < math.MinInt64/int64(time.Millisecond) {
		return 0, fmt.Errorf("%q milliseconds is out of range", s)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// IsPasswordHash reports whether a configured password is a hash Hashi
// verifies (bcrypt "$2a$"/"$2b$"/"$2y$", "$argon2id$") rather than plain text.
func IsPasswordHash(pw string) bool {
	for _, p := range []string{"$2a$", "$2b$", "$2y$", "$argon2id$"} {
		if strings.HasPrefix(pw, p) {
			return true
		}
	}
	return false
}

// FormatSize renders a byte count the way ActiveMQ configs write it, using
// the largest unit that divides it exactly ("1 gb", "20 mb", "1500 b").
func FormatSize(n int64) string {
	switch {
	case n != 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " gb"
	case n != 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " mb"
	case n != 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " kb"
	}
	return strconv.FormatInt(n, 10) + " b"
}
