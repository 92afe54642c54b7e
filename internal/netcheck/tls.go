package netcheck

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gonative/gonative/internal/finding"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// PublicRoots is the public root set netcheck compares chains with: the NSS roots of
// golang.org/x/crypto/x509roots/fallback/bundle, which is only read (importing the
// bundle package, unlike its parent, installs nothing as Go's roots).
type PublicRoots struct {
	once sync.Once
	pool *x509.CertPool
	keys map[[32]byte]bool // SHA-256 of subject and public key of every root
}

func (p *PublicRoots) load() {
	p.once.Do(func() {
		p.pool = x509.NewCertPool()
		p.keys = map[[32]byte]bool{}
		for r := range bundle.Roots() {
			c, err := x509.ParseCertificate(r.Certificate)
			if err != nil {
				continue
			}
			p.pool.AddCertWithConstraint(c, r.Constraint)
			p.keys[rootKey(c)] = true
		}
	})
}

func rootKey(c *x509.Certificate) [32]byte {
	return sha256.Sum256(append(append([]byte{}, c.RawSubject...), c.RawSubjectPublicKeyInfo...))
}

// IsPublic reports whether c is one of the public roots.
func (p *PublicRoots) IsPublic(c *x509.Certificate) bool {
	p.load()
	return p.keys[rootKey(c)]
}

// Anchor verifies chain (leaf first) against the public roots, at a time inside the
// leaf's validity and without a host name (expiry and name are judged elsewhere), and
// returns the public root it leads to, or nil.
func (p *PublicRoots) Anchor(chain []*x509.Certificate) *x509.Certificate {
	if len(chain) == 0 {
		return nil
	}
	p.load()
	leaf := chain[0]
	at := time.Now()
	if at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) {
		at = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: p.pool, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains) == 0 {
		return nil
	}
	c := chains[0]
	return c[len(c)-1]
}

func describeCert(c *x509.Certificate) Cert {
	sum := sha256.Sum256(c.Raw)
	out := Cert{Subject: c.Subject.String(), Issuer: c.Issuer.String(), SHA256: fingerprint(sum[:]),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), DNSNames: c.DNSNames, IsCA: c.IsCA}
	for _, ip := range c.IPAddresses {
		out.IPs = append(out.IPs, ip.String())
	}
	return out
}

// fingerprint is the colon-separated upper-case hex form that Keychain Access,
// certutil and openssl x509 -fingerprint -sha256 print.
func fingerprint(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

func name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}

// tlsContext is what diagnoseTLS needs besides the handshake.
type tlsContext struct {
	host  string // host[:port] dialled
	via   string // forward proxy, "" for none
	goos  string
	roots RootStore
	pub   *PublicRoots
	now   time.Time
}

