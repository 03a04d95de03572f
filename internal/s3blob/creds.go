package s3blob

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"gocloud.dev/gcerrors"
)

// Credentials are AWS credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Expires is when they stop working; zero when they do not expire.
	Expires time.Time
}

// credentialSource fetches credentials; name says where from, for
// messages ("environment", "profile dev (credential_process)", ...).
type credentialSource struct {
	name  string
	fetch func(ctx context.Context) (*Credentials, error)
}

// credentialCache keeps the credentials of a source and fetches new ones
// before they expire. It is safe for concurrent use.
type credentialCache struct {
	src credentialSource
	now func() time.Time

	mu        sync.Mutex
	cur       *Credentials
	refreshAt time.Time
}

// maxRefreshEarly is how long before they expire credentials are renewed
// (at most; half their lifetime when that is shorter).
const maxRefreshEarly = 5 * time.Minute

func newCredentialCache(src credentialSource, now func() time.Time) *credentialCache {
	if now == nil {
		now = time.Now
	}
	return &credentialCache{src: src, now: now}
}

// get returns the credentials, fetching them the first time and again
// before they expire. When a refresh fails while the credentials held are
// still valid, it returns them.
func (c *credentialCache) get(ctx context.Context) (*Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.cur != nil && (c.cur.Expires.IsZero() || now.Before(c.refreshAt)) {
		return c.cur, nil
	}
	creds, err := c.src.fetch(ctx)
	if err != nil {
		if c.cur != nil && now.Before(c.cur.Expires) {
			return c.cur, nil
		}
		return nil, &credentialError{source: c.src.name, err: err}
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, &credentialError{source: c.src.name, err: errors.New("no access key ID or secret access key in the answer")}
	}
	c.cur = creds
	if !creds.Expires.IsZero() {
		c.refreshAt = creds.Expires.Add(-min(maxRefreshEarly, creds.Expires.Sub(now)/2))
	}
	return creds, nil
}

// credentialError is a failure to get credentials from a source: the
// request is not sent. Its code is PermissionDenied.
type credentialError struct {
	source string
	err    error
}

func (e *credentialError) Error() string {
	return fmt.Sprintf("s3: AWS credentials from %s: %v", e.source, e.err)
}

func (e *credentialError) Unwrap() error { return e.err }

// credentialConfig is what credential resolution depends on.
type credentialConfig struct {
	getenv func(string) string
	// profile is the profile the URL names, or "" for AWS_PROFILE or
	// "default".
	profile string
	region  string
	// client sends the requests to STS, the container endpoint and the
	// instance metadata service; nil means one with short timeouts.
	client *http.Client
	// stderr receives a credential_process's standard error.
	stderr io.Writer
}

// profileName returns the profile in use and whether it was chosen (by the
// URL or AWS_PROFILE) rather than the default.
func (c *credentialConfig) profileName() (string, bool) {
	if c.profile != "" {
		return c.profile, true
	}
	if p := c.getenv("AWS_PROFILE"); p != "" {
		return p, true
	}
	if p := c.getenv("AWS_DEFAULT_PROFILE"); p != "" {
		return p, true
	}
	return "default", false
}

// resolveCredentials picks the source of credentials in the order of the
// AWS SDKs: a profile chosen by name (profile= or AWS_PROFILE); the
// environment's keys; web identity from the environment; the default
// profile; the container endpoint; the EC2 instance metadata service. It
// reads the shared files but sends no request: the source fetches when
// the first request needs credentials. Profiles whose kind this driver does
// not support are an error that says what to do instead.
func resolveCredentials(c *credentialConfig, prof *profile) (credentialSource, error) {
	name, chosen := c.profileName()
	if chosen {
		if prof == nil {
			return credentialSource{}, fmt.Errorf("AWS profile %q is not in the shared config or credentials file (%s, %s)", name, c.files().config, c.files().credentials)
		}
		return profileCredentials(c, prof)
	}
	id, secret := c.getenv("AWS_ACCESS_KEY_ID"), c.getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" && secret == "" {
		id, secret = c.getenv("AWS_ACCESS_KEY"), c.getenv("AWS_SECRET_KEY")
	}
	switch {
	case id != "" && secret != "":
		creds := &Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: c.getenv("AWS_SESSION_TOKEN")}
		return staticSource("the environment (AWS_ACCESS_KEY_ID)", creds), nil
	case id != "":
		return credentialSource{}, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither")
	case secret != "":
		return credentialSource{}, errors.New("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or neither")
	}
	if tokenFile := c.getenv("AWS_WEB_IDENTITY_TOKEN_FILE"); tokenFile != "" {
		role := c.getenv("AWS_ROLE_ARN")
		if role == "" {
			return credentialSource{}, errors.New("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: set the role to assume")
		}
		return webIdentitySource(c, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)", tokenFile, role, c.getenv("AWS_ROLE_SESSION_NAME")), nil
	}
	if prof != nil {
		return profileCredentials(c, prof)
	}
	return machineCredentials(c)
}

