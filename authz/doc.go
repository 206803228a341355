// Package authz authenticates clients and authorizes their operations with
// ActiveMQ's semantics (simpleAuthenticationPlugin and authorizationPlugin).
//
// An Authenticator turns a login (user name and password, or none) into an
// Identity: a user name and its groups. An Authorizer answers whether an
// Identity may read from, write to or administer (create/remove) a destination.
// Access lists are kept in dest.Index, Hashi's one wildcard matcher, one index
// per destination kind, and the allowed groups for a destination are the union
// of every matching entry's list, as in ActiveMQ's DefaultAuthorizationMap.
//
// Both types are immutable after construction and safe for concurrent use; a
// configuration reload builds new ones.
package authz
