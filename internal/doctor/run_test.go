package doctor

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunIsolatesPanicsAndTimeouts(t *testing.T) {
	checks := []Check{
		{ID: "t.ok", Area: AreaHost, Run: func(ctx context.Context, s *Session) []Finding {
			return []Finding{{Severity: Info, Title: "fine"}}
		}},
		{ID: "t.panic", Area: AreaHost, Run: func(ctx context.Context, s *Session) []Finding { panic("boom") }},
		{ID: "t.slow", Area: AreaGo, Run: func(ctx context.Context, s *Session) []Finding {
			time.Sleep(2 * time.Second) // ignores ctx on purpose
			return nil
		}},
		{ID: "t.err", Area: AreaGo, Run: func(ctx context.Context, s *Session) []Finding {
			return []Finding{{Severity: Error, Title: "broken", Fix: &Fix{Text: "fix it"}}}
		}},
		{ID: "t.darwin", Area: AreaHomebrew, OS: "darwin", Run: func(ctx context.Context, s *Session) []Finding { panic("must not run on linux") }},
		{ID: "t.net", Area: AreaNetwork, Network: true, Run: func(ctx context.Context, s *Session) []Finding { panic("must not run offline") }},
	}
	start := time.Now()
	r := Run(context.Background(), newFake("linux", "amd64").machine(t), checks, Options{Timeout: 200 * time.Millisecond})
	if d := time.Since(start); d > time.Second {
		t.Errorf("Run took %v; the slow check should have timed out after 200ms", d)
	}
	ids := map[string]Finding{}
	for _, f := range r.Findings {
		ids[f.ID] = f
	}
	for _, want := range []string{"t.ok", "t.panic.crashed", "t.slow.timeout", "t.err"} {
		if _, ok := ids[want]; !ok {
			t.Errorf("no finding %s in %v", want, r.Findings)
		}
	}
	if f := ids["t.panic.crashed"]; !strings.Contains(f.Evidence[0], "boom") || f.Check != "t.panic" {
		t.Errorf("crash finding = %+v", f)
	}
	if len(r.Checks) != 4 {
		t.Errorf("ran %d checks, want 4 (the darwin-only and network ones skipped)", len(r.Checks))
	}
	if r.Worst() != Error {
		t.Errorf("Worst = %s", r.Worst())
	}
	if r.SchemaVersion != SchemaVersion {
		t.Errorf("schema_version = %d", r.SchemaVersion)
	}
	var areas []string
	for _, a := range r.Areas {
		areas = append(areas, string(a.Area)+":"+string(a.Status))
	}
	if got := strings.Join(areas, " "); got != "host:warning go:error" {
		t.Errorf("areas = %s", got)
	}
}

func TestRegistry(t *testing.T) {
	r := Default()
	seen := map[string]bool{}
	for _, c := range r.Checks() {
		if seen[c.ID] || c.Title == "" || c.Area == "" {
			t.Errorf("check %+v: duplicate or missing title/area", c.ID)
		}
		seen[c.ID] = true
	}
	if len(seen) < 25 {
		t.Errorf("only %d checks", len(seen))
	}
	if err := r.Add(Check{ID: "go.arch", Run: checkGoArch}); err == nil {
		t.Error("adding a duplicate id succeeded")
	}
	if err := r.Add(Check{ID: "net.proxy", Area: AreaNetwork, Title: "proxy", Network: true, Run: checkNetCerts}); err != nil {
		t.Errorf("netcheck-style Add: %v", err)
	}
	cs, err := r.Select("go.arch", "cgo")
	if err != nil || len(cs) != 5 || cs[0].ID != "go.arch" {
		t.Errorf("Select(go.arch, cgo) = %d checks, %v", len(cs), err)
	}
	if _, err := r.Select("nope"); err == nil {
		t.Error("Select(nope) succeeded")
	}
}

func TestGOFLAGSProblems(t *testing.T) {
	for _, tt := range []struct {
		in   string
		bad  bool
		what string
	}{
		{"-mod=mod", false, ""},
		{"-mod=mod -tags=a,b", false, ""},
		{`"-ldflags=-s -w" -trimpath`, false, ""},
		{"-mod vendor", true, `"vendor"`},
		{"vendor", true, `"vendor"`},
		{`"-ldflags=-s`, true, "unterminated"},
		{"  ", false, ""},
	} {
		p := GOFLAGSProblems(tt.in)
		if (len(p) > 0) != tt.bad || (tt.bad && !strings.Contains(p[0], tt.what)) {
			t.Errorf("GOFLAGSProblems(%q) = %q", tt.in, p)
		}
	}
}

func TestLevels(t *testing.T) {
	for v, want := range map[string]bool{
		"v8.0": true, "v8.9": true, "v9.5": true, "v9.6": false, "v8.10": false, "v8": false, "v8.0,lse": true,
		"v8.0,crypto,lse": true, "v8.0,": false, "v8.0,sve": false, "8.0": false, "": false,
	} {
		if got := ValidGOARM64(v); got != want {
			t.Errorf("ValidGOARM64(%q) = %v", v, got)
		}
	}
	for v, want := range map[string]bool{"v1": true, "v4": true, "v5": false, "V3": false} {
		if got := ValidGOAMD64(v); got != want {
			t.Errorf("ValidGOAMD64(%q) = %v", v, got)
		}
	}
}

func FuzzGOFLAGS(f *testing.F) {
	for _, s := range []string{"-mod=mod", `"-ldflags=-s -w"`, "-mod vendor", "'", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		probs := GOFLAGSProblems(s)
		ValidGOARM64(s)
		// Accepted means every field is a flag (-x, --x, -x=v) with a value go takes.
		if fields, err := splitQuoted(s); len(probs) == 0 && err == nil {
			for _, fl := range fields {
				if !strings.HasPrefix(fl, "-") || fl == "-" || fl == "--" || goFlagValueProblem(fl) != "" {
					t.Fatalf("GOFLAGSProblems(%q) accepted field %q", s, fl)
				}
			}
		}
	})
}

func TestReportAreaOf(t *testing.T) {
	r := Report{Checks: []CheckResult{{ID: "go.path", Area: AreaGo}, {ID: "net.certs", Area: AreaNetwork}}}
	for _, tt := range []struct {
		f    Finding
		want Area
	}{
		{Finding{ID: "go.path", Check: "go.path"}, AreaGo},
		{Finding{ID: "net.certs:tls.roots", Check: "net.certs", Area: "tls"}, AreaNetwork}, // the check's area, not netcheck's
		{Finding{ID: "x", Check: "x"}, ""},
	} {
		if got := r.AreaOf(tt.f); got != tt.want {
			t.Errorf("AreaOf(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}
