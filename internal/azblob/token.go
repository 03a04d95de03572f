package azblob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shipline-ci/shipline/internal/blobhttp"
)

// Scope is the OAuth 2.0 scope of Azure Storage; Resource is the same for
// the endpoints that take a resource instead of a scope.
const (
	Scope    = "https://storage.azure.com/.default"
	Resource = "https://storage.azure.com"
)

// DefaultAuthorityHost is Microsoft Entra ID's authority in the public
// cloud; AZURE_AUTHORITY_HOST names another.
const DefaultAuthorityHost = "https://login.microsoftonline.com"

// IMDSEndpoint is the managed identity endpoint of the instance metadata
// service of Azure virtual machines.
const IMDSEndpoint = "http://169.254.169.254/metadata/identity/oauth2/token"

// AccessToken is a bearer token and when it expires.
type AccessToken struct {
	Value   string
	Expires time.Time
}

// TokenSource gets a new token.
type TokenSource interface {
	Token(ctx context.Context) (AccessToken, error)
}

// errUnavailable marks a source that is not configured or not reachable
// here: the chain tries the next one.
var errUnavailable = errors.New("unavailable")

// TokenError is a failure to get a Microsoft Entra ID token.
type TokenError struct {
	Source string // "client secret", "workload identity", "managed identity", "Azure CLI", or "credentials"
	Err    error
}

