package tlsconf

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/crypto/pkcs12"
)

// Errors for unusable key and trust stores; returned errors wrap them and name
// the file.
var (
	ErrJKS           = errors.New("tlsconf: Java KeyStore (JKS/JCEKS) files are not supported")
	ErrNoKey         = errors.New("tlsconf: no private key found")
	ErrNoCert        = errors.New("tlsconf: no certificate found")
	ErrKeyMismatch   = errors.New("tlsconf: certificate does not match private key")
	ErrNoTrustCerts  = errors.New("tlsconf: no certificates found")
	ErrUnknownFormat = errors.New("tlsconf: unknown store format (want PEM or PKCS#12)")
	ErrEncryptedPEM  = errors.New("tlsconf: encrypted PEM private keys are not supported")
)

// storeFormat is the content type of a key or trust store file.
type storeFormat int

const (
	fmtPEM storeFormat = iota
	fmtPKCS12
	fmtJKS
)

// sniff tells the format from the file's content; the configured type is only
// a hint, because ActiveMQ configs often say JKS for files that are not.
func sniff(data []byte, typ string) (storeFormat, error) {
	switch {
	case len(data) >= 4 && (bytes.Equal(data[:4], []byte{0xfe, 0xed, 0xfe, 0xed}) ||
		bytes.Equal(data[:4], []byte{0xce, 0xce, 0xce, 0xce})):
		return fmtJKS, nil
	case bytes.Contains(data, []byte("-----BEGIN ")):
		return fmtPEM, nil
	case len(data) > 0 && data[0] == 0x30: // DER SEQUENCE: PKCS#12
		return fmtPKCS12, nil
	}
	if strings.EqualFold(typ, "jks") || strings.EqualFold(typ, "jceks") {
		return fmtJKS, nil
	}
	return 0, ErrUnknownFormat
}

// jksHelp tells how to convert a JKS store into what Hashi reads.
func jksHelp(store, path string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(path, ".ks"), ".jks")
	if store == trustStore {
		base = strings.TrimSuffix(base, ".ts")
		return fmt.Sprintf("export its certificates as a PEM bundle with\n"+
			"  keytool -list -rfc -keystore %s > %s-ca.pem\n"+
			"and point trustStore at %s-ca.pem", path, base, base)
	}
	return fmt.Sprintf("convert it with\n"+
		"  keytool -importkeystore -srckeystore %[1]s -destkeystore %[2]s.p12 -deststoretype PKCS12\n"+
		"  openssl pkcs12 -in %[2]s.p12 -out %[2]s.pem -nodes\n"+
		"and point keyStore at %[2]s.pem", path, base)
}

// p12Help tells how to turn a PKCS#12 file Go cannot read into one it can.
func p12Help(store, path string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(path, ".p12"), ".pfx")
	if store == trustStore {
		return fmt.Sprintf("Hashi reads PKCS#12 trust stores only in the legacy key-and-certificate layout; "+
			"export the CA certificates as a PEM bundle with\n"+
			"  openssl pkcs12 -in %[1]s -nokeys -out %[2]s-ca.pem\n"+
			"and point trustStore at %[2]s-ca.pem", path, base)
	}
	return fmt.Sprintf("Hashi reads PKCS#12 files encrypted with PBE-SHA1-3DES and a SHA-1 MAC only "+
		"(newer openssl and keytool use AES); convert it to PEM with\n"+
		"  openssl pkcs12 -in %[1]s -out %[2]s.pem -nodes\n"+
		"and point the store at %[2]s.pem, or re-export it with "+
		"openssl pkcs12 -export -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1", path, base)
}

// loadKeyStore reads the broker's certificate chain and private key.
func loadKeyStore(path, password, keyPassword, typ string) (*tls.Certificate, error) {
	blocks, err := readStore(keyStore, path, password, keyPassword, typ)
	if err != nil {
		return nil, err
	}
	cert, err := keyPair(blocks)
	if err != nil {
		return nil, &StoreError{Store: keyStore, Path: path, Err: err}
	}
	return cert, nil
}

// Store names for StoreError.
const (
	keyStore   = "key store"
	trustStore = "trust store"
)

// StoreError is a problem with a key or trust store file. Its message reads
// "tlsconf: key store /etc/hashi/server.pem: no private key found".
type StoreError struct {
	Store string // "key store" or "trust store"
	Path  string
	Err   error
	Help  string // how to fix it, on following lines; may be empty
}