func (c *credentialConfig) files() sharedFiles { return sharedFilePaths(c.getenv) }

func staticSource(name string, creds *Credentials) credentialSource {
	return credentialSource{name: name, fetch: func(context.Context) (*Credentials, error) { return creds, nil }}
}

// profileCredentials returns the source a profile configures.
func profileCredentials(c *credentialConfig, p *profile) (credentialSource, error) {
	where := fmt.Sprintf("profile %s", p.name)
	exportHint := fmt.Sprintf("run `eval \"$(aws configure export-credentials --profile %s --format env)\"` and use the environment's credentials (with no AWS_PROFILE or profile= in the URL)", p.name)
	if role := p.get("role_arn"); role != "" {
		if tf := p.get("web_identity_token_file"); tf != "" && p.get("source_profile") == "" && p.get("credential_source") == "" {
			return webIdentitySource(c, where+" (web_identity_token_file)", tf, role, p.get("role_session_name")), nil
		}
		return credentialSource{}, fmt.Errorf("AWS %s assumes a role (role_arn with source_profile or credential_source), which Shipline's s3 driver does not do: %s", where, exportHint)
	}
	for _, k := range []string{"sso_session", "sso_start_url", "sso_account_id", "sso_role_name"} {
		if p.get(k) != "" {
			return credentialSource{}, fmt.Errorf("AWS %s uses IAM Identity Center (%s), which Shipline's s3 driver does not support: %s", where, k, exportHint)
		}
	}
	if p.get("login_session") != "" {
		return credentialSource{}, fmt.Errorf("AWS %s uses console sign-in (login_session), which Shipline's s3 driver does not support: %s", where, exportHint)
	}
	id, secret := p.get("aws_access_key_id"), p.get("aws_secret_access_key")
	switch {
	case id != "" && secret != "":
		return staticSource(where+" (aws_access_key_id)", &Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: p.get("aws_session_token")}), nil
	case id != "" || secret != "":
		return credentialSource{}, fmt.Errorf("AWS %s has only one of aws_access_key_id and aws_secret_access_key: set both", where)
	}
	if cmd := p.get("credential_process"); cmd != "" {
		return processSource(c, where+" (credential_process)", cmd), nil
	}
	return machineCredentials(c)
}

// machineCredentials returns the container endpoint's credentials when the
// environment names one, else the EC2 instance metadata service's.
func machineCredentials(c *credentialConfig) (credentialSource, error) {
	if full, rel := c.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"), c.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); full != "" || rel != "" {
		return containerSource(c, full, rel)
	}
	if strings.EqualFold(c.getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		return credentialSource{}, errors.New("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE to a profile of ~/.aws/credentials, or add anonymous=true to the URL for a public bucket (the EC2 instance metadata service is disabled by AWS_EC2_METADATA_DISABLED)")
	}
	return imdsSource(c), nil
}

// httpClient returns the client for credential requests.
func (c *credentialConfig) httpClient(timeout time.Duration) *http.Client {
	if c.client != nil {
		return c.client
	}
	return &http.Client{Timeout: timeout, CheckRedirect: noRedirect}
}

// --- credential_process ---

// processTimeout bounds a credential_process.
const processTimeout = time.Minute

