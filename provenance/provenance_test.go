package provenance_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	slsa1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	ita1 "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/provenance"
	"github.com/shipline-ci/shipline/sign"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const commit = "0123456789abcdef0123456789abcdef01234567"

var artifacts = []shipline.Artifact{
	{Name: "app_1.2.3_linux_amd64.tar.gz", Path: "app_1.2.3_linux_amd64.tar.gz", Kind: shipline.KindArchive, OS: "linux", Arch: "amd64", SHA256: strings.Repeat("a1", 32), Size: 10},
	{Name: "app_1.2.3_darwin_arm64.tar.gz", Path: "app_1.2.3_darwin_arm64.tar.gz", Kind: shipline.KindArchive, OS: "darwin", Arch: "arm64", SHA256: strings.Repeat("b2", 32), Size: 20},
	{Name: "checksums.txt", Path: "checksums.txt", Kind: shipline.KindChecksums, SHA256: strings.Repeat("c3", 32), Size: 30},
}

var params = provenance.Params{
	Repository:   "https://github.com/acme/app",
	Ref:          "refs/tags/v1.2.3",
	Commit:       commit,
	Version:      "v1.2.3",
	Targets:      []shipline.Target{{OS: "linux", Arch: "amd64"}, {OS: "darwin", Arch: "arm64"}, {OS: "linux", Arch: "arm", Variant: "v7"}},
	BuilderID:    "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.3",
	InvocationID: "https://github.com/acme/app/actions/runs/42/attempts/1",
	StartedOn:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	FinishedOn:   time.Date(2026, 1, 2, 4, 9, 7, 500_000_000, time.FixedZone("CET", 3600)),
}

func TestStatementGolden(t *testing.T) {
	got, err := provenance.Statement(artifacts, params)
	if err != nil {
		t.Fatal(err)
	}
	// The same artifacts in another order, with a duplicate, give the
	// same bytes.
	shuffled := append(slices.Clone(artifacts), artifacts[0])
	slices.Reverse(shuffled)
	again, err := provenance.Statement(shuffled, params)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, again) {
		t.Error("the statement depends on the order of the artifacts")
	}
	if bytes.ContainsAny(got, "\n") {
		t.Error("the statement is not compact")
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	golden(t, filepath.Join("testdata", "statement.golden.json"), pretty.Bytes())
}

// TestStatementInToto reads the statement with the in-toto attestation
// framework's own Go types, rejecting unknown fields, and runs their
// validation of Statement v1 and SLSA Provenance v1.
func TestStatementInToto(t *testing.T) {
	b, err := provenance.Statement(artifacts, params)
	if err != nil {
		t.Fatal(err)
	}
	var st ita1.Statement
	if err := (protojson.UnmarshalOptions{}).Unmarshal(b, &st); err != nil {
		t.Fatalf("in-toto Statement: %v", err)
	}
	if err := st.Validate(); err != nil {
		t.Fatalf("in-toto Statement.Validate: %v", err)
	}
	if st.GetType() != ita1.StatementTypeUri || st.GetPredicateType() != "https://slsa.dev/provenance/v1" {
		t.Errorf("_type %q predicateType %q", st.GetType(), st.GetPredicateType())
	}
	if n := len(st.GetSubject()); n != len(artifacts) {
		t.Fatalf("%d subjects, want %d", n, len(artifacts))
	}
	for _, s := range st.GetSubject() {
		i := slices.IndexFunc(artifacts, func(a shipline.Artifact) bool { return a.Name == s.GetName() })
		if i < 0 || s.GetDigest()["sha256"] != artifacts[i].SHA256 || len(s.GetDigest()) != 1 {
			t.Errorf("subject %s %v does not match an artifact", s.GetName(), s.GetDigest())
		}
	}

	pb, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		t.Fatal(err)
	}
	var prov slsa1.Provenance
	if err := (protojson.UnmarshalOptions{}).Unmarshal(pb, &prov); err != nil {
		t.Fatalf("SLSA Provenance v1: %v", err)
	}
	if err := prov.Validate(); err != nil {
		t.Fatalf("SLSA Provenance.Validate: %v", err)
	}
	bd, rd := prov.GetBuildDefinition(), prov.GetRunDetails()
	if bd.GetBuildType() != provenance.BuildType {
		t.Errorf("buildType %q", bd.GetBuildType())
	}
	ext := bd.GetExternalParameters().AsMap()
	if ext["version"] != "v1.2.3" || ext["commit"] != commit || ext["repository"] != params.Repository {
		t.Errorf("externalParameters = %v", ext)
	}
	if got, want := ext["targets"], []any{"linux/amd64", "darwin/arm64", "linux/arm/v7"}; !slices.Equal(got.([]any), want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
	deps := bd.GetResolvedDependencies()
	if len(deps) != 1 || deps[0].GetUri() != "git+https://github.com/acme/app@refs/tags/v1.2.3" || deps[0].GetDigest()["gitCommit"] != commit {
		t.Errorf("resolvedDependencies = %v", deps)
	}
	if rd.GetBuilder().GetId() != params.BuilderID || rd.GetMetadata().GetInvocationId() != params.InvocationID {
		t.Errorf("runDetails = %v", rd)
	}
	if !rd.GetMetadata().GetStartedOn().AsTime().Equal(params.StartedOn) || !rd.GetMetadata().GetFinishedOn().AsTime().Equal(params.FinishedOn) {
		t.Errorf("metadata times = %v, %v", rd.GetMetadata().GetStartedOn().AsTime(), rd.GetMetadata().GetFinishedOn().AsTime())
	}
}

