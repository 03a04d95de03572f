package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/modfile"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
	"github.com/shipline-ci/shipline/gate"
	"github.com/shipline-ci/shipline/gate/commits"
	"github.com/shipline-ci/shipline/gate/gosec"
	"github.com/shipline-ci/shipline/gate/license"
	"github.com/shipline-ci/shipline/gate/vuln"
)

// gateFlags are the flags of 'shipline gate'.
type gateFlags struct {
	vulnDB string
	module string
	only   []string
	out    string
}

func (m *Main) gateCommand() *cobra.Command {
	var f gateFlags
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Run the security and compliance gates over the module",
		Long: `Run the release's security and compliance gates over the Go module you stand
in (the nearest go.mod at or above the working directory), or the one in
--module DIR:

  vuln     known vulnerabilities (govulncheck, with call-graph reachability)
  license  the licenses of the dependencies
  gosec    gosec's security rules over the module's code
  commits  commits since the last release tag that are not Conventional Commits

Gates run at the same time where they can. Each writes a JSON report, a
SARIF 2.1.0 report and a summary for people into --out (NAME.json,
NAME.sarif, NAME.txt), and the whole run is in summary.json, gates.sarif
(one run per gate) and summary.txt; the summary is also printed.

What blocks comes from 'gates:' in .shipline.yaml: by default a reachable
vulnerability, a gosec issue of medium severity or more and a denied
license; commits are reported only. A blocked run exits 1 and names every
failed gate and finding. gates.skip leaves gates out; --only runs just the
gates it names.

The vulnerability database works offline: by default it is the
golang.org/x/vulndb module in the Go module cache (get it with
'go mod download golang.org/x/vulndb@latest'); --vuln-db or gates.vuln.db
names a v1 database (a directory or URL), or a directory of OSV files, which
shipline indexes once into its cache (see 'shipline gate vulndb build').`,
		Example: `  shipline gate
  shipline gate --only vuln,commits --json
  shipline gate --vuln-db ~/go/pkg/mod/golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018/data/osv
  shipline gate --module api --out /tmp/gates`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runGate(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.vulnDB, "vuln-db", "", "vulnerability database: a v1 database `DIR` or URL, or a directory of OSV files (default: gates.vuln.db, else golang.org/x/vulndb in the module cache)")
	fl.StringVar(&f.module, "module", "", "check the Go module in `DIR` instead of the one you stand in")
	fl.StringSliceVar(&f.only, "only", nil, "run only the gates in `LIST`, comma-separated: "+strings.Join(config.GateNames, ", "))
	// 'shipline run' passes a pipeline's gate step as --checks.
	fl.StringSliceVar(&f.only, "checks", nil, "the same as --only")
	fl.MarkHidden("checks")
	fl.StringVar(&f.out, "out", filepath.Join("dist", "gates"), "write the reports to `DIR`, relative to the module root")
	m.jsonFlag(cmd)
	cmd.AddCommand(m.gateVulnDBCommand())
	return cmd
}

