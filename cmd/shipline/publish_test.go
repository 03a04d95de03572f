package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/internal/s3test"
	"github.com/shipline-ci/shipline/store"
)

// gitEnv is the environment of the git and shipline processes of these
// tests: a private identity and configuration, fixed dates.
func gitEnv(home string) []string {
	return append(os.Environ(),
		"HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Lovelace", "GIT_COMMITTER_EMAIL=ada@example.com",
		"GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z",
		"AWS_EC2_METADATA_DISABLED=true",
	)
}

// mustRepo makes a git repository with a module of path at tag v1.0.0.
func mustRepo(t *testing.T, path string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module " + path + "\n\ngo 1.21\n",
		"m.go":   "package m\n\n// Big is there to make the zip take more than one write.\nconst Big = `" + strings.Repeat("x", 1<<16) + "`\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "feat: first"}, {"tag", "v1.0.0"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = gitEnv(dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// shiplineBinary returns the path of a "shipline" that is this test
// binary, which TestMain runs as the real program.
func shiplineBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "shipline")
	if err := os.Symlink(self, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestPublishKilled kills a real 'shipline publish' process while it
// writes the commit marker (.info) to an S3 store, whose server holds that
// request until the client is gone. The version must stay invisible, and
// the next publish must complete it.
func TestPublishKilled(t *testing.T) {
	ctx := context.Background()
	srv := s3test.StartServer(t, s3test.Options{Hang: ".info"})
	repo := mustRepo(t, "example.com/Killed")
	url := srv.URL("")
	cmd := exec.Command(shiplineBinary(t), "-C", repo, "publish", "--store", url)
	cmd.Env = gitEnv(repo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hung := srv.WaitHang(t, 2*time.Minute)
	if want := "/" + s3test.Bucket + "/example.com/!killed/@v/v1.0.0.info"; hung != want {
		t.Errorf("the server held %s; want %s", hung, want)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var keys []string
	s.List(ctx, "", func(o store.Object) error { keys = append(keys, o.Key); return nil })
	want := []string{"example.com/!killed/@v/v1.0.0.mod", "example.com/!killed/@v/v1.0.0.shipline.json", "example.com/!killed/@v/v1.0.0.zip"}
	if !slices.Equal(keys, want) {
		t.Fatalf("after the kill the store holds %q; want %q", keys, want)
	}
	if v, err := s.Versions(ctx, "example.com/Killed"); err != nil || len(v) != 0 {
		t.Errorf("Versions after the kill = %v, %v; want none", v, err)
	}
	if _, err := s.OpenZip(ctx, "example.com/Killed", "v1.0.0"); shipline.ErrorCode(err) != shipline.ENOTFOUND {
		t.Errorf("OpenZip after the kill: %v; want ENOTFOUND", err)
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.OK() || len(rep.Problems) != 1 || rep.Problems[0].Kind != store.ProblemIncomplete {
		t.Errorf("Verify after the kill = %+v, %v; want OK with one incomplete version", rep, err)
	}

	// The server holds only the first .info: the next publish completes.
	again := exec.Command(shiplineBinary(t), "-C", repo, "publish", "--store", url)
	again.Env = gitEnv(repo)
	out, err := again.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "published (completing an unfinished publish) example.com/Killed@v1.0.0") {
		t.Fatalf("publish after the kill: %v\n%s", err, out)
	}
	if v, err := s.Versions(ctx, "example.com/Killed"); err != nil || !slices.Equal(v, []string{"v1.0.0"}) {
		t.Errorf("Versions after the second publish = %v, %v", v, err)
	}
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) != 0 {
		t.Errorf("Verify after the second publish = %+v, %v", rep, err)
	}
}

// TestPublishDist publishes a module with the release files of its dist
// directory, and refuses a dist built from another commit.
func TestPublishDist(t *testing.T) {
	ctx := context.Background()
	repo := mustRepo(t, "example.com/dist")
	for k, v := range map[string]string{"HOME": repo, "GIT_CONFIG_NOSYSTEM": "1"} {
		t.Setenv(k, v)
	}
	commit, err := exec.Command("git", "-C", repo, "rev-parse", "v1.0.0^{commit}").Output()
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	var arts []shipline.Artifact
	for name, content := range map[string]string{"app_linux_amd64.tar.gz": "archive", "checksums.txt": "sums"} {
		os.WriteFile(filepath.Join(dist, name), []byte(content), 0o644)
		sum := sha256.Sum256([]byte(content))
		arts = append(arts, shipline.Artifact{Name: name, Path: name, Kind: shipline.KindArchive, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))})
	}
	writeManifest := func(commit string) {
		data, _ := json.Marshal(map[string]any{"version": "v1.0.0", "commit": commit, "date": "2026-01-02T03:04:05Z", "artifacts": arts})
		os.WriteFile(filepath.Join(dist, "artifacts.json"), data, 0o644)
	}
	storeDir := filepath.Join(t.TempDir(), "store")
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Dir: repo}
		code := m.Run(ctx, args)
		return code, stdout.String(), stderr.String()
	}

	writeManifest(strings.Repeat("0", 40))
	if code, _, stderr := run("publish", "--store", storeDir, "--dist", dist); code != 1 || !strings.Contains(stderr, "holds the build of v1.0.0 at 0000000, not of v1.0.0 at") {
		t.Fatalf("publish of a dist built from another commit: exit %d, %s", code, stderr)
	}
	writeManifest(strings.TrimSpace(string(commit)))
	code, _, stderr := run("publish", "--store", storeDir, "--dist", dist)
	if code != 0 || !strings.Contains(stderr, "published the release of example.com/dist@v1.0.0 (2 files)") {
		t.Fatalf("publish --dist: exit %d, %s", code, stderr)
	}
	s, err := store.Open(ctx, storeDir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rel, err := s.ReadRelease(ctx, "example.com/dist", "v1.0.0")
	if err != nil || len(rel.Artifacts) != 2 || rel.Commit != strings.TrimSpace(string(commit)) {
		t.Fatalf("ReadRelease = %+v, %v", rel, err)
	}
	code, stdout, _ := run("store", "verify", storeDir, "--json")
	if code != 0 || !strings.Contains(stdout, `"releases": 1`) || !strings.Contains(stdout, `"ok": true`) {
		t.Fatalf("store verify: exit %d\n%s", code, stdout)
	}
}
