package finding

import "testing"

func TestWorse(t *testing.T) {
	order := []Severity{OK, Info, Warning, Error}
	for i, s := range order {
		for j, u := range order {
			if got, want := s.Worse(u), i > j; got != want {
				t.Errorf("%s.Worse(%s) = %v, want %v", s, u, got, want)
			}
		}
	}
	if Unknown.Worse(OK) || Warning.Worse(Error) {
		t.Error("unknown is not a finding's severity, and a warning is not worse than an error")
	}
}

func TestFixSettleAndRunsHere(t *testing.T) {
	tests := []struct {
		name      string
		fix       *Fix
		wantNeeds Needs
		runsHere  bool
	}{
		{"nil", nil, "", false},
		{"text only: a person acts", &Fix{Text: "Ask IT."}, NeedsPerson, false},
		{"commands", &Fix{Text: "t", Commands: []string{"unset GOPROXY"}, Layer: LayerShell}, "", true},
		{"commands needing root", &Fix{Text: "t", Commands: []string{"sudo x"}, Needs: NeedsRoot}, NeedsRoot, false},
		{"text with a need kept", &Fix{Text: "t", Needs: NeedsMacOS}, NeedsMacOS, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before Fix
			if tt.fix != nil {
				before = *tt.fix
			}
			got := tt.fix.Settle()
			if tt.fix == nil {
				if got != nil {
					t.Fatalf("Settle(nil) = %+v", got)
				}
				return
			}
			if got.Needs != tt.wantNeeds || got.RunsHere() != tt.runsHere {
				t.Errorf("Settle = %+v (runs here %v), want needs %q, runs here %v", got, got.RunsHere(), tt.wantNeeds, tt.runsHere)
			}
			if tt.fix.Needs != before.Needs {
				t.Error("Settle changed its receiver")
			}
		})
	}
}
