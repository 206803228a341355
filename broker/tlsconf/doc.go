// Package tlsconf turns an ActiveMQ <sslContext> into crypto/tls
// configurations: the server side for ssl://, mqtt+ssl://, stomp+ssl:// and
// wss:// listeners, and the client side for network bridges.
//
// Key stores may be PEM files (certificate chain and private key in one file)
// or PKCS#12 files; Java KeyStore (JKS) files are refused with the commands
// that convert them. Trust stores are PEM bundles of CA certificates (or
// PKCS#12 files holding certificates). TLS 1.2 is the minimum version.
//
// A Reloader holds the material behind an atomic pointer so that a running
// listener picks up renewed certificates after Reload (on SIGHUP).
package tlsconf
