package authz

import (
	"errors"

	"github.com/hashi-broker/hashi/broker/dest"
)

// Sentinel errors; test with errors.Is. The errors returned carry ActiveMQ's
// exact message texts, which clients show to users.
var (
	// ErrBadCredentials: unknown user, wrong password, or no login where one is
	// required.
	ErrBadCredentials = errors.New("authz: bad user name or password")
	// ErrNotAuthorized: the identity lacks the permission for an operation.
	ErrNotAuthorized = errors.New("authz: not authorized")
	// ErrNotAuthenticated is what ActiveMQ answers to every operation when an
	// authorization plugin is configured without an authentication plugin. Its
	// message is ActiveMQ's text.
	ErrNotAuthenticated = errors.New("User is not authenticated.")
)

// credentialsError is an authentication failure with ActiveMQ's message.
type credentialsError struct {
	user    string
	hasUser bool
}

func (e *credentialsError) Error() string {
	u := e.user
	if !e.hasUser {
		u = "null" // Java prints a null user name as "null"
	}
	return "User name [" + u + "] or password is invalid."
}

func (e *credentialsError) Unwrap() error { return ErrBadCredentials }

// DenialError is an authorization failure. Its message is ActiveMQ's, e.g.
// "User bob is not authorized to write to: queue://orders".
type DenialError struct {
	User   string
	Action Action
	Dest   dest.Destination
	Remove bool // an Admin denial for removing (not creating) the destination
}

// Denial returns the error for id being refused act on d.
func Denial(id Identity, act Action, d dest.Destination) *DenialError {
	return &DenialError{User: id.User, Action: act, Dest: d}
}

func (e *DenialError) Error() string {
	verb := e.Action.Verb()
	if e.Remove && e.Action == Admin {
		verb = "remove"
	}
	return "User " + e.User + " is not authorized to " + verb + ": " + e.Dest.String()
}

// Is makes errors.Is(err, ErrNotAuthorized) true for a DenialError.
func (e *DenialError) Is(target error) bool { return target == ErrNotAuthorized }
