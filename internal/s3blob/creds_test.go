package s3blob

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// resolve resolves the credentials of env (and the URL's profile) and
// fetches them once.
func resolve(t *testing.T, env map[string]string, urlProfile string) (*Credentials, string, error) {
	t.Helper()
	cc := &credentialConfig{getenv: func(k string) string { return env[k] }, profile: urlProfile, region: "us-east-1", stderr: io.Discard}
	name, _ := cc.profileName()
	prof, err := loadProfile(cc.files(), name)
	if err != nil {
		return nil, "", err
	}
	src, err := resolveCredentials(cc, prof)
	if err != nil {
		return nil, "", err
	}
	c, err := newCredentialCache(src, nil).get(context.Background())
	return c, src.name, err
}

// TestCredentialChain checks the order of the sources and the profiles'
// kinds, against shared files in a temporary home.
func TestCredentialChain(t *testing.T) {
	home := t.TempDir()
	aws := filepath.Join(home, ".aws")
	if err := os.Mkdir(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(home, "creds.sh")
	writeFile(t, script, "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":\"2099-01-01T00:00:00Z\"}'\n")
	if err := os.Chmod(script, 0o700); err != nil { // #nosec G302 -- a test script that must be executable
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(aws, "credentials"), `[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = s

[static]
aws_access_key_id = AKIDSTATIC
aws_secret_access_key = s
aws_session_token = tok

[half]
aws_access_key_id = AKIDHALF
`)
	writeFile(t, filepath.Join(aws, "config"), `[default]
region = eu-west-1

[profile static]
aws_access_key_id = AKIDFROMCONFIG
aws_secret_access_key = s

[profile proc]
credential_process = `+script+`

[profile sso]
sso_session = corp
sso_account_id = 123

[profile legacy-sso]
sso_start_url = https://corp.awsapps.com/start

[profile chain]
role_arn = arn:aws:iam::1:role/r
source_profile = static

[profile login]
login_session = arn:aws:iam::1:user/u

[profile failing]
credential_process = /bin/false
`)
	base := map[string]string{"HOME": home, "AWS_EC2_METADATA_DISABLED": "true"}
	with := func(kv ...string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	for _, tc := range []struct {
		name       string
		env        map[string]string
		urlProfile string
		wantKey    string
		wantToken  string
		wantErr    string
	}{
		{"environment", with("AWS_ACCESS_KEY_ID", "AKIDENV", "AWS_SECRET_ACCESS_KEY", "s", "AWS_SESSION_TOKEN", "envtok"), "", "AKIDENV", "envtok", ""},
		{"legacy environment names", with("AWS_ACCESS_KEY", "AKIDOLD", "AWS_SECRET_KEY", "s"), "", "AKIDOLD", "", ""},
		{"half environment", with("AWS_ACCESS_KEY_ID", "AKIDENV"), "", "", "", "AWS_SECRET_ACCESS_KEY is not"},
		{"default profile", base, "", "AKIDDEFAULT", "", ""},
		{"URL profile beats environment", with("AWS_ACCESS_KEY_ID", "AKIDENV", "AWS_SECRET_ACCESS_KEY", "s"), "static", "AKIDSTATIC", "tok", ""},
		{"AWS_PROFILE beats environment", with("AWS_PROFILE", "static", "AWS_ACCESS_KEY_ID", "AKIDENV", "AWS_SECRET_ACCESS_KEY", "s"), "", "AKIDSTATIC", "tok", ""},
		{"URL profile beats AWS_PROFILE", with("AWS_PROFILE", "nope"), "static", "AKIDSTATIC", "tok", ""},
		{"credential_process", base, "proc", "AKIDPROC", "t", ""},
		{"failing credential_process", base, "failing", "", "", `run "/bin/false"`},
		{"missing profile", with("AWS_PROFILE", "nope"), "", "", "", `AWS profile "nope" is not in the shared config`},
		{"half profile", base, "half", "", "", "only one of aws_access_key_id and aws_secret_access_key"},
		{"SSO session", base, "sso", "", "", "uses IAM Identity Center (sso_session)"},
		{"legacy SSO", base, "legacy-sso", "", "", "aws configure export-credentials --profile legacy-sso --format env"},
		{"role chain", base, "chain", "", "", "assumes a role (role_arn with source_profile or credential_source)"},
		{"console login", base, "login", "", "", "console sign-in (login_session)"},
		{"nothing at all", map[string]string{"HOME": t.TempDir(), "AWS_EC2_METADATA_DISABLED": "true"}, "", "", "", "no AWS credentials: set AWS_ACCESS_KEY_ID"},
		{"other files", with("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(aws, "config"), "AWS_CONFIG_FILE", filepath.Join(home, "none")), "", "", "", "no AWS credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := resolve(t, tc.env, tc.urlProfile)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AccessKeyID != tc.wantKey || c.SessionToken != tc.wantToken {
				t.Errorf("credentials %s (token %q); want %s (token %q)", c.AccessKeyID, c.SessionToken, tc.wantKey, tc.wantToken)
			}
		})
	}
}

// TestWebIdentity assumes a role through a stand-in for STS.
func TestWebIdentity(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	writeFile(t, tokenFile, "jwt-1\n")
	var calls atomic.Int32
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.Header.Get("Authorization") != "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if r.Form.Get("Action") != "AssumeRoleWithWebIdentity" || r.Form.Get("RoleArn") != "arn:aws:iam::1:role/ci" ||
			r.Form.Get("RoleSessionName") != "release" || r.Form.Get("WebIdentityToken") != "jwt-1" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error><RequestId>X</RequestId></ErrorResponse>`)
			return
		}
		io.WriteString(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIAWEB</AccessKeyId>
      <SecretAccessKey>s</SecretAccessKey>
      <SessionToken>webtok</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>`)
	}))
	defer sts.Close()
	env := map[string]string{
		"HOME":                        t.TempDir(),
		"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
		"AWS_ROLE_ARN":                "arn:aws:iam::1:role/ci",
		"AWS_ROLE_SESSION_NAME":       "release",
		"AWS_ENDPOINT_URL_STS":        sts.URL,
	}
	c, _, err := resolve(t, env, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "ASIAWEB" || c.SessionToken != "webtok" || !c.Expires.Equal(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("credentials = %+v", c)
	}
	writeFile(t, tokenFile, "jwt-2")
	_, _, err = resolve(t, env, "")
	if err == nil || !strings.Contains(err.Error(), "InvalidIdentityToken: bad token (HTTP 400") {
		t.Errorf("with a token STS refuses: %v; want its error", err)
	}
	delete(env, "AWS_ROLE_ARN")
	if _, _, err := resolve(t, env, ""); err == nil || !strings.Contains(err.Error(), "AWS_ROLE_ARN is not") {
		t.Errorf("without AWS_ROLE_ARN: %v", err)
	}
}

