package conventional

import (
	"reflect"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"empty", "", ""},
		{"only comments", "# Please enter the commit message\n#\n", ""},
		{"already clean", "feat: x\n\nbody", "feat: x\n\nbody"},
		{"final newline dropped", "feat: x\n", "feat: x"},
		{"comment lines dropped", "feat: x\n# comment\n\nbody\n#another", "feat: x\n\nbody"},
		{"hash not in column 1 is kept", "feat: x\n\n  # kept\nRefs #1", "feat: x\n\n  # kept\nRefs #1"},
		{"trailing white space", "feat: x \t\n\nbody\v\f \n", "feat: x\n\nbody"},
		{"leading and trailing blank lines", "\n \n\nfeat: x\n\n\n \n", "feat: x"},
		{"blank lines collapsed", "feat: x\n\n\n\nbody\n\n \n\nRefs: 1", "feat: x\n\nbody\n\nRefs: 1"},
		{"comment between paragraphs", "feat: x\n\n# c\n\nbody", "feat: x\n\nbody"},
		{"windows line endings", "feat: x\r\n\r\nbody\r\n# c\r\n", "feat: x\n\nbody"},
		{
			"scissors",
			"feat: x\n\nbody\n# Please enter...\n# ------------------------ >8 ------------------------\n# Do not modify or remove the line above.\ndiff --git a/x b/x\n+added\n",
			"feat: x\n\nbody",
		},
		{"scissors on line 1", "# ------------------------ >8 ------------------------\nfeat: x", ""},
		{"scissors with CRLF", "feat: x\r\n# ------------------------ >8 ------------------------\r\ndiff", "feat: x"},
		{"a scissors-like line not in column 1 is kept", "feat: x\n\n # ------------------------ >8 ------------------------", "feat: x\n\n # ------------------------ >8 ------------------------"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.raw); got != tt.want {
				t.Errorf("Clean(%q) = %q; want %q", tt.raw, got, tt.want)
			}
			if got := Clean(tt.want); got != tt.want {
				t.Errorf("Clean is not idempotent: Clean(%q) = %q", tt.want, got)
			}
		})
	}
}

func TestCleanThenParse(t *testing.T) {
	// What a commit-msg hook sees after "git commit -v" in an editor.
	raw := "feat(cli): add --dry-run\n\n\nShows the plan without running it.  \n\n" +
		"# Please enter the commit message for your changes. Lines starting\n" +
		"# with '#' will be ignored.\n\nRefs #42\n" +
		"# ------------------------ >8 ------------------------\n" +
		"diff --git a/main.go b/main.go\n"
	m, err := Parse(Clean(raw))
	if err != nil {
		t.Fatalf("Parse(Clean(raw)) error: %v", err)
	}
	want := &Message{Type: "feat", Scope: "cli", Description: "add --dry-run",
		Body: "Shows the plan without running it.", Footers: []Footer{{"Refs", " #", "42"}}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Parse(Clean(raw)) = %#v; want %#v", m, want)
	}
}