func (e *StoreError) Error() string {
	msg := "tlsconf: " + e.Store + " " + e.Path + ": " + strings.TrimPrefix(e.Err.Error(), "tlsconf: ")
	if e.Help != "" {
		msg += "; " + e.Help
	}
	return msg
}

func (e *StoreError) Unwrap() error { return e.Err }

// readStore reads a key or trust store file into PEM blocks.
func readStore(store, path, password, keyPassword, typ string) ([]*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in the message already
		}
		return nil, &StoreError{Store: store, Path: path, Err: err}
	}
	f, err := sniff(data, typ)
	if err != nil {
		return nil, &StoreError{Store: store, Path: path, Err: err}
	}
	switch f {
	case fmtJKS:
		return nil, &StoreError{Store: store, Path: path, Err: ErrJKS, Help: jksHelp(store, path)}
	case fmtPKCS12:
		blocks, err := pkcs12Blocks(data, password, keyPassword)
		if err != nil {
			e := &StoreError{Store: store, Path: path, Err: err}
			var ni pkcs12.NotImplementedError
			if errors.As(err, &ni) {
				e.Help = p12Help(store, path)
			}
			return nil, e
		}
		return blocks, nil
	}
	return pemBlocks(data), nil
}

// pkcs12Blocks decodes a PKCS#12 file with the store password, then with the
// key password when that differs (x/crypto uses one password for both).
func pkcs12Blocks(data []byte, password, keyPassword string) ([]*pem.Block, error) {
	blocks, err := pkcs12.ToPEM(data, password)
	if err != nil && keyPassword != "" && keyPassword != password {
		if b, err2 := pkcs12.ToPEM(data, keyPassword); err2 == nil {
			return b, nil
		}
	}
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, fmt.Errorf("tlsconf: PKCS#12: wrong password: %w", err)
		}
		return nil, fmt.Errorf("tlsconf: PKCS#12: %w", err)
	}
	return blocks, nil
}

// pemBlocks returns every PEM block in data.
func pemBlocks(data []byte) []*pem.Block {
	var out []*pem.Block
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		out = append(out, b)
	}
}

// keyPair builds a certificate from PEM blocks in any order: the certificate
// whose public key matches the private key becomes the leaf, the others follow
// in file order as the chain.
func keyPair(blocks []*pem.Block) (*tls.Certificate, error) {
	var key crypto.Signer
	var certs []*x509.Certificate
	for _, b := range blocks {
		switch {
		case b.Type == "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("tlsconf: bad certificate: %w", err)
			}
			certs = append(certs, c)
		case b.Type == "ENCRYPTED PRIVATE KEY" || strings.HasSuffix(b.Type, "PRIVATE KEY") && b.Headers["Proc-Type"] != "":
			return nil, fmt.Errorf("%w (decrypt it with openssl pkey or openssl rsa)", ErrEncryptedPEM)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			if key != nil {
				return nil, errors.New("tlsconf: more than one private key")
			}
			k, err := parseKey(b.Bytes)
			if err != nil {
				return nil, err
			}
			key = k
		}
	}
	if key == nil {
		return nil, ErrNoKey
	}
	if len(certs) == 0 {
		return nil, ErrNoCert
	}
	leaf := -1
	for i, c := range certs {
		if pub, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(key.Public()) {
			leaf = i
			break
		}
	}
	if leaf < 0 {
		return nil, ErrKeyMismatch
	}
	out := &tls.Certificate{PrivateKey: key, Leaf: certs[leaf]}
	out.Certificate = append(out.Certificate, certs[leaf].Raw)
	for i, c := range certs {
		if i != leaf {
			out.Certificate = append(out.Certificate, c.Raw)
		}
	}
	return out, nil
}

// parseKey reads a PKCS#8, PKCS#1 or SEC 1 private key, whatever the PEM type
// says (pkcs12.ToPEM labels PKCS#1 and SEC 1 keys "PRIVATE KEY").
func parseKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		switch k := k.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return k, nil
		}
		return nil, fmt.Errorf("tlsconf: unsupported private key type %T", k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("tlsconf: cannot parse private key (want PKCS#8, PKCS#1 or EC)")
}
