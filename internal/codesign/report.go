package codesign

import "encoding/hex"

// Report is one file as `gonative sign --json` prints it.
type Report struct {
	Path      string        `json:"path"`
	Universal bool          `json:"universal,omitempty"`
	Slices    []SliceReport `json:"slices,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// SliceReport is one slice of a Report.
type SliceReport struct {
	Arch string `json:"arch"`
	// Signed is false for a slice kept as it was (Kept says why).
	Signed bool   `json:"signed"`
	Kept   string `json:"kept,omitempty"`
	// Kind is "adhoc" or "certificate".
	Kind             string   `json:"kind,omitempty"`
	Identifier       string   `json:"identifier,omitempty"`
	TeamID           string   `json:"team_id,omitempty"`
	Hashes           []string `json:"hashes,omitempty"`
	CDHash           string   `json:"cdhash,omitempty"`
	CodeLimit        int64    `json:"code_limit,omitempty"`
	Pages            int      `json:"pages,omitempty"`
	SignatureSize    int      `json:"signature_size,omitempty"`
	Previous         string   `json:"previous,omitempty"`
	AddedLoadCommand bool     `json:"added_load_command,omitempty"`
	HardenedRuntime  bool     `json:"hardened_runtime,omitempty"`
	Entitlements     bool     `json:"entitlements,omitempty"`
	Timestamp        bool     `json:"timestamp,omitempty"`
}

// Report is res for the file at path (res may be nil when err is set).
func (res *Result) Report(path string, err error) Report {
	r := Report{Path: path}
	if err != nil {
		r.Error = err.Error()
	}
	if res == nil {
		return r
	}
	r.Universal = res.Universal
	for _, s := range res.Slices {
		sr := SliceReport{Arch: s.Arch, Signed: s.Kept == "", Kept: s.Kept}
		if sr.Signed {
			sr.Kind = "adhoc"
			if s.CMS {
				sr.Kind = "certificate"
			}
			sr.Identifier, sr.TeamID = s.Identifier, s.TeamID
			for _, h := range s.Hashes {
				sr.Hashes = append(sr.Hashes, h.String())
			}
			sr.CDHash = hex.EncodeToString(s.CDHash)
			sr.CodeLimit, sr.Pages, sr.SignatureSize = s.CodeLimit, s.Pages, s.SignatureSize
			sr.Previous = s.Previous.String()
			sr.AddedLoadCommand, sr.HardenedRuntime, sr.Entitlements, sr.Timestamp = s.AddedLoadCommand, s.HardenedRuntime, s.Entitlements, s.Timestamp
		}
		r.Slices = append(r.Slices, sr)
	}
	return r
}
