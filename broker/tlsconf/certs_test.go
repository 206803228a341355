package tlsconf

import (
	"bytes"
	"crypto"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf16"
)

// Test certificates, made fresh for every test: no fixtures in the package.

// testCert is a certificate with its key.
type testCert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func (c testCert) certPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})
}

// keyPEM encodes the key as PKCS#8, or in its traditional form (PKCS#1 for
// RSA, SEC 1 for EC) with legacy set.
func (c testCert) keyPEM(t *testing.T, legacy bool) []byte {
	t.Helper()
	if legacy {
		switch k := c.key.(type) {
		case *rsa.PrivateKey:
			return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
		case *ecdsa.PrivateKey:
			der, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				t.Fatal(err)
			}
			return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
		}
	}
	der, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

var serial int64

// newCA makes a self-signed CA.
func newCA(t *testing.T, cn string) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{c, key}
}

// leaf makes a server (localhost, 127.0.0.1) or client certificate signed by
// ca, with an RSA key when rsaKey is set and P-256 otherwise.
func (ca testCert) leaf(t *testing.T, cn string, client, rsaKey bool) testCert {
	t.Helper()
	var key crypto.Signer
	var err error
	if rsaKey {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		tmpl.DNSNames, tmpl.IPAddresses = nil, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{c, key}
}

// writeFile writes parts into dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, parts ...[]byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, bytes.Join(parts, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// pkcs12File encodes leaf, its key and the extra certificates as a password
// protected PKCS#12 file in the legacy form x/crypto/pkcs12 reads
// (PBE-SHA1-3DES for the key, SHA-1 MAC), as `openssl pkcs12 -export -legacy`
// writes it.
func pkcs12File(t *testing.T, leaf testCert, password string, extra ...*x509.Certificate) []byte {
	t.Helper()
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var (
		oidData      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
		oidCertBag   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
		oidKeyBag    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
		oidX509      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
		oidPBE3DES   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
		oidSHA1      = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
		iterations   = 2048
		explicitZero = func(der []byte) asn1.RawValue {
			return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der}
		}
	)
	type safeBag struct {
		ID    asn1.ObjectIdentifier
		Value asn1.RawValue
	}
	type contentInfo struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}
	type pbeParams struct {
		Salt       []byte
		Iterations int
	}
	type encryptedKey struct {
		Algo pkix.AlgorithmIdentifier
		Data []byte
	}
	type certBag struct {
		ID    asn1.ObjectIdentifier
		Value asn1.RawValue
	}
	type digestInfo struct {
		Algo   pkix.AlgorithmIdentifier
		Digest []byte
	}
	type macData struct {
		Mac        digestInfo
		Salt       []byte
		Iterations int
	}
	type pfx struct {
		Version  int
		AuthSafe contentInfo
		Mac      macData
	}
	pw := bmp(password)
	salt := func() []byte {
		s := make([]byte, 8)
		_, _ = rand.Read(s)
		return s
	}
	dataInfo := func(content []byte) contentInfo {
		return contentInfo{oidData, explicitZero(must(asn1.Marshal(content)))}
	}

	var certBags []safeBag
	for _, c := range append([]*x509.Certificate{leaf.cert}, extra...) {
		cb := must(asn1.Marshal(certBag{oidX509, explicitZero(must(asn1.Marshal(c.Raw)))}))
		certBags = append(certBags, safeBag{oidCertBag, explicitZero(cb)})
	}

	keySalt := salt()
	k := p12KDF(pw, keySalt, 1, iterations, 24)
	iv := p12KDF(pw, keySalt, 2, iterations, 8)
	block, err := des.NewTripleDESCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	plain := must(x509.MarshalPKCS8PrivateKey(leaf.key))
	pad := 8 - len(plain)%8
	plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
	enc := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(enc, plain)
	params := must(asn1.Marshal(pbeParams{keySalt, iterations}))
	ek := must(asn1.Marshal(encryptedKey{pkix.AlgorithmIdentifier{Algorithm: oidPBE3DES, Parameters: asn1.RawValue{FullBytes: params}}, enc}))
	keyBags := []safeBag{{oidKeyBag, explicitZero(ek)}}

	authSafe := must(asn1.Marshal([]contentInfo{
		dataInfo(must(asn1.Marshal(certBags))),
		dataInfo(must(asn1.Marshal(keyBags))),
	}))
	macSalt := salt()
	mac := hmac.New(sha1.New, p12KDF(pw, macSalt, 3, iterations, 20))
	mac.Write(authSafe)
	return must(asn1.Marshal(pfx{
		Version:  3,
		AuthSafe: dataInfo(authSafe),
		Mac: macData{
			Mac:        digestInfo{pkix.AlgorithmIdentifier{Algorithm: oidSHA1, Parameters: asn1.NullRawValue}, mac.Sum(nil)},
			Salt:       macSalt,
			Iterations: iterations,
		},
	}))
}

// bmp encodes a password as PKCS#12 wants it: UTF-16BE with a 0 terminator.
func bmp(s string) []byte {
	var out []byte
	for _, r := range utf16.Encode([]rune(s)) {
		out = append(out, byte(r>>8), byte(r))
	}
	return append(out, 0, 0)
}

// p12KDF is the PKCS#12 key derivation of RFC 7292 appendix B.2 with SHA-1.
func p12KDF(password, salt []byte, id byte, iterations, n int) []byte {
	const v = 64 // SHA-1 block size
	fill := func(x []byte) []byte {
		if len(x) == 0 {
			return nil
		}
		out := make([]byte, v*((len(x)+v-1)/v))
		for i := range out {
			out[i] = x[i%len(x)]
		}
		return out
	}
	d := bytes.Repeat([]byte{id}, v)
	in := append(fill(salt), fill(password)...)
	var out []byte
	for len(out) < n {
		h := sha1.New()
		h.Write(d)
		h.Write(in)
		a := h.Sum(nil)
		for range iterations - 1 {
			s := sha1.Sum(a)
			a = s[:]
		}
		out = append(out, a...)
		b := fill(a)
		for j := 0; j < len(in); j += v {
			carry := 1
			for k := v - 1; k >= 0; k-- {
				sum := int(in[j+k]) + int(b[k]) + carry
				in[j+k] = byte(sum)
				carry = sum >> 8
			}
		}
	}
	return out[:n]
}
