package changelog

import (
	"net/url"
	"strings"
)

// Links builds web links for commits and comparisons on a forge.
type Links struct {
	Kind string // "github", "gitlab", "gitea" or "" for none
	Base string // web URL of the repository, without a trailing slash
}

// Commit returns the web URL of a commit, or "" without a forge.
func (l Links) Commit(hash string) string {
	switch l.Kind {
	case "github", "gitea":
		return l.Base + "/commit/" + hash
	case "gitlab":
		return l.Base + "/-/commit/" + hash
	}
	return ""
}

// Compare returns the web URL comparing two refs, or "" without a forge.
func (l Links) Compare(from, to string) string {
	switch l.Kind {
	case "github", "gitea":
		return l.Base + "/compare/" + from + "..." + to
	case "gitlab":
		return l.Base + "/-/compare/" + from + "..." + to
	}
	return ""
}

// DetectLinks derives Links from a git remote URL (https, ssh or scp-like
// "git@host:org/repo.git"), with kind "auto" guessing the forge from the
// host name, and webURL, when not empty, overriding the derived base.
// It returns no links for kind "none" or a remote it cannot read.
func DetectLinks(kind, remote, webURL string) Links {
	if kind == "none" {
		return Links{}
	}
	base := strings.TrimSuffix(webURL, "/")
	host := ""
	if base == "" {
		base, host = webBase(remote)
	} else if u, err := url.Parse(base); err == nil {
		host = u.Hostname()
	}
	if base == "" {
		return Links{}
	}
	if kind == "" || kind == "auto" {
		h := strings.ToLower(host)
		switch {
		case h == "github.com" || strings.Contains(h, "github"):
			kind = "github"
		case strings.Contains(h, "gitlab"):
			kind = "gitlab"
		case strings.Contains(h, "gitea") || strings.Contains(h, "forgejo") || h == "codeberg.org":
			kind = "gitea"
		default:
			return Links{}
		}
	}
	return Links{Kind: kind, Base: base}
}

// webBase turns a git remote URL into https://host/path, and its host.
func webBase(remote string) (base, host string) {
	remote = strings.TrimSpace(remote)
	if remote == "" {
		return "", ""
	}
	var path string
	scheme, hostport := "https", ""
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.Host != "" {
		switch u.Scheme {
		case "http", "https":
			// The web server is the one the remote names, port included.
			scheme, hostport = u.Scheme, u.Host
		case "ssh", "git", "git+ssh":
		default:
			return "", ""
		}
		host, path = u.Hostname(), u.Path
	} else if at, rest, ok := strings.Cut(remote, ":"); ok && !strings.Contains(at, "/") {
		// scp-like: [user@]host:path
		if i := strings.LastIndexByte(at, '@'); i >= 0 {
			at = at[i+1:]
		}
		host, path = at, rest
	} else {
		return "", ""
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	if host == "" || path == "" {
		return "", ""
	}
	if hostport == "" {
		hostport = host
	}
	return scheme + "://" + hostport + "/" + path, host
}