func processSource(c *credentialConfig, name, command string) credentialSource {
	return credentialSource{name: name, fetch: func(ctx context.Context) (*Credentials, error) {
		ctx, cancel := context.WithTimeout(ctx, processTimeout)
		defer cancel()
		var cmd *exec.Cmd
		if runtime.GOOS == "windows" {
			cmd = exec.CommandContext(ctx, "cmd.exe", "/C", command) // #nosec G204 -- credential_process is a command the user configured in their own AWS config file to be run, as the AWS CLI and SDKs run it
		} else {
			cmd = exec.CommandContext(ctx, "/bin/sh", "-c", command) // #nosec G204 -- credential_process is a command the user configured in their own AWS config file to be run, as the AWS CLI and SDKs run it
		}
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = c.stderr
		if cmd.Stderr == nil {
			cmd.Stderr = os.Stderr
		}
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("run %q: %w", command, err)
		}
		return parseProcessOutput(out.Bytes())
	}}
}

// parseProcessOutput parses what a credential_process prints.
func parseProcessOutput(data []byte) (*Credentials, error) {
	var o struct {
		Version         int
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      *time.Time
	}
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, fmt.Errorf("credential_process printed no valid JSON: %w", err)
	}
	if o.Version != 1 {
		return nil, fmt.Errorf("credential_process printed Version %d; want 1", o.Version)
	}
	creds := &Credentials{AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey, SessionToken: o.SessionToken}
	if o.Expiration != nil {
		creds.Expires = *o.Expiration
	}
	return creds, nil
}

// --- web identity (STS AssumeRoleWithWebIdentity) ---

func stsEndpoint(c *credentialConfig) string {
	if e := configuredEndpoint(c.getenv, "STS"); e != "" {
		return e
	}
	return "https://sts." + c.region + "." + dnsSuffix(c.region)
}

func webIdentitySource(c *credentialConfig, name, tokenFile, role, session string) credentialSource {
	if session == "" {
		session = fmt.Sprintf("shipline-%d", time.Now().UnixNano())
	}
	return credentialSource{name: name, fetch: func(ctx context.Context) (*Credentials, error) {
		token, err := os.ReadFile(tokenFile) // #nosec G304 -- the token file the environment or the user's AWS profile names, read as the AWS SDKs read it
		if err != nil {
			return nil, fmt.Errorf("read the web identity token: %w", err)
		}
		form := url.Values{
			"Action":           {"AssumeRoleWithWebIdentity"},
			"Version":          {"2011-06-15"},
			"RoleArn":          {role},
			"RoleSessionName":  {session},
			"WebIdentityToken": {strings.TrimSpace(string(token))},
		}
		endpoint := stsEndpoint(c)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		res, err := c.httpClient(30 * time.Second).Do(req)
		if err != nil {
			return nil, fmt.Errorf("STS AssumeRoleWithWebIdentity: %w", err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("STS AssumeRoleWithWebIdentity: %w", err)
		}
		if res.StatusCode != http.StatusOK {
			e := parseErrorBody(res.StatusCode, body)
			return nil, fmt.Errorf("STS AssumeRoleWithWebIdentity of role %s at %s: %s", role, endpoint, e.describe())
		}
		return parseAssumeRoleAnswer(body)
	}}
}

// parseAssumeRoleAnswer parses STS's answer to AssumeRoleWithWebIdentity.
func parseAssumeRoleAnswer(body []byte) (*Credentials, error) {
	var a struct {
		Credentials struct {
			AccessKeyID     string    `xml:"AccessKeyId"`
			SecretAccessKey string    `xml:"SecretAccessKey"`
			SessionToken    string    `xml:"SessionToken"`
			Expiration      time.Time `xml:"Expiration"`
		} `xml:"AssumeRoleWithWebIdentityResult>Credentials"`
	}
	if err := xml.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("STS AssumeRoleWithWebIdentity: invalid answer: %w", err)
	}
	cr := a.Credentials
	return &Credentials{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, SessionToken: cr.SessionToken, Expires: cr.Expiration}, nil
}

// --- container credentials (ECS, EKS Pod Identity) ---

const containerHost = "http://169.254.170.2"

