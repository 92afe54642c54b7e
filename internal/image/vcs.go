package image

import (
	"context"
	"net/url"
	"os/exec"
	"strings"
	"time"
)

// VCSSource returns the web address of the git repository dir is in, from its
// "origin" remote, for the org.opencontainers.image.source label: https, without
// credentials or ".git". It is "" when dir is not in a git repository with an origin
// (nothing is made up), or the remote is not a URL a browser could open.
func VCSSource(ctx context.Context, dir string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "remote", "get-url", "origin")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return webURL(strings.TrimSpace(string(out)))
}

// webURL turns a git remote (https://, ssh://, git://, or scp-like user@host:path)
// into https://host/path, or "" when it is none of those.
func webURL(remote string) string {
	if remote == "" || strings.ContainsAny(remote, " \t\r\n") {
		return ""
	}
	var host, p string
	if strings.Contains(remote, "://") {
		u, err := url.Parse(remote)
		if err != nil || u.Host == "" {
			return ""
		}
		switch u.Scheme {
		case "https", "http", "ssh", "git", "git+ssh":
		default:
			return ""
		}
		host, p = u.Hostname(), u.Path
		if u.Scheme == "http" || u.Scheme == "https" {
			host = u.Host // a port is part of a web address
		}
	} else if at, rest, ok := strings.Cut(remote, ":"); ok && !strings.Contains(at, "/") {
		// scp-like: [user@]host:path
		if i := strings.LastIndex(at, "@"); i >= 0 {
			at = at[i+1:]
		}
		host, p = at, rest
	} else {
		return ""
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	if host == "" || p == "" {
		return ""
	}
	return (&url.URL{Scheme: "https", Host: host, Path: "/" + p}).String()
}
