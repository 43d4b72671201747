package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// genCert runs gencert into dir and returns the paths it wrote.
func genCert(t *testing.T, c *testCLI, dir string, extra ...string) (certPath, keyPath string) {
	t.Helper()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c.mustRun(t, "", append([]string{"gencert", "--cert", certPath, "--key", keyPath}, extra...)...)
	return certPath, keyPath
}

// parseCert reads the one PEM certificate in path.
func parseCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read certificate: %v", err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s holds no CERTIFICATE PEM block", path)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		t.Errorf("%s has %d bytes after the certificate", path, len(rest))
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return cert
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %v, want %v", filepath.Base(path), got, want)
	}
}

func TestGencert(t *testing.T) {
	c := newTestCLI(t)
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	out := c.mustRun(t, "", "gencert", "--cert", certPath, "--key", keyPath)
	if want := "Wrote " + certPath + " and " + keyPath + " for localhost,127.0.0.1,::1\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}

	cert := parseCert(t, certPath)
	if !slices.Equal(cert.DNSNames, []string{"localhost"}) {
		t.Errorf("DNSNames = %q, want [localhost]", cert.DNSNames)
	}
	for _, ip := range []string{"127.0.0.1", "::1"} {
		if !slices.ContainsFunc(cert.IPAddresses, net.ParseIP(ip).Equal) {
			t.Errorf("IPAddresses = %v, want it to hold %s", cert.IPAddresses, ip)
		}
	}
	if d := time.Until(cert.NotAfter); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("NotAfter = %v, want about 365 days from now", cert.NotAfter)
	}
	// The certificate is its own root, which is what curl --cacert needs.
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("Verify for %s: %v", name, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: roots}); err == nil {
		t.Error("Verify for example.com succeeded, want an error")
	}
	if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
		t.Errorf("LoadX509KeyPair: %v", err)
	}
	checkMode(t, keyPath, 0o600)
}

// The certificate is a server's leaf, not a CA: trusting it (curl --cacert)
// must not let its key vouch for any other certificate.
func TestGencertMakesALeaf(t *testing.T) {
	c := newTestCLI(t)
	certPath, keyPath := genCert(t, c, t.TempDir())
	cert := parseCert(t, certPath)
	if cert.IsCA || !cert.BasicConstraintsValid {
		t.Errorf("IsCA %v, BasicConstraintsValid %v; want a leaf (false, true)", cert.IsCA, cert.BasicConstraintsValid)
	}
	// ECDSA: DigitalSignature alone (KeyEncipherment is for RSA key transport).
	if cert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("KeyUsage = %b, want DigitalSignature (%b) alone", cert.KeyUsage, x509.KeyUsageDigitalSignature)
	}
	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || len(cert.UnknownExtKeyUsage) != 0 {
		t.Errorf("ExtKeyUsage = %v (and %v), want ServerAuth alone", cert.ExtKeyUsage, cert.UnknownExtKeyUsage)
	}
	if cert.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v, want ECDSA (the key usage above assumes it)", cert.PublicKeyAlgorithm)
	}

	// A certificate its key signs is not trusted through it.
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), DNSNames: []string{"evil.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	childKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, cert, &childKey.PublicKey, pair.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	child, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	if _, err := child.Verify(x509.VerifyOptions{DNSName: "evil.example", Roots: roots}); err == nil {
		t.Error("a certificate signed by gencert's key verified against it")
	}
}

func TestGencertRefusesToOverwrite(t *testing.T) {
	c := newTestCLI(t)
	dir := t.TempDir()
	certPath, keyPath := genCert(t, c, dir)
	certBefore, keyBefore := readFile(t, certPath), readFile(t, keyPath)

	out, _, err := c.run(t, "", "gencert", "--cert", certPath, "--key", keyPath)
	checkExit(t, err, 1, "exists: pass --force to replace it")
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
	if !bytes.Equal(readFile(t, certPath), certBefore) || !bytes.Equal(readFile(t, keyPath), keyBefore) {
		t.Error("a refused gencert changed the files")
	}

	genCert(t, c, dir, "--force")
	if bytes.Equal(readFile(t, certPath), certBefore) || bytes.Equal(readFile(t, keyPath), keyBefore) {
		t.Error("gencert --force left a file as it was, want both replaced")
	}
	if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
		t.Errorf("LoadX509KeyPair after --force: %v", err)
	}
	checkMode(t, keyPath, 0o600)
}

// TestGencertRefusesHalfAPair checks that an existing file of either name stops
// gencert before it writes the other.
func TestGencertRefusesHalfAPair(t *testing.T) {
	for _, existing := range []string{"cert.pem", "key.pem"} {
		t.Run(existing, func(t *testing.T) {
			c := newTestCLI(t)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, existing), []byte("mine"), 0o600); err != nil {
				t.Fatal(err)
			}
			certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
			_, _, err := c.run(t, "", "gencert", "--cert", certPath, "--key", keyPath)
			checkExit(t, err, 1, filepath.Join(dir, existing)+" exists")
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("dir holds %d files after a refused gencert, want only %s", len(entries), existing)
			}
			if got := string(readFile(t, filepath.Join(dir, existing))); got != "mine" {
				t.Errorf("%s = %q, want it untouched", existing, got)
			}
		})
	}
}

// TestGencertForceTightensKeyMode checks that --force over a key file that
// others can read leaves a key only its owner can read.
func TestGencertForceTightensKeyMode(t *testing.T) {
	c := newTestCLI(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyPath, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyPath, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	genCert(t, c, dir, "--force")
	checkMode(t, keyPath, 0o600)
}

func TestGencertHosts(t *testing.T) {
	c := newTestCLI(t)
	certPath, _ := genCert(t, c, t.TempDir(), "--hosts", "api.example.test, 10.1.2.3,,", "--days", "2")
	cert := parseCert(t, certPath)
	if !slices.Equal(cert.DNSNames, []string{"api.example.test"}) {
		t.Errorf("DNSNames = %q, want [api.example.test]", cert.DNSNames)
	}
	if len(cert.IPAddresses) != 1 || !cert.IPAddresses[0].Equal(net.ParseIP("10.1.2.3")) {
		t.Errorf("IPAddresses = %v, want [10.1.2.3]", cert.IPAddresses)
	}
	if d := time.Until(cert.NotAfter); d < 47*time.Hour || d > 49*time.Hour {
		t.Errorf("NotAfter = %v, want about 2 days from now", cert.NotAfter)
	}
}

func TestGencertUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantMsg string
	}{
		{"zero days", []string{"--days", "0"}, "--days must be positive"},
		{"negative days", []string{"--days", "-1"}, "--days must be positive"},
		{"no hosts", []string{"--hosts", " , "}, "--hosts names no host"},
		{"positional argument", []string{"localhost"}, "gencert: takes no arguments, got 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCLI(t)
			dir := t.TempDir()
			args := append([]string{"gencert", "--cert", filepath.Join(dir, "cert.pem"), "--key", filepath.Join(dir, "key.pem")}, tt.args...)
			_, _, err := c.run(t, "", args...)
			checkExit(t, err, 2, tt.wantMsg)
			for _, name := range []string{"cert.pem", "key.pem"} {
				if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s exists after a usage error (stat error %v)", name, err)
				}
			}
		})
	}
}
