package config

import "slices"

// Sign configures how 'shipline build' signs and attests a release: a
// detached cosign-compatible signature beside every artifact, a signature
// embedded in ELF binaries, Authenticode for Windows binaries, an SBOM per
// binary and SLSA provenance over the release.
//
// Everything is on by default; skip names what to leave out, so that the
// zero Sign is the default (use Embeds, SBOMs and Provenances).
type Sign struct {
	Key          string       `yaml:"key" doc:"Private key that signs the release, in cosign's format ('shipline key generate' or 'cosign generate-key-pair'), relative to the repository root. Its password comes from SHIPLINE_KEY_PASSWORD or COSIGN_PASSWORD. 'shipline build --key' overrides it and --no-sign turns signing off. Empty: nothing is signed, and the provenance is an unsigned statement."`
	Skip         Strings      `yaml:"skip" doc:"What not to make: embed (the signature embedded in every ELF binary, as a trailer after its last byte, made when a key is set), sbom (a CycloneDX JSON SBOM of every binary, from its Go build information, beside it as NAME.sbom.cdx.json), provenance (SLSA v1 provenance over every binary, archive, SBOM and checksums.txt: a signed DSSE envelope, provenance.intoto.jsonl, when a key is set, else the bare in-toto statement, provenance.intoto.json)." enum:"embed,sbom,provenance"`
	Authenticode Authenticode `yaml:"authenticode" doc:"Authenticode signatures for Windows binaries, made with osslsigncode, when a certificate is set."`
}

// Authenticode configures the Authenticode signing of Windows binaries.
type Authenticode struct {
	Cert         string `yaml:"cert" doc:"Code signing certificate (PEM), followed by any intermediate certificates, relative to the repository root. Empty: Windows binaries get no Authenticode signature."`
	Key          string `yaml:"key" doc:"Private key of the certificate (PEM), relative to the repository root."`
	PasswordEnv  string `yaml:"password-env" doc:"Environment variable that holds the private key's password; empty for a key without one."`
	TimestampURL string `yaml:"timestamp-url" doc:"RFC 3161 Time-Stamp Authority to countersign with, such as http://timestamp.digicert.com; a timestamp keeps the signature valid after the certificate expires, but makes the binaries differ from one build to the next. Empty: no timestamp."`
}

// Embeds reports whether ELF binaries get an embedded signature: when a
// key is set, unless skipped.
func (s Sign) Embeds(keySet bool) bool { return keySet && !slices.Contains(s.Skip, "embed") }

// SBOMs reports whether binaries get an SBOM: unless skipped.
func (s Sign) SBOMs() bool { return !slices.Contains(s.Skip, "sbom") }

// Provenances reports whether the release gets provenance: unless
// skipped.
func (s Sign) Provenances() bool { return !slices.Contains(s.Skip, "provenance") }
