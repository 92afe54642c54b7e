package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sync"
)

// ideChecks look at editor settings that pin another Go than the shell's.
func ideChecks() []Check {
	return []Check{
		{ID: "go.ide", Area: AreaGo, Title: "VS Code settings that pin a Go (go.goroot, go.alternateTools, go.toolsEnvVars)", Run: checkIDE},
	}
}

// vscodeSettings returns the VS Code user settings files of the machine (stable and
// Insiders), per the locations VS Code documents for each OS
// (code.visualstudio.com/docs/configure/settings#_settings-file-locations).
func vscodeSettings(goos string, getenv func(string) string) []string {
	var base string
	switch goos {
	case "darwin":
		base = getenv("HOME") + "/Library/Application Support"
	case "windows":
		base = getenv("APPDATA")
	default:
		base = getenv("XDG_CONFIG_HOME")
		if base == "" {
			base = getenv("HOME") + "/.config"
		}
	}
	if base == "" || base == "/Library/Application Support" || base == "/.config" {
		return nil
	}
	return []string{path.Join(base, "Code", "User", "settings.json"), path.Join(base, "Code - Insiders", "User", "settings.json")}
}

// jsoncComments matches // and /* */ comments outside strings (well enough for settings
// files: a string holding // is rare and then the parse merely fails).
var jsoncComments = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^\s*//.*$|[ \t]+//[^"\n]*$|/\*[\s\S]*?\*/`) })

// trailingCommas matches a comma before a closing brace or bracket.
var trailingCommas = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`,\s*([}\]])`) })

func checkIDE(ctx context.Context, s *Session) []Finding {
	var fs []Finding
	g, haveGo := s.ActiveGo(ctx)
	for _, file := range vscodeSettings(s.GOOS(ctx), s.Getenv) {
		data, err := s.M.ReadFile(file)
		if err != nil {
			continue
		}
		clean := trailingCommas().ReplaceAll(jsoncComments().ReplaceAll(data, nil), []byte("$1"))
		var settings map[string]any
		if err := json.Unmarshal(clean, &settings); err != nil {
			continue
		}
		if v, ok := settings["go.goroot"].(string); ok && v != "" {
			sev, title := Info, fmt.Sprintf("VS Code pins go.goroot=%s (%s)", v, file)
			if haveGo && g.GOROOT != "" && path.Clean(v) != path.Clean(g.GOROOT) {
				sev = Warning
				title = fmt.Sprintf("VS Code uses go.goroot=%s, not the go on your PATH (GOROOT %s): gopls and the debugger see another Go than your shell", v, g.GOROOT)
			}
			fs = append(fs, Finding{ID: "go.ide:goroot", Severity: sev, Title: title,
				Evidence: []string{file + `: "go.goroot": "` + v + `"`},
				Fix:      &Fix{Text: `Remove "go.goroot" from the settings (vscode-go: unnecessary in most cases); VS Code then uses the go on PATH.`},
				Links:    []string{"https://github.com/golang/vscode-go/blob/master/docs/advanced.md"}})
		}
		if alt, ok := settings["go.alternateTools"].(map[string]any); ok {
			if v, ok := alt["go"].(string); ok && v != "" {
				fs = append(fs, Finding{ID: "go.ide:alternate", Severity: Info,
					Title:    fmt.Sprintf("VS Code runs %s as go (go.alternateTools); doctor judged the go on PATH", v),
					Evidence: []string{file}})
			}
		}
		if env, ok := settings["go.toolsEnvVars"].(map[string]any); ok {
			for _, k := range []string{"GOARCH", "GOOS", "GOFLAGS", "GOROOT"} {
				if v, ok := env[k].(string); ok && v != "" {
					fs = append(fs, Finding{ID: "go.ide:env:" + k, Severity: Warning,
						Title:    fmt.Sprintf("VS Code sets %s=%s for Go tools (go.toolsEnvVars): the editor builds differently from the shell", k, v),
						Evidence: []string{file + ": go.toolsEnvVars." + k + "=" + v},
						Fix:      &Fix{Text: "Remove it from go.toolsEnvVars unless you mean it."}})
				}
			}
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return fs
}
