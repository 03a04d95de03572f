// Package sbom writes software bills of materials for Go binaries: a
// CycloneDX 1.6 JSON document made from the build information the Go
// toolchain embeds in every binary (debug/buildinfo), so the SBOM lists
// exactly the modules that were linked in.
//
// The document is deterministic: the same binary and timestamp give the
// same bytes. Its serial number is a UUID v5 derived from the binary's
// SHA-256, and its timestamp is the caller's (a release's commit time,
// say), never the clock.
//
// What goes where:
//
//   - metadata.component: the main module, type "application", purl
//     pkg:golang/MODULE@VERSION, with the binary's SHA-256 as its hash and,
//     as properties, the Go version (shipline:go:version), the main
//     package (shipline:go:package), every build setting
//     (shipline:go:build:KEY, such as shipline:go:build:GOOS or
//     shipline:go:build:vcs.revision) and the artifact's name and path.
//   - components: every dependency module, type "library", purl
//     pkg:golang/PATH@VERSION. Its go.sum hash (h1:..., a base64 SHA-256
//     of the module's file tree, which is no CycloneDX hash algorithm) is
//     the property shipline:go:sum. A module replaced by another module
//     is listed as the replacement, with shipline:go:replaces naming the
//     original; one replaced by a directory keeps its path, has no
//     version, and names the directory in shipline:go:replace-dir.
//
// Purls keep the module path's case, as Go module paths are
// case-sensitive. Build information records no module graph, so the
// document has no dependencies section.
package sbom

import (
	"bytes"
	"crypto/sha1" // #nosec G505 -- UUID version 5 is defined on SHA-1 (RFC 9562); used only for that, see uuidV5
	"crypto/sha256"
	"crypto/subtle"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/shipline-ci/shipline"
)

// SpecVersion is the CycloneDX version of the documents FromBinary writes.
const SpecVersion = "1.6"

// Property names, in the shipline: namespace.
const (
	PropGoVersion  = "shipline:go:version"     // Go toolchain that built the binary
	PropPackage    = "shipline:go:package"     // main package path
	PropBuild      = "shipline:go:build:"      // prefix of a build setting: -ldflags, GOOS, vcs.revision, ...
	PropSum        = "shipline:go:sum"         // a module's go.sum hash, h1:...
	PropReplaces   = "shipline:go:replaces"    // PATH@VERSION a replacement module stands for
	PropReplaceDir = "shipline:go:replace-dir" // directory that replaced a module
	PropArtifact   = "shipline:artifact:name"  // the artifact's file name
	PropPath       = "shipline:artifact:path"  // the artifact's path in the dist directory
)

// FromBinary returns a CycloneDX 1.6 JSON SBOM of the Go binary at path,
// built from its embedded build information. a describes the binary as a
// release artifact: its Name and Path become properties and, when set, its
// SHA256 and Size must match the file. created becomes metadata.timestamp
// (in UTC, to the second); the zero time leaves the timestamp out.
//
// A file that is not a Go binary, has no build information, or does not
// match a, is EINVALID.
func FromBinary(path string, a shipline.Artifact, created time.Time) ([]byte, error) {
	f, err := os.Open(path) // #nosec G304 -- the binary the caller asks an SBOM of; it is read, never run
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("sbom: read %s: %w", path, err)
	}
	sum := h.Sum(nil)
	if a.SHA256 != "" {
		want, err := hex.DecodeString(a.SHA256)
		if err != nil || subtle.ConstantTimeCompare(want, sum) != 1 {
			return nil, shipline.Errorf(shipline.EINVALID, "sbom: %s: SHA-256 is %x, but the artifact records %s: the file changed after it was hashed", path, sum, a.SHA256)
		}
	}
	if a.Size > 0 && a.Size != size {
		return nil, shipline.Errorf(shipline.EINVALID, "sbom: %s: %d bytes, but the artifact records %d", path, size, a.Size)
	}
	info, err := buildinfo.Read(f)
	if err != nil {
		return nil, shipline.Errorf(shipline.EINVALID, "sbom: %s: no Go build information: %v", path, err)
	}
	bom := fromBuildInfo(info, hex.EncodeToString(sum), a, created)
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("sbom: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// fromBuildInfo builds the document; sum is the binary's SHA-256 in hex.
func fromBuildInfo(info *buildinfo.BuildInfo, sum string, a shipline.Artifact, created time.Time) *cdx.BOM {
	main := cdx.Component{
		Type:       cdx.ComponentTypeApplication,
		Name:       info.Main.Path,
		Version:    info.Main.Version,
		PackageURL: PackageURL(info.Main.Path, info.Main.Version),
		Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: sum}},
	}
	if main.Name == "" { // built from a file list ("go build main.go")
		main.Name = info.Path
		main.PackageURL = PackageURL(info.Path, "")
	}
	main.BOMRef = main.PackageURL
	props := []cdx.Property{{Name: PropGoVersion, Value: info.GoVersion}, {Name: PropPackage, Value: info.Path}}
	for _, s := range info.Settings {
		props = append(props, cdx.Property{Name: PropBuild + s.Key, Value: s.Value})
	}
	if a.Name != "" {
		props = append(props, cdx.Property{Name: PropArtifact, Value: a.Name})
	}
	if a.Path != "" {
		props = append(props, cdx.Property{Name: PropPath, Value: a.Path})
	}
	main.Properties = &props

	comps := make([]cdx.Component, 0, len(info.Deps))
	for _, d := range info.Deps {
		comps = append(comps, dependency(d))
	}

	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuidV5(namespace, "sha256:"+sum)
	bom.Metadata = &cdx.Metadata{
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool()}},
		Component: &main,
	}
	if !created.IsZero() {
		bom.Metadata.Timestamp = created.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	return bom
}