func (e *TokenError) Error() string { return "azblob: " + e.Source + ": " + e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// Token is the Credential of Microsoft Entra ID bearer tokens: it keeps the
// token of its source and gets a new one before it expires.
type Token struct {
	src TokenSource
	// Now is the clock that decides when to refresh; nil means time.Now.
	Now func() time.Time

	mu  sync.Mutex
	tok AccessToken
}

// NewToken returns the credential of the tokens src gets.
func NewToken(src TokenSource) *Token { return &Token{src: src} }

// refreshBefore is how long before its expiry a token is replaced; a token
// of a shorter life is replaced at half of it.
const refreshBefore = 5 * time.Minute

// Authorize implements Credential.
func (t *Token) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := t.token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

func (t *Token) token(ctx context.Context) (string, error) {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.Value != "" && now().Before(t.tok.Expires.Add(-refreshBefore)) {
		return t.tok.Value, nil
	}
	tok, err := t.src.Token(ctx)
	if err != nil {
		if t.tok.Value != "" && now().Before(t.tok.Expires.Add(-30*time.Second)) {
			return t.tok.Value, nil // the old one still works
		}
		return "", err
	}
	if tok.Value == "" {
		return "", &TokenError{"credentials", errors.New("the token endpoint gave an empty token")}
	}
	// A short-lived token is kept for half its life.
	if life := tok.Expires.Sub(now()); life < 2*refreshBefore {
		tok.Expires = now().Add(life/2 + refreshBefore)
	}
	t.tok = tok
	return tok.Value, nil
}

// NewDefaultToken returns the Entra ID credential of the environment, looked
// up as azidentity's DefaultAzureCredential does, at the first request:
// environment client secret, workload identity, managed identity, Azure
// CLI. getenv nil means os.Getenv.
func NewDefaultToken(getenv func(string) string) *Token {
	if getenv == nil {
		getenv = os.Getenv
	}
	return NewToken(&chain{sources: defaultSources(getenv, http.DefaultClient)})
}

func defaultSources(getenv func(string) string, client *http.Client) []TokenSource {
	authority := strings.TrimSuffix(getenv("AZURE_AUTHORITY_HOST"), "/")
	if authority == "" {
		authority = DefaultAuthorityHost
	}
	return []TokenSource{
		&EnvCredential{Getenv: getenv, Authority: authority, Client: client},
		&WorkloadIdentity{
			TenantID: getenv("AZURE_TENANT_ID"), ClientID: getenv("AZURE_CLIENT_ID"),
			TokenFile: getenv("AZURE_FEDERATED_TOKEN_FILE"), Authority: authority, Client: client,
		},
		&ManagedIdentity{
			ClientID: getenv("AZURE_CLIENT_ID"), Endpoint: getenv("IDENTITY_ENDPOINT"),
			Header: getenv("IDENTITY_HEADER"), Client: client,
		},
		&AzureCLI{TenantID: getenv("AZURE_TENANT_ID")},
	}
}

// chain tries its sources in order, skipping those that are unavailable,
// and keeps to the first that gives a token.
type chain struct {
	sources []TokenSource
	chosen  TokenSource
}

func (c *chain) Token(ctx context.Context) (AccessToken, error) {
	if c.chosen != nil {
		return c.chosen.Token(ctx)
	}
	var why []string
	for _, s := range c.sources {
		tok, err := s.Token(ctx)
		if err == nil {
			c.chosen = s
			return tok, nil
		}
		if !errors.Is(err, errUnavailable) {
			return AccessToken{}, err
		}
		why = append(why, err.Error())
	}
	return AccessToken{}, &TokenError{"credentials", fmt.Errorf("no Azure credentials: set AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING; or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET; or run on Azure with a managed identity; or run 'az login' (%s)", strings.Join(why, "; "))}
}

func unavailable(source, msg string) error {
	return &TokenError{source, fmt.Errorf("%w: %s", errUnavailable, msg)}
}

// EnvCredential is azidentity's EnvironmentCredential: a client secret
// from AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET. A client
// certificate or a user name and password are refused.
type EnvCredential struct {
	Getenv    func(string) string
	Authority string
	Client    *http.Client
}

// Token implements TokenSource.
func (c *EnvCredential) Token(ctx context.Context) (AccessToken, error) {
	tenant, id, secret := c.Getenv("AZURE_TENANT_ID"), c.Getenv("AZURE_CLIENT_ID"), c.Getenv("AZURE_CLIENT_SECRET")
	switch {
	case tenant != "" && id != "" && secret != "":
		return postToken(ctx, c.Client, "client secret", c.Authority, tenant, url.Values{
			"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {Scope},
		})
	case c.Getenv("AZURE_CLIENT_CERTIFICATE_PATH") != "":
		return AccessToken{}, &TokenError{"client certificate", errors.New("AZURE_CLIENT_CERTIFICATE_PATH is set, but Shipline does not sign in with a client certificate: use a client secret (AZURE_CLIENT_SECRET), workload identity (AZURE_FEDERATED_TOKEN_FILE), a managed identity, 'az login', or a storage key or SAS token (AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN)")}
	case c.Getenv("AZURE_USERNAME") != "" && c.Getenv("AZURE_PASSWORD") != "":
		return AccessToken{}, &TokenError{"user name and password", errors.New("AZURE_USERNAME and AZURE_PASSWORD are set, but Shipline does not sign in with a user's password (Microsoft deprecates it): use 'az login', a client secret (AZURE_CLIENT_SECRET) or a managed identity")}
	}
	return AccessToken{}, unavailable("client secret", "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are not all set")
}

// WorkloadIdentity is azidentity's WorkloadIdentityCredential: the
// federated token in TokenFile, read at every request, exchanged as a
// client assertion.
type WorkloadIdentity struct {
	TenantID, ClientID, TokenFile string
	Authority                     string
	Client                        *http.Client
}

// Token implements TokenSource.
func (c *WorkloadIdentity) Token(ctx context.Context) (AccessToken, error) {
	if c.TokenFile == "" || c.TenantID == "" || c.ClientID == "" {
		return AccessToken{}, unavailable("workload identity", "AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID are not all set")
	}
	assertion, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return AccessToken{}, &TokenError{"workload identity", fmt.Errorf("read AZURE_FEDERATED_TOKEN_FILE: %w", err)}
	}
	return postToken(ctx, c.Client, "workload identity", c.Authority, c.TenantID, url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {c.ClientID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {strings.TrimSpace(string(assertion))},
		"scope":                 {Scope},
	})
}

// postToken asks the authority's token endpoint of tenant for a token.
func postToken(ctx context.Context, client *http.Client, source, authority, tenant string, form url.Values) (AccessToken, error) {
	if strings.ContainsAny(tenant, "/?#@") {
		return AccessToken{}, &TokenError{source, fmt.Errorf("invalid tenant ID %q", tenant)}
	}
	u := authority + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
	body := form.Encode()
	res, err := sendToken(ctx, client, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, err
	})
	if err != nil {
		return AccessToken{}, &TokenError{source, err}
	}
	return readToken(res, source, time.Now)
}

