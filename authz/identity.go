package authz

import "slices"

// Identity is an authenticated client: its user name and groups. The Groups
// slice may be shared with the Authenticator and must not be modified.
type Identity struct {
	User      string
	Groups    []string
	Anonymous bool // no user name was given and anonymous access was granted
}

// InGroup reports whether the identity belongs to group g.
func (id Identity) InGroup(g string) bool { return slices.Contains(id.Groups, g) }

// String returns the user name as ActiveMQ prints it in messages.
func (id Identity) String() string { return id.User }

// Action is an operation on a destination, as named by authorizationEntry
// attributes.
type Action uint8

const (
	Read  Action = iota // create a consumer, browser or durable subscription
	Write               // send a message
	Admin               // create a destination that does not exist yet, or remove one
)

// numActions is the number of Action values.
const numActions = 3

func (a Action) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	case Admin:
		return "admin"
	}
	return "action(?)"
}

// Verb returns ActiveMQ's wording for the action in denial messages:
// "read from", "write to", "create".
func (a Action) Verb() string {
	switch a {
	case Read:
		return "read from"
	case Write:
		return "write to"
	case Admin:
		return "create"
	}
	return "access"
}
