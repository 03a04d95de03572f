// Package azblob is Shipline's own Azure Blob Storage driver for
// gocloud.dev/blob, registered for azblob:// URLs on blob.DefaultURLMux. It
// talks to the Blob service REST API over net/http, signs requests with
// Shared Key itself, and gets Microsoft Entra ID tokens over plain HTTP.
//
// # Why not gocloud.dev/blob/azureblob
//
// gocloud.dev/blob/azureblob links the Azure SDK (azblob, azcore,
// azidentity with MSAL) and, through gocloud.dev/internal/useragent,
// google.golang.org/api/option with s2a-go and cloud.google.com/go/auth,
// whose package initialization runs at every start of the binary, whether
// or not the command touches a bucket. Measured with `shipline --help` on
// the 2-core development machine while other builds ran on it (load
// average 6 to 13, so differences under a millisecond are noise): wall and
// CPU time, median of 200 interleaved runs; binary size:
//
//	                        wall       CPU       binary
//	gocloud's azureblob     11.4 ms    10.0 ms   55.3 MB
//	no Azure driver         11.5 ms     9.3 ms   51.0 MB
//	this package            10.8 ms     8.5 ms   51.2 MB
//
// What does not depend on the load: the package adds only itself to what
// shipline links (go list -deps: nothing beyond gocloud.dev/blob, which the
// store links anyway), and its own init, the registration of the scheme,
// takes 0.005 ms (GODEBUG=inittrace=1).
//
// # URLs
//
//	azblob://CONTAINER[?PARAMETERS]
//
// takes gocloud.dev's azureblob parameters, and blob.URLMux's own prefix=:
//
//   - storage_account=NAME: the account (AZURE_STORAGE_ACCOUNT otherwise);
//   - domain=DOMAIN: the service's domain, blob.core.windows.net unless
//     AZURE_STORAGE_DOMAIN says otherwise;
//   - protocol=http|https: https unless AZURE_STORAGE_PROTOCOL says otherwise;
//   - cdn=true: the domain is a CDN's, without the account in the host
//     (AZURE_STORAGE_IS_CDN);
//   - localemu=true: an emulator such as Azurite, the account as the first
//     path element: PROTOCOL://DOMAIN/ACCOUNT (AZURE_STORAGE_IS_LOCAL_EMULATOR;
//     also when the domain starts with localhost or 127.0.0.1).
//
// The service URL is PROTOCOL://ACCOUNT.DOMAIN. Any other parameter is an
// error that names it, and so is a parameter given twice.
//
// # Credentials
//
// In gocloud's order, from the environment:
//
//  1. AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY: Shared Key;
//  2. AZURE_STORAGE_SAS_TOKEN: the SAS token is added to every request (a
//     bucket URL then cannot move the service to another host);
//  3. AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGEBLOB_CONNECTIONSTRING):
//     AccountName with AccountKey, or SharedAccessSignature; BlobEndpoint or
//     DefaultEndpointsProtocol with EndpointSuffix; UseDevelopmentStorage=true
//     for Azurite's well-known account at http://127.0.0.1:10000. The
//     connection string names the endpoint, so the URL's service
//     parameters are refused with it;
//  4. otherwise Microsoft Entra ID tokens for https://storage.azure.com,
//     looked up as azidentity's DefaultAzureCredential does, the first that
//     is configured: a client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID,
//     AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST), workload identity
//     (AZURE_FEDERATED_TOKEN_FILE), managed identity (App Service's
//     IDENTITY_ENDPOINT and IDENTITY_HEADER, or the instance metadata
//     service), the Azure CLI (`az account get-access-token`, when az is on
//     PATH). A client certificate (AZURE_CLIENT_CERTIFICATE_PATH) or a
//     user name and password are refused with an error that says what to
//     use instead. Tokens are kept and refreshed before they expire.
//
// # Semantics
//
// Keys and metadata are escaped as gocloud's azureblob escapes them, so
// either driver reads what the other wrote. Writes up to the buffer size
// (8 MiB unless WriterOptions.BufferSize says otherwise) are one Put Blob
// with the data's Content-MD5 for the service to check; larger ones are
// Put Block calls of a buffer each, with their own Content-MD5, committed by
// Put Block List when the writer is closed. Nothing is visible until Close
// succeeds, and a write whose context is canceled commits nothing.
// IfNotExist writes are create-if-absent on the service (If-None-Match: *).
// Reads of a whole blob check its Content-MD5 when it has one. Copy waits
// for a pending copy to finish. Requests that can safely be repeated (reads,
// lists, Put Block, create-if-absent writes) are retried on HTTP 408, 429
// and 5xx and on network errors, up to four sends with exponential backoff.
// Errors of the service are *Error, which blob.Bucket.ErrorAs gives; the
// driver exposes no other types through As. SignedURL is Unimplemented.
package azblob

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"gocloud.dev/blob"
)

