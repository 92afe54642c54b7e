package doctor

import (
	"context"
	"strings"
)

// netChecks are the offline network checks. The online ones (proxy reachability,
// checksum database, TLS chains) belong to netcheck, which adds its checks to the
// registry with Registry.Add and Network: true.
func netChecks() []Check {
	return []Check{
		{ID: "net.certs", Area: AreaNetwork, Title: "TLS trust settings Go uses (SSL_CERT_FILE, CA bundle)", Run: checkNetCerts},
	}
}

// linuxBundles are the CA bundle files Go's crypto/x509 tries on Linux, in order
// (crypto/x509/root_linux.go).
var linuxBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

func checkNetCerts(ctx context.Context, s *Session) []Finding {
	h := s.Host(ctx)
	file, dir := s.M.Getenv("SSL_CERT_FILE"), s.M.Getenv("SSL_CERT_DIR")
	switch h.OS {
	case "darwin":
		if file != "" || dir != "" {
			return []Finding{{Severity: Info,
				Title:    "SSL_CERT_FILE/SSL_CERT_DIR are set, but Go on macOS ignores them: it asks the system keychain (Security.framework)",
				Evidence: []string{"SSL_CERT_FILE=" + file, "SSL_CERT_DIR=" + dir},
				Fix:      &Fix{Text: "Add a corporate root to the System keychain instead.", Commands: []string{"sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain corp-root.pem"}},
				Links:    []string{"https://go.dev/doc/go1.18#crypto/x509"}}}
		}
		return []Finding{{Severity: Info, Title: "Go verifies TLS with the macOS keychain"}}
	case "linux":
		if file != "" {
			if _, err := s.M.Stat(file); err != nil {
				return []Finding{{Severity: Error, Title: "SSL_CERT_FILE=" + file + " does not exist: Go then trusts no file bundle (\"x509: certificate signed by unknown authority\")",
					Evidence: []string{"SSL_CERT_FILE=" + file, err.Error()},
					Fix:      &Fix{Text: "Unset it, or point it at a bundle that holds the public roots plus yours.", Commands: []string{"unset SSL_CERT_FILE"}}}}
			}
			return []Finding{{Severity: Info, Title: "SSL_CERT_FILE=" + file + " replaces the system CA bundle for Go; it must hold the public roots too",
				Evidence: []string{"SSL_CERT_FILE=" + file}}}
		}
		for _, b := range linuxBundles {
			if _, err := s.M.Stat(b); err == nil {
				return []Finding{{Severity: Info, Title: "CA bundle: " + b}}
			}
		}
		return []Finding{{Severity: Error, Title: "no CA bundle: Go cannot verify TLS (module downloads fail with \"x509: certificate signed by unknown authority\")",
			Evidence: []string{"none of " + strings.Join(linuxBundles, ", ") + " exists"},
			Fix:      &Fix{Text: "Install the CA certificates.", Commands: []string{"apt-get install ca-certificates", "apk add ca-certificates"}}}}
	}
	return nil
}
