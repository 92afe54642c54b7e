package doctor

import (
	"strings"
	"testing"
)

// The network checks read the settings from the layers when no go runs (a fake
// machine), say "unknown" for what nothing sets, describe the root store as
// crypto/x509 reads it, and report a macOS system proxy go ignores.
func TestNetChecks(t *testing.T) {
	tests := []struct {
		name  string
		setup func() *fake
		check string
		want  Severity
		ids   []string // finding ids that must be present
		text  string
	}{
		{"unknown settings", func() *fake { return newFake("linux", "amd64") }, "net.settings", OK,
			[]string{"net.settings:settings.goproxy", "net.settings:settings.gosumdb"}, "unknown (no go ran"},
		{"settings from the environment", func() *fake {
			f := newFake("linux", "amd64")
			f.env["GOPROXY"] = "https://proxy.example.com|direct"
			f.env["GOSUMDB"] = "off"
			f.env["GOINSECURE"] = "git.corp.example"
			return f
		}, "net.settings", Warning,
			[]string{"net.settings:settings.gosumdb-off", "net.settings:settings.goinsecure"}, "https://proxy.example.com|direct"},
		{"SSL_CERT_FILE on linux keeps the directories", func() *fake {
			f := newFake("linux", "amd64")
			f.file("/home/me/corp.pem", "-----BEGIN CERTIFICATE-----\n")
			f.file("/etc/ssl/certs/a.pem", "-----BEGIN CERTIFICATE-----\n")
			f.env["SSL_CERT_FILE"] = "/home/me/corp.pem"
			return f
		}, "net.certs", OK, []string{"net.certs:tls.roots"}, "SSL_CERT_FILE=/home/me/corp.pem replaces only the bundle file list"},
		{"mac system proxy", func() *fake {
			f := appleSilicon()
			f.exec["scutil --proxy"] = "<dictionary> {\n  HTTPSEnable : 1\n  HTTPSPort : 3128\n  HTTPSProxy : proxy.corp.example\n}\n"
			return f
		}, "net.settings", Warning, []string{"net.settings:proxy.system"}, "export HTTPS_PROXY=http://proxy.corp.example:3128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := run(t, tt.setup(), tt.check)
			got := worst(fs)
			if got == Info {
				got = OK
			}
			if got != tt.want {
				t.Errorf("worst = %s, want %s\n%s", got, tt.want, dump(fs))
			}
			all := ""
			for _, f := range fs {
				// Grouped by the check (its area, network), not by netcheck's area: the
				// doctor's JSON has no area on a finding.
				if f.Check != tt.check || f.Area != "" {
					t.Errorf("%s: check %q, area %q; want check %q, no area", f.ID, f.Check, f.Area, tt.check)
				}
				all += f.ID + " " + f.Title + "\n" + strings.Join(f.Evidence, "\n") + "\n"
				if f.Fix != nil {
					all += strings.Join(f.Fix.Commands, "\n") + "\n"
				}
			}
			for _, id := range tt.ids {
				if !strings.Contains(all, id+" ") {
					t.Errorf("no finding %s\n%s", id, dump(fs))
				}
			}
			if !strings.Contains(all, tt.text) {
				t.Errorf("nothing says %q\n%s", tt.text, dump(fs))
			}
		})
	}
}
