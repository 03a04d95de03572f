// Package provenance writes SLSA build provenance for a release: an in-toto
// Statement v1 (https://in-toto.io/Statement/v1) whose predicate is SLSA
// Provenance v1 (https://slsa.dev/provenance/v1), signed in a DSSE envelope
// with payload type "application/vnd.in-toto+json" so that
// 'cosign verify-blob-attestation --key cosign.pub --type slsaprovenance1'
// and slsa-verifier style tools can check it.
//
// The statement names every artifact as a subject (its file name and SHA-256
// digest, sorted by name) and describes the build with Shipline's build
// type, BuildType:
//
//	buildDefinition:
//	  buildType: https://shipline-ci.github.io/buildtypes/release/v1
//	  externalParameters:            what the person releasing chose
//	    repository: URL of the git repository
//	    ref:        git ref built, such as refs/tags/v1.2.3 (optional)
//	    commit:     full commit hash
//	    version:    the release version (optional)
//	    targets:    GOOS/GOARCH[/VARIANT] list (optional)
//	  resolvedDependencies:
//	    - uri: git+REPOSITORY[@REF], digest: {gitCommit: COMMIT}
//	runDetails:
//	  builder: {id: BuilderID}
//	  metadata: {invocationId, startedOn, finishedOn}
//
// The output is deterministic: the same artifacts and Params give the same
// bytes. Times come from Params, never from the clock.
package provenance

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/sign"
)

// The type URIs of what this package writes.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://slsa.dev/provenance/v1"
	// BuildType identifies a Shipline release build: the meaning of
	// externalParameters and resolvedDependencies described in the
	// package documentation.
	BuildType = "https://shipline-ci.github.io/buildtypes/release/v1"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
)

// Params describe the build that made the artifacts.
type Params struct {
	Repository string            // URL of the git repository, such as https://github.com/acme/app (required)
	Ref        string            // git ref that was built, such as refs/tags/v1.2.3 (optional)
	Commit     string            // full hash of the commit built: 40 hex digits, or 64 for SHA-256 repositories (required)
	Version    string            // the release version, such as v1.2.3 (optional)
	Targets    []shipline.Target // the platforms built (optional)

	BuilderID    string    // URI of the trusted builder, such as https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main (required)
	InvocationID string    // identifies this run of the builder, such as a CI run URL (optional)
	StartedOn    time.Time // when the build started (optional)
	FinishedOn   time.Time // when it finished (optional)
}

// statement is an in-toto Statement v1 with a SLSA Provenance v1
// predicate, in the field order of the specifications.
type statement struct {
	Type          string    `json:"_type"`
	Subject       []subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     predicate `json:"predicate"`
}

type subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

type predicate struct {
	BuildDefinition buildDefinition `json:"buildDefinition"`
	RunDetails      runDetails      `json:"runDetails"`
}

type buildDefinition struct {
	BuildType            string             `json:"buildType"`
	ExternalParameters   externalParameters `json:"externalParameters"`
	ResolvedDependencies []resource         `json:"resolvedDependencies"`
}

type externalParameters struct {
	Repository string   `json:"repository"`
	Ref        string   `json:"ref,omitempty"`
	Commit     string   `json:"commit"`
	Version    string   `json:"version,omitempty"`
	Targets    []string `json:"targets,omitempty"`
}

type resource struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

type runDetails struct {
	Builder  builder   `json:"builder"`
	Metadata *metadata `json:"metadata,omitempty"`
}

type builder struct {
	ID string `json:"id"`
}

type metadata struct {
	InvocationID string `json:"invocationId,omitempty"`
	StartedOn    string `json:"startedOn,omitempty"`
	FinishedOn   string `json:"finishedOn,omitempty"`
}

