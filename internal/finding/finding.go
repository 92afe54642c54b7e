// Package finding holds what doctor's and netcheck's findings share: one severity
// scale, so both reports sort, count and exit on the same rule, and the shape of a fix.
package finding

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

// Fix says how to make a finding go away: what to do, and the commands that do it.
type Fix struct {
	Text     string   `json:"text"`
	Commands []string `json:"commands,omitempty"`
}
