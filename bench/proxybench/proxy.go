package main

import (
	"flag"
	"fmt"
	"github.com/shipline-ci/shipline/bench/internal/benchmd"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// runProxy is 'proxybench proxy': go mod download through serve-proxy
// against the same store read as GOPROXY=file://.
func runProxy(args []string) error {
	fl := flag.NewFlagSet("proxy", flag.ExitOnError)
	cache := fl.String("cache", filepath.Join(os.TempDir(), "shipline-bench"), "cache `DIR` for the generated store")
	shipline := fl.String("shipline", "", "the shipline `BINARY` to benchmark (required)")
	runs := fl.Int("runs", 7, "timed rounds")
	modules := fl.Int("modules", 50, "modules in the store")
	versions := fl.Int("versions", 4, "versions of each module")
	out := fl.String("out", "BENCHMARKS.md", "write the section to `FILE`")
	fl.Parse(args)
	if *shipline == "" {
		return fmt.Errorf("-shipline is required")
	}
	total := *modules * *versions
	dir := filepath.Join(*cache, fmt.Sprintf("proxy-%dx%d-%s", *modules, *versions, genVersion))
	storeDir := filepath.Join(dir, "store")
	say("store of %d module versions in %s", total, storeDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := genStore(storeDir, *modules, *versions, 4); err != nil {
		return err
	}
	var targets []string
	for i := 0; i < *modules; i++ {
		for j := 0; j < *versions; j++ {
			targets = append(targets, benchModule(i)+"@"+benchVersion(j))
		}
	}

	work, err := os.MkdirTemp(*cache, "proxy-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	addrFile := filepath.Join(work, "addr")
	// #nosec G204 -- the shipline binary under test, named by -shipline, with arguments built here; no shell
	srv := exec.Command(*shipline, "serve-proxy", "--store", storeDir, "--addr", "127.0.0.1:0", "--addr-file", addrFile, "--access-log", "off")
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(syscall.SIGINT)
		srv.Wait()
	}()
	addr, err := waitAddr(addrFile, srv)
	if err != nil {
		return err
	}
	say("shipline serve-proxy on http://%s", addr)

	empty := filepath.Join(work, "empty") // no go.mod: go mod download of explicit versions
	if err := os.Mkdir(empty, 0o700); err != nil {
		return err
	}
	download := func(id, label, goproxy string) command {
		modcache := filepath.Join(work, "modcache-"+id)
		env := append(cleanEnv(), "GOPROXY="+goproxy, "GOMODCACHE="+modcache, "GOSUMDB=off", "GOFLAGS=-modcacherw",
			"GONOSUMDB=example.com", "GOTOOLCHAIN=local", "GOWORK=off", "GO111MODULE=on")
		return command{id: id, label: label, dir: empty, env: env,
			prepare: func() error { return os.RemoveAll(modcache) }, // a fresh module cache for each run
			argv:    append([]string{"go", "mod", "download"}, targets...)}
	}
	cmds := []command{
		download("serve-proxy", fmt.Sprintf("`go mod download` of %d versions, GOPROXY=http:// `shipline serve-proxy`", total), "http://"+addr),
		download("file", fmt.Sprintf("`go mod download` of %d versions, GOPROXY=file:// of the same store (baseline)", total), "file://"+filepath.ToSlash(storeDir)),
	}
	load := loadavg()
	got, err := timeRounds(cmds, *runs)
	if err != nil {
		return err
	}
	var b strings.Builder
	title := fmt.Sprintf("Module proxy (%d versions)", total)
	fmt.Fprintf(&b, "## %s\n\n", title)
	fmt.Fprintf(&b, "Written by `bash bench/proxy.sh` on %s (see [bench/README.md](bench/README.md)); rerun it to refresh this section.\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "- Machine: %s; 1-minute load average %s when timing began.\n", machine(), load)
	fmt.Fprintf(&b, "- Store: a local directory of %d module versions (%d modules with an upper-case letter in their paths × %d versions, 4 small Go files each), published through the store API.\n", total, *modules, *versions)
	fmt.Fprintf(&b, "- Each run is one `go mod download` of all %d versions, outside any module, with a fresh empty `GOMODCACHE` (removed before each run, untimed) and `GOSUMDB=off`; the proxy is a separate `shipline serve-proxy` process on 127.0.0.1 with its access log off, started once. %d rounds, each running both commands in turn, after one untimed warm-up run of each.\n\n", total, *runs)
	renderTable(&b, []row{{cmds[0].label, got["serve-proxy"]}, {cmds[1].label, got["file"]}},
		[]ratio{{"serve-proxy / file://", got["serve-proxy"], got["file"], 1.5}})
	fmt.Fprintf(&b, "\nThe go command does most of the work either way (it checks and extracts every zip into the module cache and writes its own download cache); through the proxy it also makes about %d HTTP requests (.info, .mod and .zip of each version).\n", 3*total)
	say("writing section %q to %s", title, *out)
	return benchmd.ReplaceSection(*out, title, b.String())
}

// waitAddr waits for serve-proxy to write its address.
func waitAddr(name string, srv *exec.Cmd) (string, error) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		// #nosec G304 -- the --addr-file this benchmark told serve-proxy to write in its own run directory
		if data, err := os.ReadFile(name); err == nil && strings.HasSuffix(string(data), "\n") {
			return strings.TrimSpace(string(data)), nil
		}
		if srv.ProcessState != nil {
			return "", fmt.Errorf("shipline serve-proxy exited")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", fmt.Errorf("shipline serve-proxy wrote no address to %s within a minute", name)
}

// cleanEnv is the environment without the go command's variables that
// would change what is measured.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOPROXY", "GOMODCACHE", "GOSUMDB", "GOFLAGS", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOTOOLCHAIN", "GOWORK", "GO111MODULE", "GOINSECURE":
			continue
		}
		out = append(out, kv)
	}
	return out
}