// gateSelection returns the gates to run, in the order of
// config.GateNames: those --only names, else those gates.skip leaves.
func gateSelection(only []string, skip []string) ([]string, error) {
	if len(only) == 0 {
		var out []string
		for _, n := range config.GateNames {
			if !slices.Contains(skip, n) {
				out = append(out, n)
			}
		}
		if len(out) == 0 {
			return nil, shipline.Errorf(shipline.EINVALID, "gates.skip leaves no gate to run; use --only to run some")
		}
		return out, nil
	}
	want := map[string]bool{}
	for _, n := range only {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !slices.Contains(config.GateNames, n) {
			return nil, shipline.Errorf(shipline.EUSAGE, "--only: unknown gate %q: the gates are %s", n, strings.Join(config.GateNames, ", "))
		}
		want[n] = true
	}
	if len(want) == 0 {
		return nil, shipline.Errorf(shipline.EUSAGE, "--only names no gate: give a comma-separated list such as vuln,commits")
	}
	var out []string
	for _, n := range config.GateNames {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// buildGates builds the gates named by names from cfg. vulnDB, from
// --vuln-db (relative to the working directory), overrides gates.vuln.db
// (relative to the repository root repoDir).
func (m *Main) buildGates(cfg *config.Config, repoDir string, names []string, vulnDB string) ([]gate.Gate, error) {
	var out []gate.Gate
	for _, name := range names {
		var g gate.Gate
		var err error
		switch name {
		case vuln.Name:
			g = m.vulnGate(cfg.Gates.Vuln, repoDir, vulnDB)
		case license.Name:
			g, err = license.New(license.Options{LicenseGate: cfg.Gates.License})
		case gosec.Name:
			g, err = gosec.New(gosec.Options{GosecGate: cfg.Gates.Gosec})
		case commits.Name:
			g = &commits.Gate{Fail: cfg.Gates.Commits.Fail, Versioning: cfg.Versioning, Remote: cfg.Changelog.Remote.Name}
		default:
			return nil, shipline.Errorf(shipline.EINTERNAL, "gate %s is not wired into 'shipline gate'", name)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// gates builds the gates named by names from the workspace's
// configuration, as 'shipline gate' with flags f runs them.
func (m *Main) gates(ws *workspace, names []string, f gateFlags) ([]gate.Gate, error) {
	return m.buildGates(ws.cfg, ws.repo.Dir, names, f.vulnDB)
}

// vulnGate builds the vulnerability gate: flagDB (relative to the working
// directory) over cfg.DB (relative to the repository root).
func (m *Main) vulnGate(cfg config.VulnGate, repoDir, flagDB string) *vuln.Gate {
	db := cfg.DB
	if flagDB != "" {
		db = flagDB
		if isLocalPath(db) && !filepath.IsAbs(db) {
			db = filepath.Join(m.workDir(), db)
		}
	} else if isLocalPath(db) && db != "" && !filepath.IsAbs(db) {
		db = filepath.Join(repoDir, db)
	}
	g := &vuln.Gate{DB: db, FailOn: cfg.FailOn, Now: time.Now}
	for _, e := range cfg.Ignore {
		g.Ignore = append(g.Ignore, gate.Ignore{ID: e.ID, Reason: e.Reason, Expires: e.Expires.Time})
	}
	return g
}

// isLocalPath reports whether a database setting is a path rather than a
// URL.
func isLocalPath(s string) bool {
	u, err := url.Parse(s)
	return err != nil || len(u.Scheme) <= 1 // "C:" is a drive, not a scheme
}

// gateModule finds the module to check: the one in --module DIR, or the
// nearest go.mod at or above the working directory, within the work tree.
func (m *Main) gateModule(ws *workspace, flag string) (*gate.Module, error) {
	dir := m.workDir()
	if flag != "" {
		dir = filepath.Join(dir, flag)
		if _, err := m.moduleDir(ws, flag); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	top := ws.repo.Dir
	if r, err := filepath.EvalSymlinks(top); err == nil {
		top = r
	}
	for d := abs; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod")) // #nosec G304 -- the go.mod of the module directory the user chose (--module, or where they stand) or of its parents
		switch {
		case err == nil:
			path := modfile.ModulePath(data)
			if path == "" {
				return nil, shipline.Errorf(shipline.EINVALID, "%s: no module line: add one such as \"module example.com/name\"", filepath.Join(d, "go.mod"))
			}
			return &gate.Module{Dir: d, Path: path}, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("read go.mod: %w", err)
		}
		if flag != "" || d == top || filepath.Dir(d) == d {
			break
		}
	}
	if flag != "" {
		return nil, shipline.Errorf(shipline.EINVALID, "--module %s: no go.mod in %s", flag, abs)
	}
	return nil, shipline.Errorf(shipline.EINVALID, "no go.mod in %s or above it in the repository: run shipline gate in a Go module, or give --module DIR", abs)
}

func (m *Main) runGate(ctx context.Context, f gateFlags) error {
	ws, err := m.open(ctx)
	if err != nil {
		return err
	}
	names, err := gateSelection(f.only, ws.cfg.Gates.Skip)
	if err != nil {
		return err
	}
	mod, err := m.gateModule(ws, f.module)
	if err != nil {
		return err
	}
	if loadsPackages(names) {
		if _, err := pinGoToolchain(ctx, mod.Dir); err != nil {
			return err
		}
	}
	gates, err := m.gates(ws, names, f)
	if err != nil {
		return err
	}
	s, runErr := gate.Run(ctx, mod, gates)
	if s == nil {
		return runErr
	}
	out := f.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(mod.Dir, out)
	}
	if _, err := gate.WriteFiles(out, s); err != nil {
		return err
	}
	if m.json {
		if err := writeJSON(m.Stdout, s); err != nil {
			return err
		}
	} else {
		if err := gate.WriteText(m.Stdout, s); err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "reports in %s\n", relTo(m.workDir(), out))
	}
	if runErr != nil {
		return m.reported(runErr)
	}
	return m.reported(s.Err())
}

// relTo returns path relative to dir when it is inside it.
func relTo(dir, path string) string {
	absDir, err1 := filepath.Abs(dir)
	absPath, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return path
	}
	rel, err := filepath.Rel(absDir, absPath)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return rel
}

func (m *Main) gateVulnDBCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vulndb",
		Short: "Manage offline vulnerability databases",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return shipline.Errorf(shipline.EUSAGE, "gate vulndb needs a subcommand: build")
		},
	}
	var from, out string
	var noGzip bool
	build := &cobra.Command{
		Use:   "build --from DIR --out DIR",
		Short: "Build a v1 vulnerability database from OSV files",
		Long: `Build a Go vulnerability database in the v1 format (index/db.json,
index/modules.json, index/vulns.json and ID/ID.json, each also gzipped) from
a directory of OSV files, such as the data/osv directory of the
golang.org/x/vulndb module:

  go mod download -json golang.org/x/vulndb@latest   # prints its "Dir"
  shipline gate vulndb build --from DIR/data/osv --out vulndb

Give the result to 'shipline gate --vuln-db', to govulncheck -db
file:///ABS/PATH, or serve it over HTTP. Entries without a modified time
(the vulndb module's have none) get the time of the module's version.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" || out == "" {
				return shipline.Errorf(shipline.EUSAGE, "gate vulndb build needs --from DIR (OSV files) and --out DIR")
			}
			abs := func(p string) string {
				if filepath.IsAbs(p) {
					return p
				}
				return filepath.Join(m.workDir(), p)
			}
			info, err := vuln.BuildDB(cmd.Context(), abs(from), abs(out), vuln.BuildOptions{Gzip: !noGzip})
			if err != nil {
				return err
			}
			info.Dir = out
			if m.json {
				return writeJSON(m.Stdout, info)
			}
			mod := "no modified time"
			if !info.Modified.IsZero() {
				mod = "modified " + info.Modified.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(m.Stdout, "built vulnerability database %s: %d entries, %d modules, %s\n", out, info.Entries, info.Modules, mod)
			return nil
		},
	}
	build.Flags().StringVar(&from, "from", "", "read the OSV files (ID.json) in `DIR`")
	build.Flags().StringVar(&out, "out", "", "write the database to `DIR`, replacing a database there")
	build.Flags().BoolVar(&noGzip, "no-gzip", false, "do not write the .json.gz files an HTTP server needs")
	m.jsonFlag(build)
	cmd.AddCommand(build)
	return cmd
}