// Scheme is the URL scheme this package registers on blob.DefaultURLMux.
const Scheme = "azblob"

// APIVersion is the Blob service REST API version of every request
// (x-ms-version).
const APIVersion = "2025-11-05"

// DefaultDomain is the Blob service domain of Azure's public cloud.
const DefaultDomain = "blob.core.windows.net"

func init() {
	blob.DefaultURLMux().RegisterBucket(Scheme, new(URLOpener))
}

// Options configure OpenBucket.
type Options struct {
	// ServiceURL is the account's Blob service URL, such as
	// https://ACCOUNT.blob.core.windows.net or, for Azurite,
	// http://127.0.0.1:10000/devstoreaccount1. Required.
	ServiceURL string

	// Credential authorizes every request: SharedKey, SAS, Token or nil
	// for none (a public container).
	Credential Credential

	// Client sends the requests; nil means a client of
	// http.DefaultTransport that follows no redirects.
	Client *http.Client
}

// OpenBucket returns the container named container. It sends no request:
// blob.Bucket.IsAccessible checks that the container exists.
func OpenBucket(ctx context.Context, container string, opts *Options) (*blob.Bucket, error) {
	drv, err := openBucket(container, opts)
	if err != nil {
		return nil, err
	}
	return blob.NewBucket(drv), nil
}

func openBucket(container string, opts *Options) (*bucket, error) {
	if container == "" {
		return nil, errors.New("azblob: no container name: write azblob://CONTAINER")
	}
	if opts == nil || opts.ServiceURL == "" {
		return nil, errors.New("azblob: no service URL")
	}
	u, err := url.Parse(strings.TrimSuffix(opts.ServiceURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("azblob: service URL %q is not an http or https URL without a query", opts.ServiceURL)
	}
	client := opts.Client
	if client == nil {
		client = defaultClient
	}
	return &bucket{container: container, service: u.String(), cred: opts.Credential, client: client}, nil
}

// defaultClient never follows a redirect: the service answers, it does not
// send clients elsewhere, and credentials must not follow one.
var defaultClient = &http.Client{CheckRedirect: noRedirect}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// ServiceOptions are the parts of the service URL, from the environment
// and the bucket URL's parameters.
type ServiceOptions struct {
	Account  string
	Domain   string // blob.core.windows.net when empty
	Protocol string // https when empty
	CDN      bool
	LocalEmu bool
}

// ServiceURL returns the Blob service URL the options name, as gocloud's
// azureblob.NewServiceURL makes it.
func (o ServiceOptions) ServiceURL() (string, error) {
	if o.Account == "" {
		return "", errors.New("no storage account: set AZURE_STORAGE_ACCOUNT or add storage_account=NAME to the URL")
	}
	if strings.ContainsAny(o.Account, "/:@?#.") {
		return "", fmt.Errorf("invalid storage account name %q", o.Account)
	}
	domain := o.Domain
	if domain == "" {
		domain = DefaultDomain
	}
	if strings.ContainsAny(domain, "/@?#") {
		return "", fmt.Errorf("invalid domain %q: want a host name such as %s, or HOST:PORT", domain, DefaultDomain)
	}
	protocol := o.Protocol
	switch protocol {
	case "":
		protocol = "https"
	case "http", "https":
	default:
		return "", fmt.Errorf("invalid protocol %q: want http or https", protocol)
	}
	switch {
	case o.LocalEmu || strings.HasPrefix(domain, "127.0.0.1") || strings.HasPrefix(domain, "localhost"):
		return protocol + "://" + domain + "/" + o.Account, nil
	case o.CDN:
		return protocol + "://" + domain, nil
	}
	return protocol + "://" + o.Account + "." + domain, nil
}

// Environment variables that configure the service URL and credentials, as
// for gocloud's azureblob.
const (
	EnvAccount          = "AZURE_STORAGE_ACCOUNT"
	EnvKey              = "AZURE_STORAGE_KEY"
	EnvSASToken         = "AZURE_STORAGE_SAS_TOKEN"
	EnvConnectionString = "AZURE_STORAGE_CONNECTION_STRING"
	EnvDomain           = "AZURE_STORAGE_DOMAIN"
	EnvProtocol         = "AZURE_STORAGE_PROTOCOL"
	EnvIsCDN            = "AZURE_STORAGE_IS_CDN"
	EnvIsLocalEmulator  = "AZURE_STORAGE_IS_LOCAL_EMULATOR"
)

// envConnectionString2 is the other name gocloud reads a connection string
// from.
const envConnectionString2 = "AZURE_STORAGEBLOB_CONNECTIONSTRING"

// serviceParams are the URL parameters that change the service URL.
var serviceParams = []string{"storage_account", "domain", "protocol", "cdn", "localemu"}

// parseQuery applies the bucket URL's parameters to o. It refuses unknown
// parameters and repeated ones by name.
func parseQuery(q url.Values, o ServiceOptions) (ServiceOptions, error) {
	for k, v := range q {
		if len(v) > 1 {
			return o, fmt.Errorf("query parameter %q is given %d times; give it once", k, len(v))
		}
		val := v[0]
		switch k {
		case "storage_account":
			o.Account = val
		case "domain":
			o.Domain = val
		case "protocol":
			if val != "http" && val != "https" {
				return o, fmt.Errorf("invalid value %q for query parameter %q: want http or https", val, k)
			}
			o.Protocol = val
		case "cdn", "localemu":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return o, fmt.Errorf("invalid value %q for query parameter %q: want true or false", val, k)
			}
			if k == "cdn" {
				o.CDN = b
			} else {
				o.LocalEmu = b
			}
		default:
			return o, fmt.Errorf("unknown query parameter %q: azblob URLs take prefix, storage_account, domain, protocol, cdn, localemu", k)
		}
	}
	return o, nil
}

