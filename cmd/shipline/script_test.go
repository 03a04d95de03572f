package main

import (
	"context"
	"flag"
	goversion "go/version"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script from what the commands print")

// TestMain lets testscript run the real shipline program as a separate
// process: the test binary re-executes itself as "shipline".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"shipline": func() {
			m := NewMain()
			code := m.Run(context.Background(), os.Args[1:])
			m.Close()
			os.Exit(code)
		},
	})
}

// TestScripts runs the CLI scripts in testdata/script: real git
// repositories built in temporary directories, checked end to end.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   filepath.Join("testdata", "script"),
		Setup: setupGit,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"commit":   cmdCommit,
			"waitfile": cmdWaitFile,
		},
		RequireExplicitExec: true,
		UpdateScripts:       *update,
	})
}

// setupGit gives every script a private git identity, configuration and
// fixed dates, so hashes and changelogs come out the same on every run.
func setupGit(env *testscript.Env) error {
	for k, v := range map[string]string{
		"HOME":                env.WorkDir,
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME":     "Ada Lovelace",
		"GIT_AUTHOR_EMAIL":    "ada@example.com",
		"GIT_COMMITTER_NAME":  "Ada Lovelace",
		"GIT_COMMITTER_EMAIL": "ada@example.com",
		"GIT_AUTHOR_DATE":     "2026-01-02T03:04:05Z",
		"GIT_COMMITTER_DATE":  "2026-01-02T03:04:05Z",
		"GOFLAGS":             "-mod=mod",
		"GOPROXY":             "off",
		"GOTOOLCHAIN":         "local",
	} {
		env.Setenv(k, v)
	}
	for _, k := range []string{"GOCACHE", "GOPATH", "GOMODCACHE", "PATH"} {
		if v := os.Getenv(k); v != "" {
			env.Setenv(k, v)
		}
	}
	if os.Getenv("GOCACHE") == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			env.Setenv("GOCACHE", filepath.Join(dir, "go-build"))
		}
	}
	// GOLANG is the language version of the go command the scripts run
	// (1.26 for go1.26.8), for configurations that name it.
	env.Setenv("GOLANG", goLang())
	return nil
}

// goLang returns the language version of the go command on PATH with
// GOTOOLCHAIN=local, as the scripts run it, or "" when there is none.
var goLang = sync.OnceValue(func() string {
	cmd := exec.Command("go", "env", "GOVERSION")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(goversion.Lang(strings.TrimSpace(string(out))), "go")
})

// cmdCommit makes a commit: "commit MESSAGE [FILE...]" appends a line to
// each FILE (default: a file named after the message's order) and commits
// them with MESSAGE, whose "\n" sequences become newlines.
func cmdCommit(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! commit")
	}
	if len(args) < 1 {
		ts.Fatalf("usage: commit MESSAGE [FILE...]")
	}
	msg := strings.ReplaceAll(args[0], `\n`, "\n")
	files := args[1:]
	if len(files) == 0 {
		files = []string{"changes.txt"}
	}
	for _, f := range files {
		p := ts.MkAbs(f)
		ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
		fh, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		ts.Check(err)
		_, err = fh.WriteString(msg + "\n")
		ts.Check(err)
		ts.Check(fh.Close())
		ts.Check(ts.Exec("git", "add", "--", f))
	}
	ts.Check(ts.Exec("git", "commit", "-q", "-m", msg))
}
