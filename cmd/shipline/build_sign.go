package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/build"
	"github.com/shipline-ci/shipline/build/attest"
	"github.com/shipline-ci/shipline/build/authenticode"
	"github.com/shipline-ci/shipline/changelog"
	"github.com/shipline-ci/shipline/provenance"
	"github.com/shipline-ci/shipline/sign"
	"github.com/shipline-ci/shipline/versioning"
)

// signing is what 'shipline build' signs with, loaded and checked before
// anything is built.
type signing struct {
	signer       sign.Signer          // nil: nothing is signed
	key          string               // the key file as the user named it, for messages
	authenticode *authenticode.Signer // nil: no Authenticode
}

// envName is the form of an environment variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// loadSigning loads the signing key (--key, else sign.key) with its
// password, and checks the Authenticode setup when there are windows
// targets, so that a missing key, password, certificate or osslsigncode
// fails the build before it starts. --no-sign loads nothing.
func (m *Main) loadSigning(ws *workspace, f buildFlags, builds []build.Build, date time.Time) (*signing, error) {
	s := &signing{}
	if f.noSign {
		if f.key != "" {
			return nil, shipline.Errorf(shipline.EUSAGE, "--key and --no-sign contradict each other: drop one")
		}
		return s, nil
	}
	cfg := ws.cfg.Sign
	inRepo := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(ws.repo.Dir, filepath.FromSlash(p))
	}
	var keyFile string
	switch {
	case f.key != "":
		s.key, keyFile = f.key, m.path(f.key)
	case cfg.Key != "":
		s.key, keyFile = cfg.Key, inRepo(cfg.Key)
	}
	if keyFile != "" {
		signer, err := loadSigningKey(s.key, keyFile)
		if err != nil {
			return nil, err
		}
		s.signer = signer
	}

	ac := cfg.Authenticode
	windows := slices.ContainsFunc(builds, func(b build.Build) bool {
		return slices.ContainsFunc(b.Targets, func(t shipline.Target) bool { return t.OS == "windows" })
	})
	if (ac.Cert == "") != (ac.Key == "") {
		return nil, shipline.Errorf(shipline.EINVALID, "sign.authenticode: give both cert and key, or neither (in %s)", configName(ws))
	}
	if ac.Cert == "" || !windows {
		return s, nil
	}
	as := &authenticode.Signer{Cert: inRepo(ac.Cert), Key: inRepo(ac.Key), TimestampURL: ac.TimestampURL, Time: date}
	if ac.PasswordEnv != "" {
		if !envName.MatchString(ac.PasswordEnv) {
			return nil, shipline.Errorf(shipline.EINVALID, "sign.authenticode.password-env: %q is not an environment variable name (in %s)", ac.PasswordEnv, configName(ws))
		}
		pw := os.Getenv(ac.PasswordEnv)
		if pw == "" {
			return nil, shipline.Errorf(shipline.EINVALID, "sign.authenticode.password-env: %s is not set: it holds the password of the Authenticode key %s", ac.PasswordEnv, ac.Key)
		}
		as.Password = []byte(pw)
	}
	if err := as.Check(); err != nil {
		return nil, err
	}
	s.authenticode = as
	return s, nil
}

// configName names the config file for a message.
func configName(ws *workspace) string {
	if ws.cfgPath == "" {
		return "the configuration"
	}
	return ws.cfgPath
}

// loadSigningKey decrypts the cosign private key in file (named so in
// messages) with the password of SHIPLINE_KEY_PASSWORD or COSIGN_PASSWORD,
// or an empty password when neither is set. The password is never part of
// an error.
func loadSigningKey(name, file string) (sign.Signer, error) {
	data, err := os.ReadFile(file) // #nosec G304 -- the signing key the user names (--key or sign.key): reading it is the point
	if errors.Is(err, fs.ErrNotExist) {
		return nil, shipline.Errorf(shipline.ENOTFOUND, "signing key %s does not exist: make a key pair with 'shipline key generate', or pass --no-sign to build without signing", name)
	} else if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	password, err := keyPassword(false)
	if err != nil {
		// Perhaps a key made with --no-password.
		if signer, err := sign.LoadPrivateKey(data, []byte{}); err == nil {
			return signer, nil
		}
		return nil, shipline.Errorf(shipline.EUNAUTHORIZED, "no password for the signing key %s: set SHIPLINE_KEY_PASSWORD (or COSIGN_PASSWORD), or pass --no-sign to build without signing", name)
	}
	signer, err := sign.LoadPrivateKey(data, password)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", name, err)
	}
	return signer, nil
}

