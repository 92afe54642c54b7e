package ciconf

import (
	"strings"
	"time"
)

// A Runner is what a CI runner label says about the machine a job runs on.
type Runner struct {
	// OS is Go's name of the runner's OS: linux, darwin, windows.
	OS string
	// Arch is the runner's GOARCH: amd64 or arm64.
	Arch string
}

// runnerOf returns the machine of one GitHub-hosted runner label, or false when the
// label is not one GitHub hosts (a self-hosted or larger runner's own name).
func runnerOf(label string) (Runner, bool) {
	l := strings.ToLower(strings.TrimSpace(label))
	switch {
	case strings.HasPrefix(l, "ubuntu-"):
		if strings.HasSuffix(l, "-arm") {
			return Runner{"linux", "arm64"}, true
		}
		if l == "ubuntu-latest" || isVersion(strings.TrimPrefix(l, "ubuntu-")) {
			return Runner{"linux", "amd64"}, true
		}
	case strings.HasPrefix(l, "macos-"):
		rest := strings.TrimPrefix(l, "macos-")
		v, size, _ := strings.Cut(rest, "-")
		if v != "latest" && !isVersion(v) {
			return Runner{}, false
		}
		switch size {
		case "xlarge":
			return Runner{"darwin", "arm64"}, true
		case "large", "intel":
			return Runner{"darwin", "amd64"}, true
		case "":
			// macos-14 and later are Apple Silicon; macos-13 and earlier Intel.
			if v == "latest" || major(v) >= 14 {
				return Runner{"darwin", "arm64"}, true
			}
			return Runner{"darwin", "amd64"}, true
		}
	case strings.HasPrefix(l, "windows-"):
		if strings.HasSuffix(l, "-arm") {
			return Runner{"windows", "arm64"}, true
		}
		if l == "windows-latest" || isVersion(strings.TrimPrefix(l, "windows-")) {
			return Runner{"windows", "amd64"}, true
		}
	}
	return Runner{}, false
}

// selfHosted returns what the default labels of a self-hosted GitHub runner say
// (self-hosted, linux/macOS/windows, X64/ARM64); a field is empty where no label
// names it.
func selfHosted(labels []string) Runner {
	var r Runner
	for _, l := range labels {
		switch strings.ToLower(strings.TrimSpace(l)) {
		case "linux":
			r.OS = "linux"
		case "macos":
			r.OS = "darwin"
		case "windows":
			r.OS = "windows"
		case "x64":
			r.Arch = "amd64"
		case "arm64":
			r.Arch = "arm64"
		}
	}
	return r
}

func isVersion(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

func major(v string) int {
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		if n > 1000 {
			break
		}
	}
	return n
}

// A Retirement is one GitHub-hosted runner image's end, as GitHub announced it.
type Retirement struct {
	// Labels are the runs-on labels the retirement removes.
	Labels []string
	// Date is the day the image is (or was) fully retired, in UTC; when MonthOnly is
	// set, GitHub named only the month and Date is its first day.
	Date      time.Time
	MonthOnly bool
	// Successor is the label of the same OS and architecture to move to; Note says
	// what moving changes when there is none of the same architecture.
	Successor string
	Note      string
	// Source is GitHub's announcement of the date.
	Source string
}

// When is the date as the announcement gives it: 2025-12-04, or August 2027.
func (r Retirement) When() string {
	if r.MonthOnly {
		return r.Date.Format("January 2006")
	}
	return r.Date.Format(time.DateOnly)
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Retirements is the dated table of GitHub-hosted runner images that are retired or
// retiring, each with GitHub's announcement; checked 2026-12-06. A label missing here
// is one GitHub had not announced an end for by then.
var Retirements = []Retirement{
	{Labels: []string{"windows-2016"}, Date: day("2022-04-01"), Successor: "windows-2025",
		Source: "https://github.com/actions/runner-images/issues/5238"},
	{Labels: []string{"macos-10.15"}, Date: day("2022-12-01"), Successor: "macos-15-intel",
		Source: "https://github.com/actions/runner-images/issues/5583"},
	{Labels: []string{"ubuntu-18.04"}, Date: day("2023-04-03"), Successor: "ubuntu-24.04",
		Source: "https://github.com/actions/runner-images/issues/6002"},
	{Labels: []string{"macos-11"}, Date: day("2024-06-28"), Successor: "macos-15-intel",
		Source: "https://github.blog/changelog/2024-05-20-actions-upcoming-changes-to-github-hosted-macos-runners/"},
	{Labels: []string{"macos-12", "macos-12-large"}, Date: day("2024-12-03"), Successor: "macos-15-intel",
		Source: "https://github.com/actions/runner-images/issues/10721"},
	{Labels: []string{"ubuntu-20.04"}, Date: day("2025-04-15"), Successor: "ubuntu-24.04",
		Source: "https://github.com/actions/runner-images/issues/11101"},
	{Labels: []string{"windows-2019"}, Date: day("2025-06-30"), Successor: "windows-2025",
		Source: "https://github.com/actions/runner-images/issues/12045"},
	{Labels: []string{"macos-13", "macos-13-large"}, Date: day("2025-12-04"), Successor: "macos-15-intel",
		Source: "https://github.blog/changelog/2025-09-19-github-actions-macos-13-runner-image-is-closing-down/"},
	{Labels: []string{"macos-13-xlarge"}, Date: day("2025-12-04"), Successor: "macos-15-xlarge",
		Source: "https://github.blog/changelog/2025-09-19-github-actions-macos-13-runner-image-is-closing-down/"},
	{Labels: []string{"macos-14", "macos-14-xlarge"}, Date: day("2026-11-02"), Successor: "macos-15",
		Source: "https://github.com/actions/runner-images/issues/13518"},
	{Labels: []string{"macos-14-large"}, Date: day("2026-11-02"), Successor: "macos-15-intel",
		Source: "https://github.com/actions/runner-images/issues/13518"},
	{Labels: []string{"ubuntu-22.04"}, Date: day("2027-04-17"), Successor: "ubuntu-24.04",
		Source: "https://github.com/actions/runner-images/issues/14254"},
	{Labels: []string{"ubuntu-22.04-arm"}, Date: day("2027-04-17"), Successor: "ubuntu-24.04-arm",
		Source: "https://github.com/actions/runner-images/issues/14254"},
	{Labels: []string{"macos-15-intel"}, Date: day("2027-08-01"), MonthOnly: true, Successor: "macos-15",
		Note:   "the last Intel image: its successor is Apple Silicon (darwin/arm64)",
		Source: "https://github.com/actions/runner-images/issues/13045"},
}

// retirementOf returns the retirement of a label, if GitHub announced one.
func retirementOf(label string) (Retirement, bool) {
	l := strings.ToLower(strings.TrimSpace(label))
	for _, r := range Retirements {
		for _, x := range r.Labels {
			if x == l {
				return r, true
			}
		}
	}
	return Retirement{}, false
}
