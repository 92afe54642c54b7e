package image

import (
	"encoding/json"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestReportShapes(t *testing.T) {
	h := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}
	f := &File{Image: "oci-layout:out", Platform: "linux/arm64", Layer: 1, LayerDigest: h}
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"file: where in the image, after the file", f.Report(), `{"image":"oci-layout:out","platform":"linux/arm64","layer":1,"layer_digest":"sha256:` + h.Hex + `"}`},
		{"platform line: report first", (&PlatformReport{}).Line(), `{"report":"image-platform",`},
		{"build: written last", BuildReport{Built: &Built{}}, `"written":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if s := string(b); s != tc.want && !strings.HasPrefix(s, tc.want) && !strings.HasSuffix(s, tc.want) {
				t.Errorf("got  %s\nwant %s (whole, first or last)", s, tc.want)
			}
		})
	}
}
