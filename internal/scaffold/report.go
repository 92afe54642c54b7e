package scaffold

// PlannedFile is one file of a plan as `gonative init --json` prints it.
type PlannedFile struct {
	Path    string `json:"path"`
	Action  string `json:"action"`
	Written bool   `json:"written"`
	Diff    string `json:"diff,omitempty"`
	Content string `json:"content,omitempty"` // with a dry run
}

// Report is the plan changes as `gonative init --json` prints it; dryRun says that
// nothing was written, and adds the content of every file that would change. No
// changes give nil (JSON null), as the command has always printed.
func Report(changes []Change, dryRun bool) []PlannedFile {
	var out []PlannedFile
	for _, c := range changes {
		f := PlannedFile{Path: c.Path, Action: string(c.Action), Written: !dryRun && c.Action != Unchanged, Diff: string(c.Diff())}
		if dryRun && c.Action != Unchanged {
			f.Content = string(c.Data)
		}
		out = append(out, f)
	}
	return out
}
