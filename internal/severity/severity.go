// Package severity holds the one scale that doctor's and netcheck's findings share, so
// both reports sort, count and exit on the same rule.
package severity

// Severity orders findings. The values are part of the JSON contract of doctor and
// netcheck.
type Severity string

// Severities, least severe first.
const (
	OK      Severity = "ok"
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
	// Unknown is a status (never a finding's severity) for what could not be judged:
	// doctor's areas while go cannot run, for instance.
	Unknown Severity = "unknown"
)

func (s Severity) rank() int {
	switch s {
	case Info:
		return 1
	case Warning:
		return 2
	case Error:
		return 3
	}
	return 0
}

// Worse reports whether s is more severe than t.
func (s Severity) Worse(t Severity) bool { return s.rank() > t.rank() }
