package netcheck

import (
	"bytes"
	"crypto/x509"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/gonative/gonative/internal/atomicfile"
	"github.com/gonative/gonative/internal/finding"
	"github.com/gonative/gonative/internal/machine"
)

// Root store kinds.
const (
	// StoreFiles is the Unix way: PEM files and directories (crypto/x509/root_unix.go).
	StoreFiles = "files"
	// StorePlatform is the OS verifier: the macOS keychain through Security.framework
	// (crypto/x509/root_darwin.go), the Windows certificate store (root_windows.go).
	StorePlatform = "platform verifier"
)

// RootStore describes the roots Go trusts on a machine, read the way crypto/x509
// reads them.
type RootStore struct {
	OS   string `json:"os"`
	Kind string `json:"kind"`
	// File is the bundle file that was read (the first that exists of the list, or
	// SSL_CERT_FILE), FileCerts the certificates in it.
	File      string `json:"file,omitempty"`
	FileCerts int    `json:"file_certs,omitempty"`
	// FilesTried is the list File was taken from.
	FilesTried []string `json:"files_tried,omitempty"`
	// Unreadable are the files of FilesTried before File, and the files in Dirs,
	// that exist but could not be read. crypto/x509 moves on past them, except past
	// a named pipe or a device: it reads each file with os.ReadFile, which blocks on
	// a named pipe for ever (and reads a device like /dev/zero without end).
	Unreadable []FileError `json:"unreadable,omitempty"`
	// Dirs are the directories read, DirCerts the certificates found in them.
	Dirs     []string `json:"dirs,omitempty"`
	DirCerts int      `json:"dir_certs,omitempty"`
	// CertFile and CertDir are SSL_CERT_FILE and SSL_CERT_DIR as set ("" unset).
	CertFile string `json:"ssl_cert_file,omitempty"`
	CertDir  string `json:"ssl_cert_dir,omitempty"`
	// Ignored names variables that are set but that Go ignores on this OS.
	Ignored []string `json:"ignored,omitempty"`
}

// FileError is a file that exists but could not be read.
type FileError struct {
	File  string `json:"file"`
	Error string `json:"error"`
	// Blocks is set when the file is neither a regular file nor a directory (a
	// named pipe, a device, a socket): os.ReadFile, which go uses, may block on it
	// for ever.
	Blocks bool `json:"blocks,omitempty"`
}

// Blocking returns the first unreadable file of the root store that go would block
// on (ok false when there is none).
func (r RootStore) Blocking() (FileError, bool) {
	for _, e := range r.Unreadable {
		if e.Blocks {
			return e, true
		}
	}
	return FileError{}, false
}

// fileError describes a file fsys could not read, nil when it does not exist.
func fileError(fsys machine.Machine, name string, err error) *FileError {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	blocks := errors.Is(err, atomicfile.ErrNotRegular)
	if blocks {
		if _, derr := fsys.ReadDir(name); derr == nil {
			blocks = false // a directory: os.ReadFile fails at once
		}
	}
	return &FileError{File: name, Error: err.Error(), Blocks: blocks}
}

// Certs is the number of certificates read (files and directories).
func (r RootStore) Certs() int { return r.FileCerts + r.DirCerts }

// linuxCertFiles and linuxCertDirs are crypto/x509/root_linux.go's certFiles and
// certDirectories.
var (
	linuxCertFiles = []string{
		"/etc/ssl/certs/ca-certificates.crt",
		"/etc/pki/tls/certs/ca-bundle.crt",
		"/etc/ssl/ca-bundle.pem",
		"/etc/pki/tls/cacert.pem",
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
		"/etc/ssl/cert.pem",
	}
	linuxCertDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}
)

