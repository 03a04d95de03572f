package pipeline

import (
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

func TestEvent(t *testing.T) {
	tests := []struct {
		ev          Event
		branch, tag string
		wantErr     string
	}{
		{ev: Event{Kind: Push, Ref: "refs/heads/main"}, branch: "main"},
		{ev: Event{Kind: Push, Ref: "refs/heads/release/1.2"}, branch: "release/1.2"},
		{ev: Event{Kind: Tag, Ref: "refs/tags/v1.2.0"}, tag: "v1.2.0"},
		{ev: Event{Kind: Manual, Ref: "refs/heads/dev"}, branch: "dev"},
		{ev: Event{Kind: Cron, Ref: "refs/tags/nightly"}, tag: "nightly"},
		{ev: Event{Kind: Push, Ref: "refs/heads/main", ChangedFiles: []string{"a.go", "./b/c.go"}}, branch: "main"},
		{ev: Event{Kind: "pull_request", Ref: "refs/heads/main"}, branch: "main", wantErr: `unknown event "pull_request": want one of push, tag, manual, cron`},
		{ev: Event{Kind: Push, Ref: "main"}, wantErr: `ref "main" is not a full ref such as refs/heads/main or refs/tags/v1.2.0`},
		{ev: Event{Kind: Push, Ref: "refs/"}, wantErr: `ref "refs/" is not a full ref`},
		{ev: Event{Kind: Push, Ref: "refs/tags/v1"}, tag: "v1", wantErr: "a push event is on a branch (refs/heads/...), not refs/tags/v1; a pushed tag is a tag event"},
		{ev: Event{Kind: Tag, Ref: "refs/heads/main"}, branch: "main", wantErr: "a tag event is on a tag (refs/tags/...), not refs/heads/main"},
		{ev: Event{Kind: Push, Ref: "refs/heads/main", ChangedFiles: []string{"/etc/passwd"}}, branch: "main", wantErr: `changed file "/etc/passwd" is not a path relative`},
		{ev: Event{Kind: Push, Ref: "refs/heads/main", ChangedFiles: []string{"a/../../b"}}, branch: "main", wantErr: `changed file "a/../../b"`},
		{ev: Event{Kind: Push, Ref: "refs/heads/main", ChangedFiles: []string{""}}, branch: "main", wantErr: `changed file ""`},
	}
	for _, tt := range tests {
		if b, tg := tt.ev.Branch(), tt.ev.TagName(); b != tt.branch || tg != tt.tag {
			t.Errorf("%+v: Branch, TagName = %q, %q; want %q, %q", tt.ev, b, tg, tt.branch, tt.tag)
		}
		err := tt.ev.Validate()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%+v: Validate: %v", tt.ev, err)
		case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
			t.Errorf("%+v: Validate = %v, want %q", tt.ev, err, tt.wantErr)
		case err != nil && shipline.ErrorCode(err) != shipline.EINVALID:
			t.Errorf("%+v: Validate error code %q", tt.ev, shipline.ErrorCode(err))
		}
	}
}

