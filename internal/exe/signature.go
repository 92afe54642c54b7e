package exe

// Signature is a Mach-O slice's code signature (LC_CODE_SIGNATURE).
type Signature struct {
	Present      bool   `json:"present"`
	AdHoc        bool   `json:"adhoc"`
	LinkerSigned bool   `json:"linker_signed"`
	Identifier   string `json:"identifier,omitempty"`
	TeamID       string `json:"team_id,omitempty"`
	// Valid is true when every CodeDirectory page hash matches the bytes on disk.
	Valid bool `json:"valid"`
	// Problem says why the signature is absent or not valid.
	Problem string `json:"problem,omitempty"`
}