// diagnoseTLS turns the outcome of one TLS handshake into an Endpoint and findings:
// state is set when the handshake verified; err otherwise. The presented chain of a
// failed handshake comes from *tls.CertificateVerificationError.
func diagnoseTLS(tc tlsContext, state *tls.ConnectionState, err error) (Endpoint, []Finding) {
	ep := Endpoint{Host: tc.host, Via: tc.via, Anchor: AnchorUnknown}
	var chain []*x509.Certificate
	var cve *tls.CertificateVerificationError
	switch {
	case state != nil:
		chain = state.PeerCertificates
		ep.Verified = true
	case errors.As(err, &cve):
		chain = cve.UnverifiedCertificates
		ep.Error = cve.Err.Error()
	case err != nil:
		ep.Error = err.Error()
		return ep, nil
	}
	for _, c := range chain {
		ep.Chain = append(ep.Chain, describeCert(c))
	}
	ev := chainEvidence(chain)
	if tc.via != "" {
		ev = append(ev, "tunnelled through the forward proxy "+tc.via)
	}
	host, _, splitErr := net.SplitHostPort(tc.host)
	if splitErr != nil {
		host = tc.host
	}

	if ep.Verified {
		var root *x509.Certificate
		if len(state.VerifiedChains) > 0 {
			vc := state.VerifiedChains[0]
			root = vc[len(vc)-1]
		}
		if root == nil {
			return ep, nil
		}
		ep.Root = name(root)
		sum := sha256.Sum256(root.Raw)
		if tc.pub.IsPublic(root) {
			ep.Anchor = AnchorPublic
			return ep, []Finding{{ID: "tls.verified", Area: AreaTLS, Severity: Info,
				Title:    tc.host + ": chain verified to the public root " + ep.Root,
				Evidence: ev}}
		}
		ep.Anchor = AnchorPrivate
		return ep, []Finding{{ID: "tls.private-root", Area: AreaTLS, Severity: Info,
			Title: tc.host + ": chain verified to the private root \"" + ep.Root + "\" (a company CA or TLS inspection), which this machine trusts",
			Evidence: append(ev, "root SHA-256 "+fingerprint(sum[:]),
				"other machines (CI, containers, a new laptop) need this root too")}}
	}
	if len(chain) == 0 {
		return ep, []Finding{{ID: "tls.error", Area: AreaTLS, Severity: Error,
			Title: tc.host + ": TLS failed without a chain: " + ep.Error, Evidence: ev}}
	}
	leaf := chain[0]
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
	)
	if cve != nil {
		switch {
		case errors.As(cve.Err, &hostname):
			ep.Anchor, ep.Root = anchorOf(tc.pub, chain)
			f := Finding{ID: "tls.wrong-host", Area: AreaTLS, Severity: Error,
				Title:    fmt.Sprintf("%s: the certificate is not valid for %q (it names %s)", tc.host, host, certNames(leaf)),
				Evidence: append(ev, hostname.Error()),
				Fix: &Fix{Text: "Check the host in GOPROXY/GOSUMDB (a typo, or a mirror that serves another name's certificate). " +
					"If the certificate belongs to a TLS-inspecting gateway, ask its owner to exempt the host. Never turn verification off."}}
			return ep, []Finding{f}
		case errors.As(cve.Err, &invalid) && invalid.Reason == x509.Expired:
			ep.Anchor, ep.Root = anchorOf(tc.pub, chain)
			bad := invalid.Cert
			which := "the server's certificate"
			if bad != leaf {
				which = "the certificate of " + name(bad)
			}
			now := tc.now
			if now.IsZero() {
				now = time.Now()
			}
			f := Finding{ID: "tls.expired", Area: AreaTLS, Severity: Error,
				Evidence: append(ev, invalid.Error(), "this machine's clock: "+now.UTC().Format(time.RFC3339))}
			if now.Before(bad.NotBefore) {
				f.Title = fmt.Sprintf("%s: %s is not valid before %s: this machine's clock may be wrong", tc.host, which, bad.NotBefore.UTC().Format(time.RFC3339))
				f.Fix = &Fix{Needs: finding.NeedsRoot, Text: "Set the clock (enable NTP).", Commands: clockCommands(tc.goos)}
			} else {
				f.Title = fmt.Sprintf("%s: %s expired on %s", tc.host, which, bad.NotAfter.UTC().Format(time.RFC3339))
				f.Fix = &Fix{Needs: finding.NeedsRoot, Text: "The server must renew its certificate: tell the owner of " + host + ". If the date looks wrong, check this machine's clock.",
					Commands: clockCommands(tc.goos)}
			}
			return ep, []Finding{f}
		case errors.As(cve.Err, &unknown):
			return unknownAuthority(tc, ep, chain, ev)
		}
	}
	ep.Anchor, ep.Root = anchorOf(tc.pub, chain)
	return ep, []Finding{{ID: "tls.invalid", Area: AreaTLS, Severity: Error,
		Title: tc.host + ": the chain does not verify: " + ep.Error, Evidence: ev}}
}

// anchorOf says what a chain that failed for another reason is anchored in.
func anchorOf(pub *PublicRoots, chain []*x509.Certificate) (Anchor, string) {
	if r := pub.Anchor(chain); r != nil {
		return AnchorPublic, name(r)
	}
	last := chain[len(chain)-1]
	if selfSigned(last) {
		return AnchorPrivate, name(last)
	}
	return AnchorUnknown, issuerName(last)
}

// unknownAuthority explains "certificate signed by unknown authority": which issuer is
// missing, and whether it is a public root (the store lacks it) or a private one (a
// company or intercepting CA: name and fingerprint).
func unknownAuthority(tc tlsContext, ep Endpoint, chain []*x509.Certificate, ev []string) (Endpoint, []Finding) {
	ev = append(ev, storeEvidence(tc.roots)...)
	if r := tc.pub.Anchor(chain); r != nil {
		ep.Anchor, ep.Root = AnchorPublic, name(r)
		return ep, []Finding{{ID: "tls.public-root-missing", Area: AreaTLS, Severity: Error,
			Title:    fmt.Sprintf("%s: the chain leads to the public root %q, which Go's root store on this machine lacks", tc.host, ep.Root),
			Evidence: ev,
			Fix:      publicRootFix(tc.roots)}}
	}
	last := chain[len(chain)-1]
	var rootDesc, fp string
	if selfSigned(last) {
		ep.Root = name(last)
		sum := sha256.Sum256(last.Raw)
		fp = fingerprint(sum[:])
		rootDesc = fmt.Sprintf("%q (presented by the server, SHA-256 %s)", ep.Root, fp)
	} else {
		ep.Root = issuerName(last)
		rootDesc = fmt.Sprintf("%q (not presented; authority key id %s)", ep.Root, strings.ToUpper(hex.EncodeToString(last.AuthorityKeyId)))
	}
	ep.Anchor = AnchorPrivate
	ev = append(ev, "missing issuer: "+rootDesc, "not one of the public roots Go's fallback bundle carries (golang.org/x/crypto/x509roots/fallback)")
	title := fmt.Sprintf("%s: the chain is signed by %q, a private CA Go does not trust: a company CA or a TLS-inspecting proxy (Zscaler, Netskope, ...)", tc.host, ep.Root)
	return ep, []Finding{{ID: "tls.private-root-missing", Area: AreaTLS, Severity: Error,
		Title: title, Evidence: ev, Fix: privateRootFix(tc.goos, tc.roots, ep.Root, fp),
		Links: []string{"https://pkg.go.dev/crypto/x509#SystemCertPool"}}}
}

