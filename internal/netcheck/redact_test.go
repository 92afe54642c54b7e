package netcheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonative/gonative/internal/netcheck/netchecktest"
)

// TestReportHoldsNoCredentials: whatever renders it, the report itself never holds a
// password from GOPROXY, GOSUMDB, HTTPS_PROXY, .netrc or GOAUTH, nor one a server
// echoes back: not in a finding, a request, an error.
func TestReportHoldsNoCredentials(t *testing.T) {
	s := startServers(t)
	host := func(u string) string { return strings.TrimPrefix(u, "https://") }
	netrc := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(netrc, []byte("machine "+host(s.Echo)+" login carol password unitNETRCcanary\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, vars := range map[string]map[string]string{
		"url credentials": {"GOPROXY": "https://alice:unitPROXYcanary@" + host(s.Good),
			"GOSUMDB": s.GOSUMDB + " https://bob:unitSUMDBcanary@" + host(s.Good) + "/sumdb/" + netchecktest.SumDBName},
		"refused redirect": {"GOPROXY": "https://erin:unitREDIRECTcanary@" + host(s.Redirect)},
		"echoed url credentials": {"GOPROXY": "https://frank:unitECHOcanary@" + host(s.Echo),
			"GOAUTH": "cred --token=unitGOAUTHcanary;netrc", "HTTPS_PROXY": "http://dave:unitHTTPSPROXYcanary@127.0.0.1:9"},
		"echoed netrc": {"GOPROXY": s.Echo, "NETRC": netrc},
	} {
		t.Run(name, func(t *testing.T) {
			r := Run(t.Context(), testOptions(t, s, vars))
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if i := strings.Index(string(b), "canary"); i >= 0 {
				t.Errorf("report holds a credential: ...%s...", b[max(0, i-80):min(len(b), i+20)])
			}
			if strings.Contains(string(b), "Y2Fyb2w6") { // base64("carol:")
				t.Errorf("report holds the Basic authorization go sent: %s", b)
			}
			if len(r.Requests) == 0 {
				t.Errorf("no request made: %s", b)
			}
		})
	}
}
