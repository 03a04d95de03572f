package runner_test

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/runner"
	"github.com/shipline-ci/shipline/runner/mask"
)

// token has '+' and '/' in its standard base64, so that the URL alphabet
// differs.
const token = "tok>en?~s3cr3t-Value"

func TestSecretsMasked(t *testing.T) {
	t.Parallel()
	r, rec := testRunner(t)
	r.Secrets = runner.EnvSecrets{Lookup: func(name string) (string, bool) {
		return map[string]string{"SHIPLINE_SECRET_TOKEN": token}[name], name == "SHIPLINE_SECRET_TOKEN"
	}}
	res := mustRun(t, r, runner.Job{Name: "secrets", Dir: t.TempDir(), Steps: []runner.Step{
		{Name: "leak", Secrets: []string{"TOKEN"}, Script: []string{
			`echo "$TOKEN"`,
			`echo "token is $TOKEN."`,
			`printf '%s' "$TOKEN"; echo`,
			`echo "$TOKEN" >&2`,
			`printf '%s' "$TOKEN" | base64`,
			`printf '%s' "$TOKEN" | base64 | tr '+/' '-_'`,
			`printf 'x%s' "$TOKEN" | base64 -w0; echo`,
			`printf 'xy%s' "$TOKEN" | base64 -w0; echo`,
			`printf 'xyz%s and more' "$TOKEN" | base64 -w0; echo`,
			`printf '%s' "$TOKEN" | od -An -tx1 | tr -d ' \n'; echo`,
			// Split across writes, with the child pausing in between.
			`printf '%s' "$(printf '%s' "$TOKEN" | cut -c1-7)"; sleep 0.1; printf '%s' "$(printf '%s' "$TOKEN" | cut -c8-12)"; sleep 0.1; printf '%s\n' "$(printf '%s' "$TOKEN" | cut -c13-)"`,
			// At the very end, without a newline.
			`printf 'last:%s' "$TOKEN"`,
		}},
		{Name: "other", Script: []string{`echo "other: ${TOKEN:-unset}"`}},
	}})
	wantStatus(t, res, "leak", runner.StatusSuccess)
	out := rec.Output("leak", runner.Stdout)
	b64 := base64.StdEncoding.EncodeToString([]byte(token))
	forbidden := []string{token, b64, base64.URLEncoding.EncodeToString([]byte(token)), hex.EncodeToString([]byte(token))}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		forbidden = append(forbidden, mask.Base64Forms(enc, []byte(token))...)
	}
	for _, l := range rec.Lines("") {
		for _, f := range forbidden {
			if strings.Contains(l.Text, f) {
				t.Errorf("line %q shows the secret as %q", l.Text, f)
			}
		}
	}
	// Inside a longer base64 stream the characters shared with the
	// neighbouring bytes stay.
	inStream := func(prefix, suffix string) string {
		e := base64.StdEncoding.EncodeToString([]byte(prefix + token + suffix))
		start, end := (8*len(prefix)+5)/6, 8*(len(prefix)+len(token))/6
		return e[:start] + "***" + e[end:]
	}
	wantLines := []string{"***", "token is ***.", "***", "***", "***", inStream("x", ""), inStream("xy", ""), inStream("xyz", " and more"), "***"}
	got := strings.Split(out, "\n")
	for i, w := range wantLines {
		if i >= len(got) || got[i] != w {
			t.Fatalf("stdout %q: line %d is not %q", out, i, w)
		}
	}
	if !strings.HasSuffix(out, "\n***\nlast:***\n") {
		t.Errorf("stdout %q does not end with the split secret and the last line masked", out)
	}
	if got := rec.Output("leak", runner.Stderr); got != "***\n" {
		t.Errorf("stderr %q, want masked", got)
	}
	if got := rec.Output("other"); got != "other: unset\n" {
		t.Errorf("a step that does not name the secret printed %q", got)
	}
}

func TestSecretErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "SHORT"), []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	job := func(secret string) runner.Job {
		return runner.Job{Name: "j", Dir: dir, Steps: []runner.Step{{Name: "s", Secrets: []string{secret}, Script: []string{"touch ran"}}}}
	}
	tests := []struct {
		name     string
		provider runner.SecretProvider
		secret   string
		code     string
		error    string
	}{
		{"no provider", nil, "X", shipline.EINVALID, "no secret provider"},
		{"missing file", runner.DirSecrets{Dir: dir}, "MISSING", shipline.ENOTFOUND, "no file"},
		{"missing variable", runner.EnvSecrets{}, "MISSING", shipline.ENOTFOUND, "set the environment variable SHIPLINE_SECRET_MISSING"},
		{"short", runner.DirSecrets{Dir: dir}, "SHORT", shipline.EINVALID, "secret SHORT is 3 bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := testRunner(t)
			r.Secrets = tt.provider
			_, err := r.Run(t.Context(), job(tt.secret), runner.RunOptions{})
			if shipline.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.error) {
				t.Errorf("Run: %v (code %q), want %s containing %q", err, shipline.ErrorCode(err), tt.code, tt.error)
			}
			if exists(dir, "ran") {
				t.Errorf("the step ran")
			}
		})
	}
}

func TestDirSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, content := range map[string]string{"A": "value\n", "B": "crlf\r\n", "C": "two\n\n", "D": "-----BEGIN-----\nabc\n-----END-----\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := runner.DirSecrets{Dir: dir}
	for name, want := range map[string]string{"A": "value", "B": "crlf", "C": "two\n", "D": "-----BEGIN-----\nabc\n-----END-----"} {
		got, err := p.Secret(t.Context(), name)
		if err != nil || got != want {
			t.Errorf("Secret(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"../A", ".", ""} {
		if _, err := p.Secret(t.Context(), name); shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("Secret(%q): %v, want EINVALID", name, err)
		}
	}
}

func TestEnvSecrets(t *testing.T) {
	t.Parallel()
	got, err := runner.EnvSecrets{}.Secret(t.Context(), "FROM_ENV") // set by TestMain
	if err != nil || got != "env-secret-value" {
		t.Errorf("default prefix: %q, %v", got, err)
	}
	lookup := func(name string) (string, bool) {
		v, ok := map[string]string{"GH_TOKEN": "gh", "X_A": "xa"}[name]
		return v, ok
	}
	p := runner.EnvSecrets{Prefix: "X_", Map: map[string]string{"GITHUB": "GH_TOKEN"}, Lookup: lookup}
	for name, want := range map[string]string{"GITHUB": "gh", "A": "xa"} {
		if got, err := p.Secret(t.Context(), name); err != nil || got != want {
			t.Errorf("Secret(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
}
