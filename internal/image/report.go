package image

import (
	"github.com/gonative/gonative/internal/inspect"
)

// BuildReport is `gonative image build --json`: the built image (its digest, each
// platform with its findings, the build) and where it was written.
type BuildReport struct {
	*Built
	Written *Written `json:"written"`
}

// FileReport is one executable in an image as `gonative inspect --json` prints it: the
// fields of the file and its verdict, then where in the image it is.
type FileReport struct {
	*inspect.Report
	Image       string `json:"image"`
	Platform    string `json:"platform"`
	Layer       int    `json:"layer"`
	LayerDigest string `json:"layer_digest"`
}

// Report is f as `gonative inspect --json` prints it.
func (f *File) Report() FileReport {
	r := FileReport{Image: f.Image, Platform: f.Platform, Layer: f.Layer, LayerDigest: f.LayerDigest.String()}
	if f.Result != nil {
		rep := f.Result.Report()
		r.Report = &rep
	}
	return r
}

// PlatformLine is a PlatformReport as `gonative inspect --json` prints it, one line
// among the files, marked by its report field ("image-platform").
type PlatformLine struct {
	Report string `json:"report"`
	*PlatformReport
}

// Line is r as `gonative inspect --json` prints it.
func (r *PlatformReport) Line() PlatformLine {
	return PlatformLine{Report: "image-platform", PlatformReport: r}
}
