package changelog

import "testing"

func TestDetectLinks(t *testing.T) {
	tests := []struct {
		name               string
		kind, remote, web  string
		wantKind, wantBase string
	}{
		{"https", "auto", "https://github.com/acme/widget", "", "github", "https://github.com/acme/widget"},
		{"https with .git", "auto", "https://github.com/acme/widget.git", "", "github", "https://github.com/acme/widget"},
		{"trailing slash", "auto", "https://github.com/acme/widget/", "", "github", "https://github.com/acme/widget"},
		{"trailing .git and slash", "auto", "https://github.com/acme/widget.git/", "", "github", "https://github.com/acme/widget"},
		{"credentials dropped", "auto", "https://x-access-token:secret@github.com/acme/widget.git", "", "github", "https://github.com/acme/widget"},
		{"http", "auto", "http://github.com/acme/widget", "", "github", "http://github.com/acme/widget"},
		{"empty kind is auto", "", "https://github.com/acme/widget", "", "github", "https://github.com/acme/widget"},
		{"white space", "auto", "  https://github.com/acme/widget.git\n", "", "github", "https://github.com/acme/widget"},
		{"ssh", "auto", "ssh://git@github.com/acme/widget.git", "", "github", "https://github.com/acme/widget"},
		{"ssh with port", "auto", "ssh://git@gitlab.example.com:2222/acme/widget.git", "", "gitlab", "https://gitlab.example.com/acme/widget"},
		{"git+ssh", "auto", "git+ssh://git@github.com/acme/widget", "", "github", "https://github.com/acme/widget"},
		{"git protocol", "auto", "git://github.com/acme/widget.git", "", "github", "https://github.com/acme/widget"},
		{"scp-like", "auto", "git@github.com:acme/widget.git", "", "github", "https://github.com/acme/widget"},
		{"scp-like without user", "auto", "github.com:acme/widget.git", "", "github", "https://github.com/acme/widget"},
		{"GitHub Enterprise", "auto", "git@github.acme.corp:team/widget.git", "", "github", "https://github.acme.corp/team/widget"},
		{"gitlab subgroups", "auto", "git@gitlab.com:acme/tools/cli/widget.git", "", "gitlab", "https://gitlab.com/acme/tools/cli/widget"},
		{"gitlab https subgroups", "auto", "https://gitlab.com/acme/tools/widget", "", "gitlab", "https://gitlab.com/acme/tools/widget"},
		{"self-hosted gitlab", "auto", "https://gitlab.acme.corp/acme/widget.git", "", "gitlab", "https://gitlab.acme.corp/acme/widget"},
		{"gitea", "auto", "https://gitea.acme.corp/acme/widget.git", "", "gitea", "https://gitea.acme.corp/acme/widget"},
		{"forgejo", "auto", "git@forgejo.acme.corp:acme/widget.git", "", "gitea", "https://forgejo.acme.corp/acme/widget"},
		{"codeberg", "auto", "https://codeberg.org/acme/widget.git", "", "gitea", "https://codeberg.org/acme/widget"},
		{"host case", "auto", "https://GitHub.com/acme/widget", "", "github", "https://GitHub.com/acme/widget"},
		{"unknown host", "auto", "https://git.acme.corp/acme/widget.git", "", "", ""},
		{"bitbucket", "auto", "git@bitbucket.org:acme/widget.git", "", "", ""},
		{"kind none", "none", "https://github.com/acme/widget", "", "", ""},
		{"kind none with a URL", "none", "", "https://github.com/acme/widget", "", ""},
		{"kind forced with an unknown host", "gitlab", "https://git.acme.corp/acme/widget.git", "", "gitlab", "https://git.acme.corp/acme/widget"},
		{"kind forced on github", "gitea", "https://github.com/acme/widget", "", "gitea", "https://github.com/acme/widget"},
		{"explicit URL", "auto", "git@git.acme.corp:acme/widget.git", "https://github.com/acme/widget/", "github", "https://github.com/acme/widget"},
		{"explicit URL without a remote", "auto", "", "https://gitlab.com/acme/widget", "gitlab", "https://gitlab.com/acme/widget"},
		{"explicit URL, unknown host", "auto", "", "https://code.acme.corp/acme/widget", "", ""},
		{"explicit URL and kind", "gitea", "", "https://code.acme.corp/acme/widget", "gitea", "https://code.acme.corp/acme/widget"},
		{"no remote", "auto", "", "", "", ""},
		{"no remote, forced kind", "github", "", "", "", ""},
		{"local path", "auto", "/srv/git/widget.git", "", "", ""},
		{"relative path", "github", "../widget.git", "", "", ""},
		{"file URL", "auto", "file:///srv/git/widget.git", "", "", ""},
		{"unsupported scheme", "github", "ftp://github.com/acme/widget", "", "", ""},
		{"host without path", "github", "https://github.com", "", "", ""},
		{"scp-like without path", "github", "git@github.com:", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DetectLinks(tt.kind, tt.remote, tt.web)
			want := Links{Kind: tt.wantKind, Base: tt.wantBase}
			if got != want {
				t.Errorf("DetectLinks(%q, %q, %q) = %+v; want %+v", tt.kind, tt.remote, tt.web, got, want)
			}
		})
	}
}

// The port of an https remote is the web server's: the links need it. (The
// port of an ssh remote is not, and TestDetectLinks drops it.)
func TestDetectLinksKeepsHTTPSPort(t *testing.T) {
	got := DetectLinks("auto", "https://gitea.acme.corp:3000/acme/widget.git", "")
	want := Links{Kind: "gitea", Base: "https://gitea.acme.corp:3000/acme/widget"}
	if got != want {
		t.Errorf("DetectLinks(auto, https://gitea.acme.corp:3000/acme/widget.git) = %+v; want %+v", got, want)
	}
}

func TestLinks(t *testing.T) {
	const h = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		links           Links
		commit, compare string
	}{
		{Links{Kind: "github", Base: "https://github.com/o/r"}, "https://github.com/o/r/commit/" + h, "https://github.com/o/r/compare/v1.0.0...v1.1.0"},
		{Links{Kind: "gitea", Base: "https://codeberg.org/o/r"}, "https://codeberg.org/o/r/commit/" + h, "https://codeberg.org/o/r/compare/v1.0.0...v1.1.0"},
		{Links{Kind: "gitlab", Base: "https://gitlab.com/g/s/r"}, "https://gitlab.com/g/s/r/-/commit/" + h, "https://gitlab.com/g/s/r/-/compare/v1.0.0...v1.1.0"},
		{Links{}, "", ""},
		{Links{Kind: "bitbucket", Base: "https://bitbucket.org/o/r"}, "", ""},
	}
	for _, tt := range tests {
		if got := tt.links.Commit(h); got != tt.commit {
			t.Errorf("%+v.Commit = %q; want %q", tt.links, got, tt.commit)
		}
		if got := tt.links.Compare("v1.0.0", "v1.1.0"); got != tt.compare {
			t.Errorf("%+v.Compare = %q; want %q", tt.links, got, tt.compare)
		}
	}
}
