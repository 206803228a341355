package authz

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Hash algorithms understood by HashPassword.
const (
	AlgoBcrypt   = "bcrypt"
	AlgoArgon2id = "argon2id"
)

// BcryptCost is the cost HashPassword uses for bcrypt.
const BcryptCost = 12

// Argon2id parameters HashPassword uses: RFC 9106's second recommended option
// (64 MiB, 3 passes, 4 lanes), a 16-byte salt and a 32-byte tag.
const (
	argonMemory  = 64 * 1024 // KiB
	argonTime    = 3
	argonThreads = 4
	argonSaltLen = 16
	argonKeyLen  = 32
)

// Limits on argon2id parameters read from a configuration, so that a typo
// cannot make every login allocate gigabytes or spin for minutes.
const (
	maxArgonMemory = 4 * 1024 * 1024 // KiB = 4 GiB
	maxArgonTime   = 1000
	maxArgonKeyLen = 1024
)

// ErrBadHash reports a stored password that looks like a hash but cannot be
// parsed.
var ErrBadHash = errors.New("authz: malformed password hash")

const argonPrefix = "$argon2id$"

// IsHashed reports whether pw is a password hash Hashi understands (bcrypt
// "$2a$", "$2b$", "$2y$" or argon2id in PHC format) rather than a plain
// password.
func IsHashed(pw string) bool {
	return isBcrypt(pw) || strings.HasPrefix(pw, argonPrefix)
}

func isBcrypt(pw string) bool {
	return strings.HasPrefix(pw, "$2a$") || strings.HasPrefix(pw, "$2b$") || strings.HasPrefix(pw, "$2y$")
}

// HashPassword hashes password for a configuration file ("hashi passwd").
// algo is "bcrypt" (the default when empty, cost 12) or "argon2id" (PHC string
// "$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>").
func HashPassword(password, algo string) (string, error) {
	return hashWith(password, algo, BcryptCost, argonParams{memory: argonMemory, time: argonTime, threads: argonThreads})
}

// hashWith hashes with the given bcrypt cost or argon2id parameters (tests use
// cheap ones).
func hashWith(password, algo string, cost int, p argonParams) (string, error) {
	switch algo {
	case "", AlgoBcrypt:
		h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
		if err != nil {
			return "", fmt.Errorf("authz: bcrypt: %w", err)
		}
		return string(h), nil
	case AlgoArgon2id:
		p.salt = make([]byte, argonSaltLen)
		if _, err := rand.Read(p.salt); err != nil {
			return "", fmt.Errorf("authz: argon2id salt: %w", err)
		}
		p.key = argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, argonKeyLen)
		return p.String(), nil
	}
	return "", fmt.Errorf("authz: unknown hash algorithm %q (want %q or %q)", algo, AlgoBcrypt, AlgoArgon2id)
}

// hasher verifies passwords against one stored hash.
type hasher interface {
	verify(password string) bool
}

// parseHash checks a stored hash and returns its verifier.
func parseHash(h string) (hasher, error) {
	switch {
	case isBcrypt(h):
		if _, err := bcrypt.Cost([]byte(h)); err != nil {
			return nil, fmt.Errorf("%w: bcrypt: %w", ErrBadHash, err)
		}
		return bcryptHash(h), nil
	case strings.HasPrefix(h, argonPrefix):
		p, err := parseArgon(h)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, fmt.Errorf("%w: unknown format", ErrBadHash)
}

type bcryptHash string

func (h bcryptHash) verify(password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(h), []byte(password)) == nil
}

// argonParams is a parsed argon2id PHC string.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

func (p *argonParams) verify(password string) bool {
	k := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(k, p.key) == 1
}

// String renders the PHC string.
func (p *argonParams) String() string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, enc.EncodeToString(p.salt), enc.EncodeToString(p.key))
}

// parseArgon reads "$argon2id$v=19$m=65536,t=3,p=4$salt$hash" (salt and hash in
// unpadded standard base64; padding is tolerated).
func parseArgon(h string) (*argonParams, error) {
	bad := func(what string) error { return fmt.Errorf("%w: argon2id: %s", ErrBadHash, what) }
	parts := strings.Split(h, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, bad("want $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, bad("unsupported version " + strconv.Quote(parts[2]) + " (want v=19)")
	}
	var p argonParams
	var seen [3]bool
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, bad("parameter " + strconv.Quote(kv) + " is not key=value")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, bad("parameter " + strconv.Quote(kv) + " is not a number")
		}
		switch k {
		case "m":
			if n < 8 || n > maxArgonMemory {
				return nil, bad("memory m must be 8.." + strconv.Itoa(maxArgonMemory) + " KiB")
			}
			p.memory, seen[0] = uint32(n), true
		case "t":
			if n < 1 || n > maxArgonTime {
				return nil, bad("time t must be 1.." + strconv.Itoa(maxArgonTime))
			}
			p.time, seen[1] = uint32(n), true
		case "p":
			if n < 1 || n > 255 {
				return nil, bad("parallelism p must be 1..255")
			}
			p.threads, seen[2] = uint8(n), true
		default:
			return nil, bad("unknown parameter " + strconv.Quote(k))
		}
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return nil, bad("parameters m, t and p are all required")
	}
	if p.memory < 8*uint32(p.threads) {
		return nil, bad("memory m must be at least 8*p KiB")
	}
	var err error
	if p.salt, err = decodeB64(parts[4]); err != nil || len(p.salt) < 8 {
		return nil, bad("salt must be base64 of at least 8 bytes")
	}
	if p.key, err = decodeB64(parts[5]); err != nil || len(p.key) < 4 || len(p.key) > maxArgonKeyLen {
		return nil, bad("hash must be base64 of 4.." + strconv.Itoa(maxArgonKeyLen) + " bytes")
	}
	return &p, nil
}

func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}
