package shipline

import (
	"strings"
)

// Target is a platform a binary is built for: GOOS/GOARCH with an optional
// variant (GOARM for arm, GOAMD64 for amd64, GOMIPS/GOMIPS64 for mips,
// GO386 for 386, GOPPC64 for ppc64, GORISCV64 for riscv64, GOARM64 for arm64).
type Target struct {
	OS      string `json:"goos"`
	Arch    string `json:"goarch"`
	Variant string `json:"variant,omitempty"` // "v7", "v3", "softfloat", ...; "" for the default
}

// String returns "goos/goarch" or "goos/goarch/variant".
func (t Target) String() string {
	s := t.OS + "/" + t.Arch
	if t.Variant != "" {
		s += "/" + t.Variant
	}
	return s
}

// ParseTarget parses "GOOS/GOARCH[/VARIANT]". It checks the form and that
// the variant is one the architecture has, not that the Go toolchain in use
// supports the pair: that takes `go tool dist list`. Errors are EINVALID.
func ParseTarget(s string) (Target, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Target{}, Errorf(EINVALID, "target %q: want GOOS/GOARCH or GOOS/GOARCH/VARIANT, such as linux/amd64 or linux/arm/v7", s)
	}
	t := Target{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		t.Variant = parts[2]
		valid := TargetVariants(t.Arch)
		if len(valid) == 0 {
			return Target{}, Errorf(EINVALID, "target %q: %s has no variants; write %s/%s", s, t.Arch, t.OS, t.Arch)
		}
		ok := false
		for _, v := range valid {
			ok = ok || v == t.Variant
		}
		if !ok {
			return Target{}, Errorf(EINVALID, "target %q: unknown %s variant %q; valid: %s", s, t.Arch, t.Variant, strings.Join(valid, ", "))
		}
	}
	return t, nil
}

// TargetVariants returns the variants an architecture accepts, or nil.
func TargetVariants(arch string) []string {
	switch arch {
	case "arm":
		return []string{"v5", "v6", "v7", "v5,softfloat", "v6,softfloat", "v7,softfloat", "v6,hardfloat", "v7,hardfloat"}
	case "amd64":
		return []string{"v1", "v2", "v3", "v4"}
	case "mips", "mipsle", "mips64", "mips64le":
		return []string{"hardfloat", "softfloat"}
	case "386":
		return []string{"sse2", "softfloat"}
	case "ppc64", "ppc64le":
		return []string{"power8", "power9", "power10"}
	case "riscv64":
		return []string{"rva20u64", "rva22u64", "rva23u64"}
	case "arm64":
		return []string{"v8.0", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9.0", "v9.1", "v9.2", "v9.3", "v9.4", "v9.5"}
	}
	return nil
}

// VariantEnv returns the environment variable that selects the target's
// variant ("GOARM=7"), or "" when it has none.
func (t Target) VariantEnv() string {
	if t.Variant == "" {
		return ""
	}
	key := ""
	val := t.Variant
	switch t.Arch {
	case "arm":
		key, val = "GOARM", strings.TrimPrefix(val, "v")
	case "amd64":
		key = "GOAMD64"
	case "mips", "mipsle":
		key = "GOMIPS"
	case "mips64", "mips64le":
		key = "GOMIPS64"
	case "386":
		key = "GO386"
	case "ppc64", "ppc64le":
		key = "GOPPC64"
	case "riscv64":
		key = "GORISCV64"
	case "arm64":
		key = "GOARM64"
	default:
		return ""
	}
	return key + "=" + val
}

// ArtifactKind says what an artifact is.
type ArtifactKind string

// The kinds of artifact a build produces.
const (
	KindBinary     ArtifactKind = "binary"
	KindArchive    ArtifactKind = "archive"
	KindChecksums  ArtifactKind = "checksums"
	KindSignature  ArtifactKind = "signature"
	KindSBOM       ArtifactKind = "sbom"
	KindProvenance ArtifactKind = "provenance"
)

// Artifact is a file a release produces, with its digest. A file is never
// changed after it has been hashed.
type Artifact struct {
	Name    string       `json:"name"`              // file name
	Path    string       `json:"path"`              // slash path relative to the dist directory
	Kind    ArtifactKind `json:"kind"`              //
	Build   string       `json:"build,omitempty"`   // id of the build it came from
	OS      string       `json:"goos,omitempty"`    //
	Arch    string       `json:"goarch,omitempty"`  //
	Variant string       `json:"variant,omitempty"` //
	SHA256  string       `json:"sha256"`            // hex
	Size    int64        `json:"size"`              // bytes
	Of      string       `json:"of,omitempty"`      // for signatures, SBOMs: the path of the artifact it covers
}
