package image

// BuildReport is `gonative image build --json`: the built image (its digest, each
// platform with its findings, the build) and where it was written.
type BuildReport struct {
	*Built
	Written *Written `json:"written"`
}
