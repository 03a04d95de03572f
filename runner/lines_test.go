package runner_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shipline-ci/shipline/runner"
)

// TestLongOutput prints megabytes without a newline, invalid UTF-8 and a
// multi-byte character where a line must be cut: lines stay bounded and
// valid, and no byte goes missing.
func TestLongOutput(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	const size = 5 << 20
	res := mustRun(t, r, runner.Job{Name: "long", Dir: t.TempDir(), Steps: []runner.Step{
		{Name: "big", Script: []string{
			`head -c 5242880 /dev/zero | tr '\0' a`,
			`printf '\377\376ok\r\n'`,
			`head -c 65535 /dev/zero | tr '\0' b; printf '\303\251\n'`, // é does not fit in the first line
			`printf 'no newline at the end \342\202'`,                  // and a truncated €
		}},
	}})
	wantStatus(t, res, "big", runner.StatusSuccess)
	lines := rec.Lines("big")
	longest := 0
	for i, l := range lines {
		longest = max(longest, len(l.Text))
		if !utf8.ValidString(l.Text) {
			t.Fatalf("line %d is not valid UTF-8", i)
		}
	}
	if longest != runner.MaxLineBytes {
		t.Errorf("longest line %d bytes, want %d", longest, runner.MaxLineBytes)
	}
	if n := len(lines); n < size/runner.MaxLineBytes || n > size/runner.MaxLineBytes+10 {
		t.Errorf("%d lines", n)
	}
	out := rec.Output("big")
	want := strings.Repeat("a", size) + "\uFFFD\uFFFDok\n" + strings.Repeat("b", 65535) + "é\n" + "no newline at the end \uFFFD\uFFFD\n"
	if out != want {
		t.Errorf("output differs from what the step printed (%d bytes, want %d); tail %q", len(out), len(want), out[max(0, len(out)-80):])
	}
	for _, l := range lines {
		if strings.HasPrefix(l.Text, "bbb") && l.Continued && len(l.Text) != 65535 {
			t.Errorf("the line before é is %d bytes, want 65535: é must not be split", len(l.Text))
		}
	}
}
