package scaffold

import (
	"encoding/json"
	"testing"
)

func TestReport(t *testing.T) {
	create := Change{File: File{Path: "Dockerfile", Data: []byte("FROM x\n")}, Action: Create}
	same := Change{File: File{Path: ".dockerignore", Data: []byte("a\n")}, Action: Unchanged, Old: []byte("a\n")}
	for _, tc := range []struct {
		name    string
		changes []Change
		dryRun  bool
		want    string
	}{
		{"nothing", nil, false, `null`},
		{"written", []Change{create, same}, false, `[{"path":"Dockerfile","action":"create","written":true},{"path":".dockerignore","action":"unchanged","written":false}]`},
		{"dry run shows content of changes only", []Change{create, same}, true, `[{"path":"Dockerfile","action":"create","written":false,"content":"FROM x\n"},{"path":".dockerignore","action":"unchanged","written":false}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(Report(tc.changes, tc.dryRun))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
}