func TestStatementMinimal(t *testing.T) {
	p := provenance.Params{Repository: "https://example.com/r.git", Commit: commit, BuilderID: "https://example.com/builder"}
	b, err := provenance.Statement(artifacts[:1], p)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{`"metadata"`, `"ref"`, `"version"`, `"targets"`} {
		if bytes.Contains(b, []byte(absent)) {
			t.Errorf("minimal statement has %s: %s", absent, b)
		}
	}
	if !bytes.Contains(b, []byte(`"uri":"git+https://example.com/r.git"`)) {
		t.Errorf("resolved dependency without ref: %s", b)
	}
	var st ita1.Statement
	if err := protojson.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestStatementErrors(t *testing.T) {
	edit := func(f func(p *provenance.Params)) provenance.Params {
		p := params
		f(&p)
		return p
	}
	good := artifacts[:1]
	for _, tt := range []struct {
		name      string
		artifacts []shipline.Artifact
		params    provenance.Params
		want      string
	}{
		{"no artifacts", nil, params, "no artifacts"},
		{"no name", []shipline.Artifact{{Path: "x", SHA256: strings.Repeat("0", 64)}}, params, "has no name"},
		{"no digest", []shipline.Artifact{{Name: "x"}}, params, "is not 64 lowercase hex"},
		{"upper-case digest", []shipline.Artifact{{Name: "x", SHA256: strings.Repeat("A", 64)}}, params, "is not 64 lowercase hex"},
		{"no repository", good, edit(func(p *provenance.Params) { p.Repository = "" }), "no repository"},
		{"short commit", good, edit(func(p *provenance.Params) { p.Commit = "0123456" }), "not a full commit hash"},
		{"no builder", good, edit(func(p *provenance.Params) { p.BuilderID = "" }), "no builder id"},
		{"time travel", good, edit(func(p *provenance.Params) { p.StartedOn, p.FinishedOn = p.FinishedOn, p.StartedOn }), "before it started"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := provenance.Statement(tt.artifacts, tt.params)
			if shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
}

func TestSignVerify(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sign.NewVerifier(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	st, err := provenance.Statement(artifacts, params)
	if err != nil {
		t.Fatal(err)
	}
	env, err := provenance.Sign(context.Background(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ PayloadType string }
	if err := json.Unmarshal(env, &e); err != nil || e.PayloadType != "application/vnd.in-toto+json" {
		t.Errorf("payloadType = %q (%v)", e.PayloadType, err)
	}
	got, err := provenance.Verify(v, env)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, st) {
		t.Error("Verify returns another statement")
	}

	other, err := sign.SignDSSE(context.Background(), s, "text/plain", st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provenance.Verify(v, other); shipline.ErrorCode(err) != shipline.EINVALID || !strings.Contains(err.Error(), "payload type") {
		t.Errorf("Verify of another payload type: %v", err)
	}
	if _, err := provenance.Verify(v, bytes.Replace(env, []byte(`"payload":"`), []byte(`"payload":"e`), 1)); err == nil {
		t.Error("Verify accepts a changed envelope")
	}
}

// golden compares got with a golden file, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it); got:\n%s", path, got)
	}
}