// dependency describes one module of the build list.
func dependency(d *debug.Module) cdx.Component {
	c := cdx.Component{Type: cdx.ComponentTypeLibrary, Name: d.Path, Version: d.Version}
	var props []cdx.Property
	sum := d.Sum
	switch r := d.Replace; {
	case r == nil:
	case r.Version == "" || r.Version == "(devel)": // a directory
		c.Version = ""
		sum = ""
		props = append(props, cdx.Property{Name: PropReplaceDir, Value: r.Path})
	default:
		c.Name, c.Version, sum = r.Path, r.Version, r.Sum
		props = append(props, cdx.Property{Name: PropReplaces, Value: d.Path + "@" + d.Version})
	}
	if sum != "" {
		props = append([]cdx.Property{{Name: PropSum, Value: sum}}, props...)
	}
	c.PackageURL = PackageURL(c.Name, c.Version)
	c.BOMRef = c.PackageURL
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

// tool describes Shipline itself, with its version when the running
// program has a released one.
func tool() cdx.Component {
	c := cdx.Component{Type: cdx.ComponentTypeApplication, Name: "shipline"}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Path == "github.com/shipline-ci/shipline" && info.Main.Version != "(devel)" {
		c.Version = info.Main.Version
	}
	return c
}

// PackageURL returns the purl of a Go module version:
// pkg:golang/PATH@VERSION, each path element and the version
// percent-encoded as the purl specification asks, the case kept. Without a
// version, or with the "(devel)" of a build from a work tree, it has no
// @VERSION part.
func PackageURL(module, version string) string {
	var b strings.Builder
	b.WriteString("pkg:golang/")
	for i, seg := range strings.Split(module, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(purlEscape(seg))
	}
	if version != "" && version != "(devel)" {
		b.WriteByte('@')
		b.WriteString(purlEscape(version))
	}
	return b.String()
}

// purlEscape percent-encodes everything but the unreserved characters.
func purlEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// namespace is the UUID namespace of SBOM serial numbers: the UUID v5 of
// the URL https://github.com/shipline-ci/shipline/sbom in the RFC 9562 URL
// namespace.
var namespace = uuidV5(mustParseUUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "https://github.com/shipline-ci/shipline/sbom")

// uuidV5 returns the RFC 9562 version 5 (SHA-1, name-based) UUID of name
// in the namespace ns (a UUID in text form).
func uuidV5(ns, name string) string {
	h := sha1.New() // #nosec G401 -- RFC 9562 defines UUID version 5 on SHA-1; the UUID names a document, it protects nothing
	h.Write(mustParseUUIDBytes(ns))
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	x := hex.EncodeToString(u)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

func mustParseUUID(s string) string {
	mustParseUUIDBytes(s)
	return s
}

func mustParseUUIDBytes(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		panic("sbom: bad UUID " + s)
	}
	return b
}
