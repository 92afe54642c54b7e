package finding

import (
	"encoding/json"
	"testing"
)

// The JSON shapes doctor's and netcheck's findings had before they became Finding:
// a finding of either must be written byte for byte as before.
type (
	schema1Doctor struct {
		ID       string   `json:"id"`
		Check    string   `json:"check"`
		Severity Severity `json:"severity"`
		Title    string   `json:"title"`
		Evidence []string `json:"evidence,omitempty"`
		Fix      *Fix     `json:"fix,omitempty"`
		Links    []string `json:"links,omitempty"`
		StopsGo  bool     `json:"stops_go,omitempty"`
	}
	schema1Netcheck struct {
		ID       string   `json:"id"`
		Area     Area     `json:"area"`
		Severity Severity `json:"severity"`
		Title    string   `json:"title"`
		Evidence []string `json:"evidence,omitempty"`
		Fix      *Fix     `json:"fix,omitempty"`
		Links    []string `json:"links,omitempty"`
	}
)

func TestFindingJSONSchema1(t *testing.T) {
	fix := &Fix{Text: "unset it", Commands: []string{"unset GOFLAGS"}, Layer: LayerShell}
	for _, tt := range []struct {
		name string
		f    Finding
		old  any
	}{
		{"doctor, everything", Finding{ID: "settings.goflags", Check: "settings.goflags", Severity: Error, Title: "t", Evidence: []string{"e"}, Fix: fix, Links: []string{"l"}, StopsGo: true},
			schema1Doctor{"settings.goflags", "settings.goflags", Error, "t", []string{"e"}, fix, []string{"l"}, true}},
		{"doctor, bare", Finding{ID: "go.path", Check: "go.path", Severity: Info},
			schema1Doctor{ID: "go.path", Check: "go.path", Severity: Info}},
		{"netcheck, everything", Finding{ID: "proxy.ok", Area: AreaProxy, Severity: Info, Title: "t", Evidence: []string{"e"}, Fix: fix, Links: []string{"l"}},
			schema1Netcheck{"proxy.ok", AreaProxy, Info, "t", []string{"e"}, fix, []string{"l"}}},
		{"netcheck, bare", Finding{ID: "tls.error", Area: AreaTLS, Severity: Error},
			schema1Netcheck{ID: "tls.error", Area: AreaTLS, Severity: Error}},
	} {
		got, err1 := json.MarshalIndent(tt.f, "", "  ")
		want, err2 := json.MarshalIndent(tt.old, "", "  ")
		if err1 != nil || err2 != nil || string(got) != string(want) {
			t.Errorf("%s:\n%s\nwant (schema 1)\n%s", tt.name, got, want)
		}
	}
}

func TestWorstAndAreaTitle(t *testing.T) {
	if w := Worst(nil); w != OK {
		t.Errorf("Worst(nil) = %s", w)
	}
	if w := Worst([]Finding{{Severity: Info}, {Severity: Error}, {Severity: Warning}}); w != Error {
		t.Errorf("Worst = %s, want error", w)
	}
	for a, want := range map[Area]string{AreaGo: "Go on PATH", AreaSettings: "Settings", AreaSumDB: "Checksum database", "other": "other"} {
		if got := a.Title(); got != want {
			t.Errorf("%s.Title() = %q, want %q", a, got, want)
		}
	}
}
