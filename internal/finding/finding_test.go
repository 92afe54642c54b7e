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