func containerSource(c *credentialConfig, full, rel string) (credentialSource, error) {
	u := full
	name := "the container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)"
	if rel != "" {
		u = containerHost + rel
		name = "the container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"
	} else if err := checkContainerURI(full); err != nil {
		return credentialSource{}, err
	}
	return credentialSource{name: name, fetch: func(ctx context.Context) (*Credentials, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		token := c.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
		if f := c.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); f != "" {
			data, err := os.ReadFile(f) // #nosec G304 -- the token file the container's environment names, read as the AWS SDKs read it
			if err != nil {
				return nil, fmt.Errorf("read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
			}
			token = strings.TrimSpace(string(data))
		}
		if strings.ContainsAny(token, "\r\n") {
			return nil, errors.New("the container authorization token contains a line break")
		}
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		req.Header.Set("Accept", "application/json")
		res, err := c.httpClient(5 * time.Second).Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s answered HTTP %d: %s", u, res.StatusCode, shorten(string(body)))
		}
		return parseJSONCredentials(body)
	}}, nil
}

// checkContainerURI accepts what the AWS SDKs accept for
// AWS_CONTAINER_CREDENTIALS_FULL_URI: https, or http to a loopback
// address or the ECS or EKS credential addresses.
func checkContainerURI(full string) error {
	u, err := url.Parse(full)
	if err != nil || u.Host == "" {
		return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI %q is not a URL", full)
	}
	if u.Scheme == "https" {
		return nil
	}
	if u.Scheme != "http" {
		return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI %q: want an http or https URL", full)
	}
	host := u.Hostname()
	switch host {
	case "localhost", "169.254.170.2", "169.254.170.23", "fd00:ec2::23":
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI %q: an http URL must be to a loopback address or the ECS/EKS credential address; use https", full)
}

// parseJSONCredentials parses the container endpoint's and the instance
// metadata service's answer.
func parseJSONCredentials(body []byte) (*Credentials, error) {
	var o struct {
		Code            string
		Message         string
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		Token           string
		Expiration      *time.Time
	}
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, fmt.Errorf("invalid credentials answer: %w", err)
	}
	if o.Code != "" && o.Code != "Success" {
		return nil, fmt.Errorf("credentials answer %s: %s", o.Code, o.Message)
	}
	creds := &Credentials{AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey, SessionToken: o.Token}
	if o.Expiration != nil {
		creds.Expires = *o.Expiration
	}
	return creds, nil
}

// --- EC2 instance metadata (IMDSv2) ---

const imdsEndpoint = "http://169.254.169.254"

func imdsSource(c *credentialConfig) credentialSource {
	base := strings.TrimSuffix(c.getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"), "/")
	if base == "" {
		base = imdsEndpoint
	}
	client := c.httpClient(2 * time.Second)
	get := func(ctx context.Context, method, path, token string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
		if err != nil {
			return nil, err
		}
		if method == http.MethodPut {
			req.Header.Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
		} else {
			req.Header.Set("X-Aws-Ec2-Metadata-Token", token)
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s %s: HTTP %d", method, path, res.StatusCode)
		}
		return body, nil
	}
	const credPath = "/latest/meta-data/iam/security-credentials/" // #nosec G101 -- the metadata service's path of the instance role's credentials, not a credential
	return credentialSource{name: "the EC2 instance metadata service", fetch: func(ctx context.Context) (*Credentials, error) {
		token, err := get(ctx, http.MethodPut, "/latest/api/token", "")
		if err != nil {
			return nil, fmt.Errorf("%w: no credentials were found in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), the shared files or a container endpoint, and this is not an EC2 instance with a role: set the credentials, or add anonymous=true to the URL for a public bucket", err)
		}
		roles, err := get(ctx, http.MethodGet, credPath, string(token))
		if err != nil {
			return nil, fmt.Errorf("%w: does the instance have an IAM role?", err)
		}
		role, _, _ := strings.Cut(strings.TrimSpace(string(roles)), "\n")
		if role == "" {
			return nil, errors.New("the instance has no IAM role")
		}
		body, err := get(ctx, http.MethodGet, credPath+url.PathEscape(role), string(token))
		if err != nil {
			return nil, err
		}
		return parseJSONCredentials(body)
	}}
}

func shorten(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// credentialErrorCode is the gocloud code of credential failures.
const credentialErrorCode = gcerrors.PermissionDenied