func chainEvidence(chain []*x509.Certificate) []string {
	var ev []string
	for i, c := range chain {
		sum := sha256.Sum256(c.Raw)
		ev = append(ev, fmt.Sprintf("chain[%d]: %s, issued by %s, valid %s to %s, SHA-256 %s", i, name(c), issuerName(c),
			c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"), fingerprint(sum[:])))
	}
	return ev
}

func storeEvidence(r RootStore) []string {
	switch r.Kind {
	case StorePlatform:
		return []string{"root store: the " + r.OS + " platform verifier (SSL_CERT_FILE and SSL_CERT_DIR are ignored)"}
	}
	ev := []string{}
	if r.File != "" {
		ev = append(ev, fmt.Sprintf("root store: %s (%s)", r.File, certs(r.FileCerts)))
	} else {
		ev = append(ev, "root store: no bundle file of "+strings.Join(r.FilesTried, ", "))
	}
	if len(r.Dirs) > 0 {
		ev = append(ev, fmt.Sprintf("root store: directories %s (%s)", strings.Join(r.Dirs, ", "), certs(r.DirCerts)))
	}
	return ev
}

func certNames(c *x509.Certificate) string {
	var n []string
	n = append(n, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		n = append(n, ip.String())
	}
	if len(n) == 0 {
		return "no host names"
	}
	return strings.Join(n, ", ")
}

func clockCommands(goos string) []string {
	switch goos {
	case "darwin":
		return []string{"sudo sntp -sS time.apple.com"}
	case "linux":
		return []string{"timedatectl status", "sudo timedatectl set-ntp true"}
	}
	return nil
}

var unsafeFile = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9]+`) })

// pemName is a file name for a root: "Corp Root CA" → corp-root-ca.pem.
func pemName(root string) string {
	s := strings.Trim(unsafeFile().ReplaceAllString(strings.ToLower(root), "-"), "-")
	if s == "" {
		s = "corp-root"
	}
	return s + ".pem"
}

// privateRootFix is how to trust a private root in the store Go reads on goos (the
// per-OS commands mkcert uses: truststore_darwin.go, truststore_linux.go).
func privateRootFix(goos string, r RootStore, root, fp string) *Fix {
	file := pemName(root)
	check := "Get " + file + " (the certificate of \"" + root + "\") from your IT department"
	if fp != "" {
		check += " and check that its SHA-256 fingerprint is " + fp
	}
	check += ", then add it to the store Go reads; never turn verification off."
	switch goos {
	case "darwin":
		return &Fix{Needs: finding.NeedsMacOS, Text: check + " Go on macOS reads the keychain (SSL_CERT_FILE is ignored).",
			Commands: []string{"sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain " + file}}
	case "windows":
		return &Fix{Needs: finding.NeedsWindows, Text: check, Commands: []string{"certutil -addstore -f Root " + file}}
	}
	bundle := r.File
	if bundle == "" {
		bundle = linuxCertFiles[0]
	}
	cmds := []string{}
	if strings.HasPrefix(bundle, "/etc/pki/") {
		cmds = append(cmds, "sudo cp "+file+" /etc/pki/ca-trust/source/anchors/", "sudo update-ca-trust extract")
	} else {
		crt := strings.TrimSuffix(file, ".pem") + ".crt"
		cmds = append(cmds, "sudo cp "+file+" /usr/local/share/ca-certificates/"+crt, "sudo update-ca-certificates")
	}
	cmds = append(cmds, "cat "+bundle+" "+file+" > $HOME/.config/go-roots.pem && export SSL_CERT_FILE=$HOME/.config/go-roots.pem")
	return &Fix{Needs: finding.NeedsRoot, Text: check + " System-wide with the first commands; or for this user only with the last (SSL_CERT_FILE replaces just the bundle file, so it must keep the public roots).", Commands: cmds}
}

// publicRootFix is how to restore the public roots.
func publicRootFix(r RootStore) *Fix {
	switch {
	case r.Kind == StorePlatform:
		return &Fix{Text: "The system's root store lacks a public root: update the OS (its root store ships with it) and check that the root is not distrusted in Keychain Access / certmgr."}
	case r.CertFile != "":
		return &Fix{Needs: finding.NeedsNetwork, Text: "SSL_CERT_FILE=" + r.CertFile + " replaces the system bundle and lacks the public roots: unset it, or append the system bundle to it.",
			Commands: []string{"unset SSL_CERT_FILE"}}
	case r.CertDir != "" && r.File == "":
		return &Fix{Needs: finding.NeedsNetwork, Text: "SSL_CERT_DIR replaces the system directories and no bundle file is readable: unset it.", Commands: []string{"unset SSL_CERT_DIR"}}
	}
	return &Fix{Needs: finding.NeedsRoot, Text: "Install or update the CA certificates.", Commands: []string{"sudo apt-get install --reinstall ca-certificates && sudo update-ca-certificates", "sudo dnf reinstall ca-certificates"}}
}