// DescribeRoots reads the root store of a machine whose OS is goos the way crypto/x509
// does. On Linux (root_unix.go, loadSystemRoots): SSL_CERT_FILE replaces only the list
// of bundle files (the first readable one is used); SSL_CERT_DIR (colon-separated)
// replaces only the list of directories, every one of which is read. On macOS
// (root_darwin.go) and Windows (root_windows.go) Go asks the OS verifier and ignores
// both variables.
func DescribeRoots(goos string, fsys machine.Machine) RootStore {
	getenv := Env{Machine: fsys}.getenv
	r := RootStore{OS: goos, CertFile: getenv("SSL_CERT_FILE"), CertDir: getenv("SSL_CERT_DIR")}
	switch goos {
	case "darwin", "ios", "windows":
		r.Kind = StorePlatform
		for _, v := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR"} {
			if getenv(v) != "" {
				r.Ignored = append(r.Ignored, v)
			}
		}
		return r
	}
	r.Kind = StoreFiles
	r.FilesTried = linuxCertFiles
	if r.CertFile != "" {
		r.FilesTried = []string{r.CertFile}
	}
	for _, f := range r.FilesTried {
		b, err := fsys.ReadFile(f)
		if err == nil {
			r.File, r.FileCerts = f, countPEM(b)
			break
		}
		if fe := fileError(fsys, f, err); fe != nil {
			r.Unreadable = append(r.Unreadable, *fe)
		}
	}
	dirs := linuxCertDirs
	if r.CertDir != "" {
		dirs = strings.Split(r.CertDir, ":")
	}
	for _, d := range dirs {
		ents, err := fsys.ReadDir(d)
		if err != nil {
			continue
		}
		r.Dirs = append(r.Dirs, d)
		for _, e := range ents {
			// root_unix.go skips symlinks to a name in the same directory (the
			// OpenSSL hash links); counting them would count a root twice. A fake
			// FS without link targets counts regular files only.
			if e.Type()&fs.ModeSymlink != 0 {
				continue
			}
			if e.IsDir() {
				continue // os.ReadFile fails on it at once
			}
			if b, err := fsys.ReadFile(d + "/" + e.Name()); err == nil {
				r.DirCerts += countPEM(b)
			} else if fe := fileError(fsys, d+"/"+e.Name(), err); fe != nil {
				r.Unreadable = append(r.Unreadable, *fe)
			}
		}
	}
	return r
}

func countPEM(b []byte) int { return bytes.Count(b, []byte("-----BEGIN CERTIFICATE-----")) }

// pool reads the certificates of r's bundle file and directories into a pool: the
// roots crypto/x509 would load if it did not block on r's Blocking file.
func (r RootStore) pool(fsys machine.Machine) *x509.CertPool {
	p := x509.NewCertPool()
	if fsys == nil {
		return p
	}
	if r.File != "" {
		if b, err := fsys.ReadFile(r.File); err == nil {
			p.AppendCertsFromPEM(b)
		}
	}
	for _, d := range r.Dirs {
		ents, _ := fsys.ReadDir(d)
		for _, e := range ents {
			if e.Type()&fs.ModeSymlink != 0 {
				continue
			}
			if b, err := fsys.ReadFile(d + "/" + e.Name()); err == nil {
				p.AppendCertsFromPEM(b)
			}
		}
	}
	return p
}