// sendToken sends a token request, again after a network error or a 5xx
// or 429 answer, up to maxAttempts.
func sendToken(ctx context.Context, client *http.Client, newReq func(context.Context) (*http.Request, error)) (*http.Response, error) {
	wait := retryBase
	for attempt := 1; ; attempt++ {
		req, err := newReq(ctx)
		if err != nil {
			return nil, err
		}
		res, err := client.Do(req)
		if err == nil && (attempt >= maxAttempts || (res.StatusCode != http.StatusTooManyRequests && res.StatusCode < 500)) {
			return res, nil
		}
		if err != nil && (attempt >= maxAttempts || ctx.Err() != nil) {
			return nil, err
		}
		if res != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			_ = res.Body.Close()
		}
		if err := blobhttp.Sleep(ctx, wait); err != nil {
			return nil, err
		}
		wait *= 2
	}
}

// tokenAnswer is the JSON of every token endpoint: expires_in and
// expires_on are numbers or strings of numbers.
type tokenAnswer struct {
	AccessToken      string          `json:"access_token"`
	ExpiresIn        json.RawMessage `json:"expires_in"`
	ExpiresOn        json.RawMessage `json:"expires_on"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

// readToken reads a token endpoint's answer and closes it.
func readToken(res *http.Response, source string, now func() time.Time) (AccessToken, error) {
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return AccessToken{}, &TokenError{source, err}
	}
	return parseToken(res.StatusCode, body, source, now)
}

func parseToken(status int, body []byte, source string, now func() time.Time) (AccessToken, error) {
	var a tokenAnswer
	jerr := json.Unmarshal(body, &a)
	if status != http.StatusOK {
		msg := http.StatusText(status)
		if jerr == nil && a.Error != "" {
			msg = a.Error
			if a.ErrorDescription != "" {
				msg += ": " + firstLine(a.ErrorDescription)
			}
		}
		return AccessToken{}, &TokenError{source, fmt.Errorf("the token endpoint answered HTTP %d: %s", status, msg)}
	}
	if jerr != nil {
		return AccessToken{}, &TokenError{source, fmt.Errorf("the token endpoint's answer is not JSON: %w", jerr)}
	}
	if a.AccessToken == "" {
		return AccessToken{}, &TokenError{source, errors.New("the token endpoint's answer has no access_token")}
	}
	tok := AccessToken{Value: a.AccessToken}
	if on, ok := jsonNumber(a.ExpiresOn); ok {
		tok.Expires = time.Unix(on, 0)
	} else if in, ok := jsonNumber(a.ExpiresIn); ok {
		tok.Expires = now().Add(time.Duration(in) * time.Second)
	} else {
		return AccessToken{}, &TokenError{source, errors.New("the token endpoint's answer says neither expires_in nor expires_on")}
	}
	return tok, nil
}

// jsonNumber reads a JSON number or a string holding one.
func jsonNumber(raw json.RawMessage) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, false
		}
		n = int64(f)
	}
	return n, n > 0
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

// ManagedIdentity is azidentity's ManagedIdentityCredential: App
// Service's and Functions' identity endpoint when IDENTITY_ENDPOINT and
// IDENTITY_HEADER are set, otherwise the instance metadata service, which
// is unavailable when it does not answer within a second the first time.
type ManagedIdentity struct {
	ClientID         string // a user-assigned identity; "" for the system one
	Endpoint, Header string // IDENTITY_ENDPOINT, IDENTITY_HEADER
	IMDS             string // IMDSEndpoint when empty
	Client           *http.Client

	mu      sync.Mutex
	reached bool // IMDS answered once
}

// Token implements TokenSource.
func (c *ManagedIdentity) Token(ctx context.Context) (AccessToken, error) {
	const source = "managed identity"
	q := url.Values{"resource": {Resource}}
	if c.ClientID != "" {
		q.Set("client_id", c.ClientID)
	}
	if c.Endpoint != "" && c.Header != "" {
		q.Set("api-version", "2019-08-01")
		u := c.Endpoint + "?" + q.Encode()
		res, err := sendToken(ctx, c.Client, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err == nil {
				req.Header.Set("X-IDENTITY-HEADER", c.Header)
			}
			return req, err
		})
		if err != nil {
			return AccessToken{}, &TokenError{source, err}
		}
		return readToken(res, source, time.Now)
	}
	q.Set("api-version", "2018-02-01")
	endpoint := c.IMDS
	if endpoint == "" {
		endpoint = IMDSEndpoint
	}
	u := endpoint + "?" + q.Encode()
	newReq := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil {
			req.Header.Set("Metadata", "true")
		}
		return req, err
	}
	c.mu.Lock()
	reached := c.reached
	c.mu.Unlock()
	if !reached {
		// Off Azure nothing answers: do not wait for the network's
		// timeout, nor retry.
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		req, err := newReq(pctx)
		if err != nil {
			return AccessToken{}, &TokenError{source, err}
		}
		res, err := c.Client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return AccessToken{}, &TokenError{source, ctx.Err()}
			}
			return AccessToken{}, unavailable(source, "no instance metadata service answers (not on Azure)")
		}
		c.mu.Lock()
		c.reached = true
		c.mu.Unlock()
		if res.StatusCode == http.StatusBadRequest {
			// IMDS answers 400 when the machine has no identity.
			_ = res.Body.Close()
			return AccessToken{}, unavailable(source, "this machine has no managed identity")
		}
		return readToken(res, source, time.Now)
	}
	res, err := sendToken(ctx, c.Client, newReq)
	if err != nil {
		return AccessToken{}, &TokenError{source, err}
	}
	return readToken(res, source, time.Now)
}

// AzureCLI is azidentity's AzureCLICredential: `az account
// get-access-token`, when az is on PATH.
type AzureCLI struct {
	TenantID string
	// Run runs az with args and returns its standard output; nil runs the
	// az on PATH.
	Run func(ctx context.Context, args ...string) ([]byte, error)
}

// Token implements TokenSource.
func (c *AzureCLI) Token(ctx context.Context) (AccessToken, error) {
	const source = "Azure CLI"
	run := c.Run
	if run == nil {
		az, err := exec.LookPath("az")
		if err != nil {
			return AccessToken{}, unavailable(source, "az is not on PATH")
		}
		run = func(ctx context.Context, args ...string) ([]byte, error) {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, az, args...) // #nosec G204 -- az from PATH with fixed arguments and the tenant ID from the environment
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				msg := firstLine(stderr.String())
				if strings.Contains(msg, "az login") {
					return nil, fmt.Errorf("%w: not logged in: run 'az login'", errUnavailable)
				}
				return nil, fmt.Errorf("az account get-access-token: %v: %s", err, msg)
			}
			return out, nil
		}
	}
	args := []string{"account", "get-access-token", "--resource", Resource + "/", "-o", "json"}
	if c.TenantID != "" {
		if !validTenant(c.TenantID) {
			return AccessToken{}, &TokenError{source, fmt.Errorf("invalid tenant ID %q", c.TenantID)}
		}
		args = append(args, "--tenant", c.TenantID)
	}
	out, err := run(ctx, args...)
	if err != nil {
		return AccessToken{}, &TokenError{source, err}
	}
	return parseCLIToken(out, time.Local)
}