// Statement returns the provenance of subjects as in-toto Statement v1
// JSON (compact, no trailing newline). Every subject needs a Name and a
// SHA256 (64 hex digits); subjects are sorted by name and then digest, and
// exact duplicates are dropped. Missing or malformed input is EINVALID.
func Statement(subjects []shipline.Artifact, p Params) ([]byte, error) {
	if len(subjects) == 0 {
		return nil, shipline.Errorf(shipline.EINVALID, "provenance: no artifacts to describe")
	}
	subs := make([]subject, 0, len(subjects))
	for _, a := range subjects {
		if a.Name == "" {
			return nil, shipline.Errorf(shipline.EINVALID, "provenance: artifact %q has no name", a.Path)
		}
		if !isHex(a.SHA256, 64) {
			return nil, shipline.Errorf(shipline.EINVALID, "provenance: artifact %s: SHA-256 %q is not 64 lowercase hex digits", a.Name, a.SHA256)
		}
		subs = append(subs, subject{Name: a.Name, Digest: map[string]string{"sha256": a.SHA256}})
	}
	slices.SortFunc(subs, func(a, b subject) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Digest["sha256"], b.Digest["sha256"])
	})
	subs = slices.CompactFunc(subs, func(a, b subject) bool {
		return a.Name == b.Name && a.Digest["sha256"] == b.Digest["sha256"]
	})

	if p.Repository == "" {
		return nil, shipline.Errorf(shipline.EINVALID, "provenance: no repository URL")
	}
	if !isHex(p.Commit, 40) && !isHex(p.Commit, 64) {
		return nil, shipline.Errorf(shipline.EINVALID, "provenance: commit %q is not a full commit hash", p.Commit)
	}
	if p.BuilderID == "" {
		return nil, shipline.Errorf(shipline.EINVALID, "provenance: no builder id")
	}
	if !p.StartedOn.IsZero() && !p.FinishedOn.IsZero() && p.FinishedOn.Before(p.StartedOn) {
		return nil, shipline.Errorf(shipline.EINVALID, "provenance: the build finished (%s) before it started (%s)", stamp(p.FinishedOn), stamp(p.StartedOn))
	}
	var targets []string
	for _, t := range p.Targets {
		targets = append(targets, t.String())
	}
	uri := "git+" + p.Repository
	if p.Ref != "" {
		uri += "@" + p.Ref
	}
	st := statement{
		Type:          StatementType,
		Subject:       subs,
		PredicateType: PredicateType,
		Predicate: predicate{
			BuildDefinition: buildDefinition{
				BuildType: BuildType,
				ExternalParameters: externalParameters{
					Repository: p.Repository,
					Ref:        p.Ref,
					Commit:     p.Commit,
					Version:    p.Version,
					Targets:    targets,
				},
				ResolvedDependencies: []resource{{URI: uri, Digest: map[string]string{"gitCommit": p.Commit}}},
			},
			RunDetails: runDetails{Builder: builder{ID: p.BuilderID}},
		},
	}
	if md := (metadata{InvocationID: p.InvocationID, StartedOn: stamp(p.StartedOn), FinishedOn: stamp(p.FinishedOn)}); md != (metadata{}) {
		st.Predicate.RunDetails.Metadata = &md
	}
	return json.Marshal(st)
}

// Sign wraps a statement in a DSSE envelope signed by signer, with payload
// type PayloadType, and returns the envelope's JSON on one line (no
// trailing newline): what cosign's --signature and slsa-verifier read, one
// line of an .intoto.jsonl file.
func Sign(ctx context.Context, signer sign.Signer, statement []byte) ([]byte, error) {
	return sign.SignDSSE(ctx, signer, PayloadType, statement)
}

// Verify checks a DSSE envelope made by Sign and returns the statement in
// it. An envelope of another payload type is EINVALID, like every failure
// of sign.VerifyDSSE.
func Verify(verifier sign.Verifier, envelope []byte) ([]byte, error) {
	typ, payload, err := sign.VerifyDSSE(verifier, envelope)
	if err != nil {
		return nil, err
	}
	if typ != PayloadType {
		return nil, shipline.Errorf(shipline.EINVALID, "provenance: envelope payload type %q, want %q", typ, PayloadType)
	}
	return payload, nil
}

// stamp formats a time as RFC 3339 in UTC, "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// isHex reports whether s is n lowercase hex digits.
func isHex(s string, n int) bool {
	if len(s) != n || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
