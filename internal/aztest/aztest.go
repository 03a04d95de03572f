// Package aztest starts an Azure Blob Storage server for tests: Azurite,
// Microsoft's emulator (the npm package azurite, pinned to Version), run in
// memory as a separate process on 127.0.0.1 with a port of its choosing.
// Azurite is installed once with npm into the user's cache directory
// (shipline-aztest/azurite-VERSION); later runs start it at once.
//
// When npm is missing or the registry cannot be reached the test is
// skipped with the reason, except in CI (CI set), where it fails.
package aztest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipline-ci/shipline/internal/testproc"
)

// Version is the azurite npm package the tests run.
const Version = "3.37.0"

// Container is the container every server starts with.
const Container = "shipline"

// Azurite's well-known development account and key (public: they are in
// Microsoft's documentation).
const (
	Account = "devstoreaccount1"
	Key     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==" // #nosec G101 -- Azurite's published development key
)

// Server is a running Azurite blob service.
type Server struct {
	// Endpoint is the account's Blob service URL:
	// http://127.0.0.1:PORT/devstoreaccount1.
	Endpoint string
	// Host is 127.0.0.1:PORT.
	Host string

	proc *testproc.Process
}

// Start runs Azurite's blob service for the test, with Container created,
// and returns it; the server stops when the test ends, or on Stop.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := install(tb)
	p := testproc.Start(tb, bin, "--inMemoryPersistence", "--extentMemoryLimit", "256",
		"--blobHost", "127.0.0.1", "--blobPort", "0", "--skipApiVersionCheck", "--loose")
	line := p.Next(tb, "Azurite Blob service successfully listens on ", time.Minute)
	base := strings.TrimPrefix(line, "Azurite Blob service successfully listens on ")
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || u.Host == "" {
		tb.Fatalf("azurite printed %q; want its URL", line)
	}
	s := &Server{Endpoint: "http://" + u.Host + "/" + Account, Host: u.Host, proc: p}
	s.CreateContainer(tb, Container)
	return s
}

// ConnectionString returns a connection string for the server.
func (s *Server) ConnectionString() string {
	return "DefaultEndpointsProtocol=http;AccountName=" + Account + ";AccountKey=" + Key + ";BlobEndpoint=" + s.Endpoint + ";"
}

// Setenv sets AZURE_STORAGE_CONNECTION_STRING to the server for the rest
// of the test, and clears the other variables that would take precedence
// (see testing.T.Setenv: the test cannot be parallel).
func (s *Server) Setenv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_ACCOUNT"} {
		t.Setenv(k, "")
	}
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", s.ConnectionString())
}

// URL returns the azblob:// URL of Container under prefix ("" for the
// whole container). It reaches the server only with Setenv.
func (s *Server) URL(prefix string) string {
	u := "azblob://" + Container
	if prefix != "" {
		u += "?" + url.Values{"prefix": {prefix}}.Encode()
	}
	return u
}

// CreateContainer creates a container with a Create Container request,
// signed with Shared Key here (independently of internal/azblob's signer).
func (s *Server) CreateContainer(tb testing.TB, name string) {
	tb.Helper()
	u := s.Endpoint + "/" + name + "?restype=container"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("x-ms-date", date)
	req.Header.Set("x-ms-version", "2025-11-05")
	sts := "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:" + date + "\nx-ms-version:2025-11-05\n/" + Account + "/" + Account + "/" + name + "\nrestype:container"
	key, _ := base64.StdEncoding.DecodeString(Key)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(sts))
	req.Header.Set("Authorization", "SharedKey "+Account+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("create container %s: %v", name, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(res.Body)
		tb.Fatalf("create container %s: HTTP %d: %s", name, res.StatusCode, body)
	}
}

// Stop stops the server; requests to its endpoint fail from then on.
func (s *Server) Stop() { s.proc.Stop() }

var installed struct {
	sync.Mutex
	bin string
}

// install returns the path of azurite-blob, installing the pinned azurite
// with npm into the user's cache directory the first time.
func install(tb testing.TB) string {
	tb.Helper()
	installed.Lock()
	defer installed.Unlock()
	if installed.bin != "" {
		return installed.bin
	}
	skip := func(format string, args ...any) {
		tb.Helper()
		if os.Getenv("CI") == "" {
			tb.Skipf("Azurite is not available, so this test does not run here (CI runs it): "+format, args...)
		}
		tb.Fatalf(format, args...)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	prefix := filepath.Join(dir, "shipline-aztest", "azurite-"+Version)
	bin := filepath.Join(prefix, "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(bin); err == nil {
		installed.bin = bin
		return bin
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		skip("npm is not on PATH (install Node.js and npm)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		skip("node is not on PATH (install Node.js)")
	}
	if err := os.MkdirAll(prefix, 0o750); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", prefix, "azurite@"+Version) // #nosec G204 -- npm from PATH installing the pinned Version into our own cache directory
	if out, err := cmd.CombinedOutput(); err != nil {
		skip("npm install azurite@%s: %v\n%s", Version, err, out)
	}
	if _, err := os.Stat(bin); err != nil {
		skip("npm installed azurite@%s, but %s is missing", Version, bin)
	}
	installed.bin = bin
	return bin
}