// validTenant reports whether s may be passed to az as a tenant: a GUID or
// a domain name.
func validTenant(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return s != "" && s[0] != '-'
}

// parseCLIToken reads az's JSON: expires_on (Unix seconds, newer az) or
// expiresOn (local time "2006-01-02 15:04:05.999999").
func parseCLIToken(out []byte, loc *time.Location) (AccessToken, error) {
	const source = "Azure CLI"
	var a struct {
		AccessToken string          `json:"accessToken"`
		ExpiresOn   string          `json:"expiresOn"`
		ExpiresOnTS json.RawMessage `json:"expires_on"`
	}
	if err := json.Unmarshal(out, &a); err != nil {
		return AccessToken{}, &TokenError{source, fmt.Errorf("az's answer is not JSON: %w", err)}
	}
	if a.AccessToken == "" {
		return AccessToken{}, &TokenError{source, errors.New("az's answer has no accessToken")}
	}
	if n, ok := jsonNumber(a.ExpiresOnTS); ok {
		return AccessToken{Value: a.AccessToken, Expires: time.Unix(n, 0)}, nil
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999", a.ExpiresOn, loc)
	if err != nil {
		return AccessToken{}, &TokenError{source, fmt.Errorf("az's expiresOn %q: %w", a.ExpiresOn, err)}
	}
	return AccessToken{Value: a.AccessToken, Expires: t}, nil
}