func TestCheck(t *testing.T) {
	push := func(branch string, files ...string) Event {
		return Event{Kind: Push, Ref: "refs/heads/" + branch, ChangedFiles: files}
	}
	tag := func(name string) Event { return Event{Kind: Tag, Ref: "refs/tags/" + name} }
	releaseTags := config.RefFilter{Include: config.Strings{`^refs/tags/v.*$`}, Exclude: config.Strings{`^refs/tags/.*-rc\..*$`}}
	tests := []struct {
		name string
		when config.When
		ev   Event
		want string // "" when the conditions hold
	}{
		{"no conditions", config.When{}, tag("v1"), ""},
		{"event matches", config.When{Event: config.Strings{Push, Manual}}, push("main"), ""},
		{"event does not match, one", config.When{Event: config.Strings{Tag}}, push("main"), "when.event: push is not tag"},
		{"event does not match, two", config.When{Event: config.Strings{Push, Manual}}, tag("v1"), "when.event: tag is not push or manual"},
		{"event does not match, three", config.When{Event: config.Strings{Push, Manual, Cron}}, tag("v1"), "when.event: tag is not one of push, manual, cron"},

		{"ref include matches", config.When{Ref: releaseTags}, tag("v1.2.0"), ""},
		{"ref include and exclude: rc excluded", config.When{Ref: releaseTags}, tag("v1.2.0-rc.1"), `when.ref.exclude: refs/tags/v1.2.0-rc.1 matches ^refs/tags/.*-rc\..*$`},
		{"ref include does not match", config.When{Ref: releaseTags}, tag("nightly"), "when.ref.include: refs/tags/nightly matches none of ^refs/tags/v.*$"},
		{"ref include does not match a branch", config.When{Ref: releaseTags}, push("main"), "when.ref.include: refs/heads/main matches none of ^refs/tags/v.*$"},
		{"ref exclude only", config.When{Ref: config.RefFilter{Exclude: config.Strings{"^refs/heads/wip/"}}}, push("wip/x"), "when.ref.exclude: refs/heads/wip/x matches ^refs/heads/wip/"},
		{"ref exclude only, not excluded", config.When{Ref: config.RefFilter{Exclude: config.Strings{"^refs/heads/wip/"}}}, push("main"), ""},
		{"ref regexps are unanchored", config.When{Ref: config.RefFilter{Include: config.Strings{"release"}}}, push("x/release-1"), ""},
		{"ref include, any of several", config.When{Ref: config.RefFilter{Include: config.Strings{"^refs/heads/main$", "^refs/tags/"}}}, tag("v1"), ""},

		{"branch exact", config.When{Branch: config.Strings{"main"}}, push("main"), ""},
		{"branch glob", config.When{Branch: config.Strings{"main", "release/*"}}, push("release/1.2"), ""},
		{"branch glob stays in its segment", config.When{Branch: config.Strings{"release/*"}}, push("release/1.2/fix"), "when.branch: release/1.2/fix matches none of release/*"},
		{"branch ** crosses segments", config.When{Branch: config.Strings{"release/**"}}, push("release/1.2/fix"), ""},
		{"branch on a tag never matches", config.When{Branch: config.Strings{"**"}}, tag("v1"), "when.branch: refs/tags/v1 is not a branch"},
		{"branch on a manual run", config.When{Branch: config.Strings{"main"}}, Event{Kind: Manual, Ref: "refs/heads/main"}, ""},

		{"paths unknown hold", config.When{Paths: config.PathFilter{Include: config.Strings{"**/*.go"}}}, push("main"), ""},
		{"paths: nothing changed", config.When{Paths: config.PathFilter{Include: config.Strings{"**/*.go"}}}, Event{Kind: Push, Ref: "refs/heads/main", ChangedFiles: []string{}}, "when.paths: no file changed"},
		{"paths include with **", config.When{Paths: config.PathFilter{Include: config.Strings{"**/*.go"}}}, push("main", "README.md", "cmd/app/main.go"), ""},
		{"paths include at the top only", config.When{Paths: config.PathFilter{Include: config.Strings{"*.go"}}}, push("main", "cmd/app/main.go"), "when.paths.include: no changed file matches *.go"},
		{"paths include misses", config.When{Paths: config.PathFilter{Include: config.Strings{"**/*.go", "go.mod"}}}, push("main", "README.md", "docs/a.md"), "when.paths.include: no changed file matches **/*.go, go.mod"},
		{"paths exclude all", config.When{Paths: config.PathFilter{Exclude: config.Strings{"docs/**", "*.md"}}}, push("main", "README.md", "docs/a/b.md"), "when.paths.exclude: every changed file that counts matches docs/**, *.md"},
		{"paths exclude some", config.When{Paths: config.PathFilter{Exclude: config.Strings{"docs/**"}}}, push("main", "docs/a.md", "main.go"), ""},
		{"paths include and exclude, the included one excluded", config.When{Paths: config.PathFilter{Include: config.Strings{"**/*.go"}, Exclude: config.Strings{"**/*_test.go"}}}, push("main", "a_test.go", "README.md"), "when.paths.exclude: every changed file that counts matches **/*_test.go"},
		{"paths include and exclude, one left", config.When{Paths: config.PathFilter{Include: config.Strings{"**/*.go"}, Exclude: config.Strings{"**/*_test.go"}}}, push("main", "a_test.go", "b.go"), ""},
		{"paths clean ./", config.When{Paths: config.PathFilter{Include: config.Strings{"go.mod"}}}, push("main", "./go.mod"), ""},

		{"all hold", config.When{Event: config.Strings{Push}, Branch: config.Strings{"main"}, Ref: config.RefFilter{Exclude: config.Strings{"wip"}}, Paths: config.PathFilter{Include: config.Strings{"**"}}}, push("main", "x"), ""},
		{"the first that fails is named", config.When{Event: config.Strings{Tag}, Branch: config.Strings{"dev"}}, push("main"), "when.event: push is not tag"},
		{"status is not decided here", config.When{Status: config.Strings{"failure"}}, push("main"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := check(tt.when, tt.ev, "when")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("check = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckBadRegexp(t *testing.T) {
	w := config.When{Ref: config.RefFilter{Include: config.Strings{"("}}}
	if _, err := check(w, Event{Kind: Push, Ref: "refs/heads/main"}, "when"); shipline.ErrorCode(err) != shipline.EINVALID {
		t.Errorf("check with a bad regexp: %v, want an EINVALID error", err)
	}
}
