package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

func gencertCommand(fset *flag.FlagSet, _ *configFlags) func(context.Context, env, []string) error {
	certPath := fset.String("cert", "cert.pem", "where to write the certificate")
	keyPath := fset.String("key", "key.pem", "where to write the private key (mode 0600)")
	hosts := fset.String("hosts", "localhost,127.0.0.1,::1", "comma-separated host names and IPs the certificate is for")
	days := fset.Int("days", 365, "days the certificate is valid")
	force := fset.Bool("force", false, "overwrite existing files")
	return func(ctx context.Context, e env, args []string) error {
		if err := exactArgs("gencert", args); err != nil {
			return err
		}
		if *days <= 0 {
			return usagef("gencert: --days must be positive")
		}
		certPEM, keyPEM, err := selfSignedCert(strings.Split(*hosts, ","), time.Duration(*days)*24*time.Hour)
		if err != nil {
			return err
		}
		if !*force {
			// Check both first, so a refusal leaves no half-written pair.
			for _, p := range []string{*certPath, *keyPath} {
				if _, err := os.Stat(p); err == nil {
					return fmt.Errorf("%s exists: pass --force to replace it", p)
				}
			}
		}
		if err := writeNew(*keyPath, keyPEM, 0o600, *force); err != nil {
			return err
		}
		if err := writeNew(*certPath, certPEM, 0o644, *force); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Wrote %s and %s for %s\n", *certPath, *keyPath, *hosts)
		return nil
	}
}

// selfSignedCert makes an ECDSA P-256 certificate that signs itself, for the
// server only: a leaf (not a CA, so that trusting it with curl --cacert or
// httpie --verify trusts nothing else its key might sign), for server
// authentication alone. An ECDSA key only signs, so DigitalSignature is its
// whole key usage (KeyEncipherment is for RSA key transport).
func selfSignedCert(hosts []string, validFor time.Duration) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "studentapi self-signed", Organization: []string{"studentapi"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
	}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		switch ip := net.ParseIP(h); {
		case h == "":
		case ip != nil:
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		default:
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	if len(tmpl.IPAddresses)+len(tmpl.DNSNames) == 0 {
		return nil, nil, usagef("gencert: --hosts names no host")
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeNew writes a file, refusing to replace one unless force is set.
func writeNew(path string, data []byte, perm os.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !force {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, perm)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: pass --force to replace it", path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if force {
		// Truncating keeps a replaced file's mode, which may let others read the key.
		if err := f.Chmod(perm); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