// RootFindings are the offline findings about a root store (doctor's net.certs).
func RootFindings(r RootStore) []Finding {
	var fs []Finding
	add := func(f Finding) { f.Area = AreaTLS; fs = append(fs, f) }
	switch r.Kind {
	case StorePlatform:
		store := "the macOS keychain (Security.framework, crypto/x509/root_darwin.go)"
		fix := &Fix{Needs: finding.NeedsMacOS, Text: "Add a company root to the System keychain instead.",
			Commands: []string{"sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain corp-root.pem"}}
		if r.OS == "windows" {
			store = "the Windows certificate store (crypto/x509/root_windows.go)"
			fix = &Fix{Needs: finding.NeedsWindows, Text: "Add a company root to the Windows root store instead.", Commands: []string{"certutil -addstore -f Root corp-root.pem"}}
		}
		if len(r.Ignored) > 0 {
			add(Finding{ID: "tls.roots", Severity: Info,
				Title:    "SSL_CERT_FILE/SSL_CERT_DIR are set, but Go on " + r.OS + " ignores them: it verifies with " + store,
				Evidence: []string{"SSL_CERT_FILE=" + r.CertFile, "SSL_CERT_DIR=" + r.CertDir},
				Fix:      fix,
				Links:    []string{"https://pkg.go.dev/crypto/x509#SystemCertPool"}})
			return fs
		}
		add(Finding{ID: "tls.roots", Severity: Info, Title: "Go verifies TLS with " + store})
		return fs
	}
	ev := []string{"bundle files tried, first readable used: " + strings.Join(r.FilesTried, ", ")}
	if r.File != "" {
		ev = append(ev, "read "+r.File+" ("+certs(r.FileCerts)+")")
	} else {
		ev = append(ev, "no bundle file is readable")
	}
	if len(r.Dirs) > 0 {
		ev = append(ev, "read directories "+strings.Join(r.Dirs, ", ")+" ("+certs(r.DirCerts)+")")
	}
	if r.CertFile != "" {
		ev = append(ev, "SSL_CERT_FILE="+r.CertFile+" replaces only the bundle file list")
	}
	if r.CertDir != "" {
		ev = append(ev, "SSL_CERT_DIR="+r.CertDir+" replaces the directory list")
	} else {
		ev = append(ev, "SSL_CERT_DIR unset: "+strings.Join(linuxCertDirs, ", ")+" are read too")
	}
	for _, e := range r.Unreadable {
		ev = append(ev, "cannot read "+e.File+": "+e.Error)
	}
	if b, ok := r.Blocking(); ok {
		f := Finding{ID: "tls.roots", Severity: Error,
			Title: b.File + " is not a regular file (" + b.Error + "): crypto/x509 reads every file of the root store whole, so go blocks there (a named pipe) " +
				"or reads without end (a device) and no TLS connection works",
			Evidence: ev,
			Fix:      &Fix{Needs: finding.NeedsRoot, Text: "Remove it, or put a PEM file (a regular file) there.", Commands: []string{"rm " + b.File}}}
		if b.File == r.CertFile {
			f.Fix = &Fix{Text: "Unset SSL_CERT_FILE, or point it at a PEM bundle (a regular file) holding the public roots plus yours.", Commands: []string{"unset SSL_CERT_FILE"}}
		}
		add(f)
		return fs
	}
	if r.Certs() == 0 && r.File != "" {
		add(Finding{ID: "tls.roots", Severity: Warning,
			Title:    r.File + " holds no certificate: Go trusts nothing and every TLS connection fails with \"x509: certificate signed by unknown authority\"",
			Evidence: ev,
			Fix:      &Fix{Needs: finding.NeedsRoot, Text: "Reinstall the CA certificates.", Commands: []string{"sudo apt-get install --reinstall ca-certificates && sudo update-ca-certificates"}}})
		return fs
	}
	if r.Certs() == 0 {
		f := Finding{ID: "tls.roots", Severity: Error,
			Title:    "no CA bundle: Go finds no root certificate and every TLS connection fails with \"x509: certificate signed by unknown authority\"",
			Evidence: ev,
			Fix:      &Fix{Needs: finding.NeedsRoot, Text: "Install the CA certificates (or point SSL_CERT_FILE at a bundle that exists).", Commands: []string{"sudo apt-get install ca-certificates", "sudo dnf install ca-certificates", "sudo apk add ca-certificates"}},
			Links:    []string{"https://pkg.go.dev/crypto/x509#SystemCertPool"}}
		if r.CertFile != "" {
			f.Fix = &Fix{Text: "SSL_CERT_FILE names no readable bundle: unset it, or point it at one holding the public roots plus yours.", Commands: []string{"unset SSL_CERT_FILE"}}
		}
		add(f)
		return fs
	}
	if r.CertFile != "" && r.File == "" {
		add(Finding{ID: "tls.roots", Severity: Warning,
			Title:    "SSL_CERT_FILE=" + r.CertFile + " is not readable: Go trusts only the certificates in the directories",
			Evidence: ev,
			Fix:      &Fix{Text: "Unset it, or point it at a bundle that exists.", Commands: []string{"unset SSL_CERT_FILE"}}})
		return fs
	}
	title := "Go trusts " + certs(r.Certs()) + " from " + r.File
	if r.File == "" {
		title = "Go trusts " + certs(r.Certs()) + " from " + strings.Join(r.Dirs, ", ")
	} else if len(r.Dirs) > 0 {
		title += " and " + strings.Join(r.Dirs, ", ")
	}
	add(Finding{ID: "tls.roots", Severity: Info, Title: title, Evidence: ev})
	return fs
}

// certs is "1 certificate", "2 certificates".
func certs(n int) string {
	if n == 1 {
		return "1 certificate"
	}
	return strconv.Itoa(n) + " certificates"
}