// attester returns the Seal and Attach hooks of a build from the config
// and what loadSigning loaded, with the provenance params p.
func (s *signing) attester(ws *workspace, p provenance.Params, date time.Time) *attest.Attester {
	sc := ws.cfg.Sign
	a := &attest.Attester{
		Signer:  s.signer,
		Embed:   sc.Embeds(s.signer != nil),
		SBOM:    sc.SBOMs(),
		Created: date,
	}
	if s.authenticode != nil {
		a.Authenticode = s.authenticode.Sign
	}
	if sc.Provenances() {
		a.Provenance = &p
	}
	return a
}

// hooks sets the Seal, AttachTarget and Attach hooks of opts for a,
// leaving out those that would do nothing.
func hooks(opts *build.Options, a *attest.Attester) {
	if a.Authenticode != nil || (a.Embed && a.Signer != nil) {
		opts.Seal = a.Seal
	}
	if a.Signer != nil || a.SBOM {
		opts.AttachTarget = a.AttachTarget
	}
	if a.Signer != nil || a.SBOM || a.Provenance != nil {
		opts.Attach = a.Attach
	}
}

// provenanceParams describes a build for its provenance: the repository
// (changelog.remote.url, else the git remote's URL without credentials, a
// forge's as its web URL), the tag of a release, the commit, version and
// targets, and Shipline as the builder.
func (m *Main) provenanceParams(ctx context.Context, ws *workspace, res *versioning.Result, version string, snapshot bool, builds []build.Build) (provenance.Params, error) {
	repo, err := repositoryURL(ctx, ws)
	if err != nil {
		return provenance.Params{}, err
	}
	return provenanceFor(repo, res, version, snapshot, builds), nil
}

// provenanceFor is provenanceParams with the repository's URL found.
func provenanceFor(repo string, res *versioning.Result, version string, snapshot bool, builds []build.Build) provenance.Params {
	p := provenance.Params{Repository: repo, Commit: res.Head, Version: version, BuilderID: builderID()}
	if !snapshot {
		p.Ref = "refs/tags/" + res.Next
	}
	for _, b := range builds {
		for _, t := range b.Targets {
			if !slices.Contains(p.Targets, t) {
				p.Targets = append(p.Targets, t)
			}
		}
	}
	slices.SortFunc(p.Targets, func(a, b shipline.Target) int { return strings.Compare(a.String(), b.String()) })
	return p
}

// repositoryURL is the URL of the repository a release is built from, as
// its provenance names it; see provenanceParams. A repository without a
// remote is named by its directory, as a file:// URL.
func repositoryURL(ctx context.Context, ws *workspace) (string, error) {
	rc := ws.cfg.Changelog.Remote
	if rc.URL != "" {
		return rc.URL, nil
	}
	remote, err := ws.repo.RemoteURL(ctx, rc.Name)
	if err != nil {
		return "", err
	}
	if remote == "" {
		return fileURL(ws.repo.Dir), nil
	}
	if l := changelog.DetectLinks("auto", remote, ""); l.Base != "" {
		return l.Base, nil
	}
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.Host != "" {
		u.User = nil // never a token
		return u.String(), nil
	}
	if filepath.IsAbs(remote) {
		return fileURL(remote), nil
	}
	return remote, nil
}

// fileURL returns the file:// URL of an absolute path.
func fileURL(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

// builderID names Shipline, at its version when it has a released one, as
// the builder of provenance.
func builderID() string {
	const id = "https://github.com/shipline-ci/shipline/cmd/shipline"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Path == "github.com/shipline-ci/shipline" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return id + "@" + info.Main.Version
	}
	return id
}
