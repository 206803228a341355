package tlsconf

import (
	"crypto/x509"
	"fmt"
)

// loadTrustStore reads CA certificates into a pool.
func loadTrustStore(path, password, typ string) (*x509.CertPool, error) {
	blocks, err := readStore(trustStore, path, password, "", typ)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	n := 0
	for _, b := range blocks {
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, &StoreError{Store: trustStore, Path: path, Err: fmt.Errorf("certificate %d: %w", n+1, err)}
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, &StoreError{Store: trustStore, Path: path, Err: ErrNoTrustCerts}
	}
	return pool, nil
}