// envServiceOptions reads the service options from the environment.
func envServiceOptions(getenv func(string) string) ServiceOptions {
	isCDN, _ := strconv.ParseBool(getenv(EnvIsCDN))
	isEmu, _ := strconv.ParseBool(getenv(EnvIsLocalEmulator))
	return ServiceOptions{
		Account:  getenv(EnvAccount),
		Domain:   getenv(EnvDomain),
		Protocol: getenv(EnvProtocol),
		CDN:      isCDN,
		LocalEmu: isEmu,
	}
}

// URLOpener opens azblob:// URLs (see the package documentation). It reads
// the environment when it opens its first bucket and keeps the Entra ID
// credential it makes, so that every bucket shares one token cache. The
// zero value is ready to use.
type URLOpener struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string

	mu    sync.Mutex
	token *Token // the Entra ID credential, once made
}

// OpenBucketURL opens the container that u names.
func (o *URLOpener) OpenBucketURL(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	opts, err := o.options(u)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", u.Redacted(), err)
	}
	return OpenBucket(ctx, u.Host, opts)
}

// options returns the options of the bucket u names, from the environment
// and u's parameters.
func (o *URLOpener) options(u *url.URL) (*Options, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if u.Host == "" {
		return nil, errors.New("no container name: write azblob://CONTAINER")
	}
	q := u.Query()
	env := envServiceOptions(getenv)
	so, err := parseQuery(q, env)
	if err != nil {
		return nil, err
	}
	connStr := getenv(EnvConnectionString)
	if connStr == "" {
		connStr = getenv(envConnectionString2)
	}
	key, sas := getenv(EnvKey), getenv(EnvSASToken)
	switch {
	case env.Account != "" && key != "":
		cred, err := NewSharedKey(so.Account, key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		svc, err := so.ServiceURL()
		if err != nil {
			return nil, err
		}
		return &Options{ServiceURL: svc, Credential: cred}, nil
	case sas != "":
		cred, err := NewSAS(sas)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvSASToken, err)
		}
		// The token goes with every request: the URL must not send it to
		// another host than the environment names.
		envSvc, err := env.ServiceURL()
		if err != nil {
			return nil, err
		}
		svc, err := so.ServiceURL()
		if err != nil {
			return nil, err
		}
		if !sameOrigin(envSvc, svc) {
			return nil, fmt.Errorf("the URL cannot change the service endpoint when %s is set (%s, not %s): set %s, %s and %s instead", EnvSASToken, svc, envSvc, EnvAccount, EnvDomain, EnvProtocol)
		}
		return &Options{ServiceURL: svc, Credential: cred}, nil
	case connStr != "":
		for _, p := range serviceParams {
			if q.Has(p) {
				return nil, fmt.Errorf("query parameter %q cannot be used with %s, which names the endpoint", p, EnvConnectionString)
			}
		}
		cs, err := ParseConnectionString(connStr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvConnectionString, err)
		}
		return &Options{ServiceURL: cs.ServiceURL, Credential: cs.Credential}, nil
	}
	svc, err := so.ServiceURL()
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.token == nil {
		o.token = NewDefaultToken(getenv)
	}
	return &Options{ServiceURL: svc, Credential: o.token}, nil
}

func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}