// TestContainerCredentials reads credentials from a stand-in for the ECS
// or EKS credential endpoint, with the authorization token from a file.
func TestContainerCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "secret-token" || r.URL.Path != "/creds" {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"code":"AccessDenied","message":"no"}`)
			return
		}
		io.WriteString(w, `{"AccessKeyId":"ASIAECS","SecretAccessKey":"s","Token":"ecstok","Expiration":"2099-01-01T00:00:00Z"}`)
	}))
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, "secret-token\n")
	env := map[string]string{"HOME": t.TempDir(), "AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL + "/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile}
	c, name, err := resolve(t, env, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "ASIAECS" || c.SessionToken != "ecstok" || !strings.Contains(name, "FULL_URI") {
		t.Errorf("credentials = %+v from %s", c, name)
	}
	delete(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
	env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong"
	if _, _, err := resolve(t, env, ""); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("with a wrong token: %v; want HTTP 403", err)
	}
	env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://metadata.example/creds"
	if _, _, err := resolve(t, env, ""); err == nil || !strings.Contains(err.Error(), "must be to a loopback address") {
		t.Errorf("with a remote http URI: %v", err)
	}
}

// TestIMDS reads an instance role's credentials from a stand-in for the
// EC2 instance metadata service, IMDSv2 only.
func TestIMDS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" && r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") != "":
			io.WriteString(w, "imds-token")
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != "imds-token":
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
			io.WriteString(w, "ci-role\n")
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/ci-role":
			io.WriteString(w, `{"Code":"Success","AccessKeyId":"ASIAEC2","SecretAccessKey":"s","Token":"ec2tok","Expiration":"2099-01-01T00:00:00Z"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c, _, err := resolve(t, map[string]string{"HOME": t.TempDir(), "AWS_EC2_METADATA_SERVICE_ENDPOINT": srv.URL}, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "ASIAEC2" || c.SessionToken != "ec2tok" {
		t.Errorf("credentials = %+v", c)
	}
	srv.Close()
	_, _, err = resolve(t, map[string]string{"HOME": t.TempDir(), "AWS_EC2_METADATA_SERVICE_ENDPOINT": srv.URL}, "")
	if err == nil || !strings.Contains(err.Error(), "this is not an EC2 instance with a role") {
		t.Errorf("without a metadata service: %v", err)
	}
}

// TestCredentialCache checks that credentials are fetched once, again
// before they expire, and kept when a refresh fails while they are valid.
func TestCredentialCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var fetches atomic.Int32
	fail := false
	clock := now
	src := credentialSource{name: "test", fetch: func(context.Context) (*Credentials, error) {
		n := fetches.Add(1)
		if fail {
			return nil, io.ErrUnexpectedEOF
		}
		return &Credentials{AccessKeyID: "K" + string(rune('0'+n)), SecretAccessKey: "s", Expires: clock.Add(time.Hour)}, nil
	}}
	c := newCredentialCache(src, func() time.Time { return clock })
	ctx := context.Background()
	get := func() string {
		cr, err := c.get(ctx)
		if err != nil {
			return "error: " + err.Error()
		}
		return cr.AccessKeyID
	}
	if got := get(); got != "K1" {
		t.Fatalf("first get = %s", got)
	}
	clock = now.Add(54 * time.Minute)
	if got := get(); got != "K1" || fetches.Load() != 1 {
		t.Errorf("6 minutes before expiry: %s after %d fetches; want K1 after 1", got, fetches.Load())
	}
	clock = now.Add(56 * time.Minute)
	if got := get(); got != "K2" {
		t.Errorf("4 minutes before expiry: %s; want a refresh, K2", got)
	}
	fail = true
	clock = now.Add(56*time.Minute + 57*time.Minute)
	if got := get(); got != "K2" {
		t.Errorf("failed refresh of valid credentials: %s; want K2 kept", got)
	}
	clock = now.Add(3 * time.Hour)
	if got := get(); !strings.Contains(got, "AWS credentials from test") {
		t.Errorf("failed refresh of expired credentials: %s; want the error", got)
	}
}
