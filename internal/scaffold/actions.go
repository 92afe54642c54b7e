package scaffold

// The GitHub Actions the CI workflow uses, each at its current major version, in this
// one table. Checked on ActionsChecked against the actions' releases: checkout v7
// (v7.0.0 June 2026, v7.0.1 July 2026), setup-go v7 (v7.0.0 July 2026) and
// upload-artifact v7 (v7.0.0 March 2026; there is no v8) all run on Node 24. The
// Node 20 majors (checkout v4, setup-go v5, upload-artifact v4) were forced onto
// Node 24 in June 2026 and are removed from the runners in September 2026.
const (
	ActionsChecked = "2026-12-06"

	actionCheckout       = "actions/checkout@v7"
	actionSetupGo        = "actions/setup-go@v7"
	actionUploadArtifact = "actions/upload-artifact@v7"
)

// actions is the table as the workflow template sees it.
type actions struct{ Checked, Checkout, SetupGo, UploadArtifact string }

var workflowActions = actions{ActionsChecked, actionCheckout, actionSetupGo, actionUploadArtifact}
