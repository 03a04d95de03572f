// Package s3blob is Shipline's own Amazon S3 driver for gocloud.dev/blob,
// registered for s3:// URLs on blob.DefaultURLMux. It speaks the S3 REST
// API over net/http, signs with AWS Signature Version 4 (sigv4.go), and
// finds credentials as the AWS SDKs do, for the sources that matter to a
// release tool (creds.go).
//
// # Why not gocloud.dev/blob/s3blob
//
// gocloud.dev/blob/s3blob imports aws-sdk-go-v2 (config, sts, sso,
// ssooidc, signin and s3, with their endpoint tables, whose regular
// expressions compile at package initialization), and that init runs at
// every start of the binary whether or not the command touches a bucket;
// `shipline version next` must start as fast as svu. Measured on the 2-core
// development machine with `shipline --help`, three builds of the same
// tree (package init: the GODEBUG=inittrace=1 clock summed, median of 31
// runs; CPU: perf stat task-clock, 6 interleaved rounds of 20 runs; wall:
// hyperfine, 100 runs):
//
//	                     package init   CPU       wall     binary
//	gocloud's s3blob     3.9 ms         7.7 ms    8.2 ms   55.3 MB
//	no S3 driver         3.6 ms         6.6 ms    7.6 ms   43.7 MB
//	this package         3.5 ms         6.8 ms    7.8 ms   44.0 MB
//
// (The machine was shared: differences of a few tenths of a millisecond
// are noise. The packages initialized are those of the build without a
// driver plus this one, whose init, the registration of the scheme, takes
// about 17 µs; encoding/xml was linked already.)
//
// The package imports only the standard library and gocloud.dev/blob. No
// aws-sdk-go-v2 package is imported outside its tests.
//
// # URLs
//
//	s3://BUCKET[?PARAMETERS]
//
// takes the parameters of gocloud.dev's s3blob that users rely on, and
// blob.URLMux's own prefix= (and key=):
//
//   - region=REGION: the bucket's region. Without it: AWS_REGION, else
//     AWS_DEFAULT_REGION, else the profile's region, else us-east-1.
//   - endpoint=URL: another S3 server (MinIO, Ceph, R2, a test server);
//     without it AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL (unless
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else Amazon S3 in the
//     region. A URL without a scheme is https://.
//   - use_path_style=true (or s3ForcePathStyle=true): requests name the
//     bucket in the path (https://HOST/BUCKET/KEY), not in the host name
//     (https://BUCKET.HOST/KEY). Path style is also used when the endpoint's
//     host is an IP address, and for bucket names that cannot be a host
//     name (upper case, "_", or "." over https), as the SDK does.
//   - hostname_immutable=true: send requests to the endpoint as it is
//     (path style).
//   - disable_https=true: http:// for Amazon S3's endpoints (an endpoint=
//     URL keeps its own scheme).
//   - anonymous=true: unsigned requests, no credentials (a public bucket).
//   - profile=NAME: the shared config profile to take credentials and
//     region from, as AWS_PROFILE does.
//   - dualstack=true, fips=true, accelerate=true: Amazon S3's dual-stack,
//     FIPS and Transfer Acceleration endpoints.
//   - ssetype=AES256|aws:kms|aws:kms:dsse and kmskeyid=ID: server-side
//     encryption headers on every write and copy.
//   - request_checksum_calculation and response_checksum_validation
//     (when_supported or when_required), rate_limiter_capacity=N and
//     awssdk=...: accepted for compatibility, with no effect (every upload
//     carries its Content-MD5 and signed SHA-256, which every S3 server
//     checks; there is no client-side rate limiter).
//   - role=ARN: refused: assuming a role is not supported (see below).
//
// Any other parameter is an error that names it.
//
// # Credentials
//
// In the order of the AWS SDKs, the first that applies:
//
//  1. a profile chosen by profile= or AWS_PROFILE, which must exist;
//  2. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN;
//  3. AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (and
//     AWS_ROLE_SESSION_NAME): STS AssumeRoleWithWebIdentity, at
//     AWS_ENDPOINT_URL_STS when set;
//  4. the default profile, when the shared files have one;
//  5. AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI (ECS, EKS Pod
//     Identity), with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE);
//  6. the EC2 instance metadata service (IMDSv2 only;
//     AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED).
//
// A profile (in AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, by default
// ~/.aws/config and ~/.aws/credentials) gives static keys, a
// credential_process, or role_arn with web_identity_token_file; a profile
// with none of these falls through to 5 and 6. Profiles that assume a role
// from another (role_arn with source_profile or credential_source), use IAM
// Identity Center (sso_*) or console sign-in (login_session) are an error
// when the bucket is opened, which names the setting and says to export
// the credentials to the environment with `aws configure
// export-credentials`. Credentials are fetched on the first request and
// fetched again before they expire (5 minutes before, or half their
// lifetime when shorter).
//
// # Semantics
//
// Keys and metadata are escaped as gocloud's s3blob escapes them, so either
// driver reads what the other wrote. Writes up to the buffer size (8 MiB
// unless WriterOptions.BufferSize says more; parts are at least 5 MiB, the
// S3 minimum) are one PUT with Content-MD5 and the signed SHA-256 of the
// data; larger ones are a multipart upload of buffer-sized parts, aborted
// when a part fails or the writer's context is canceled. Nothing is
// visible until Close succeeds. IfNotExist sends If-None-Match: * (on the
// PUT, or on the multipart upload's completion), which S3 checks
// atomically. Requests are retried on network errors and HTTP 408, 429 and
// 5xx (S3's SlowDown and InternalError), up to four sends with exponential
// backoff; every S3 request the driver makes can be repeated (a PUT
// replaces the whole object with the same bytes), as the AWS SDKs assume.
// Delete of a missing object is NotFound (one HEAD first, as gocloud's
// s3blob does). A 403 is PermissionDenied; a request to the wrong region
// is InvalidArgument whose message names the bucket's region. SignedURL is
// Unimplemented, and As exposes no driver types; ErrorAs gives *Error.
package s3blob

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
)

// Scheme is the URL scheme this package registers on blob.DefaultURLMux.
const Scheme = "s3"

// DefaultRegion is the region when nothing names one.
const DefaultRegion = "us-east-1"

func init() {
	blob.DefaultURLMux().RegisterBucket(Scheme, new(URLOpener))
}

// Options configure OpenBucket.
type Options struct {
	// Endpoint is the base URL of the S3 service, such as
	// "http://127.0.0.1:9000"; empty for Amazon S3 in Region.
	Endpoint string
	// Region is the bucket's region; empty means DefaultRegion.
	Region string
	// UsePathStyle puts the bucket in the path rather than in the host.
	UsePathStyle bool
	// DisableHTTPS uses http:// for Amazon S3's endpoints.
	DisableHTTPS bool
	// DualStack, FIPS and Accelerate choose Amazon S3's dual-stack, FIPS
	// and Transfer Acceleration endpoints.
	DualStack, FIPS, Accelerate bool
	// Credentials sign the requests; nil sends them unsigned.
	Credentials CredentialsProvider
	// SSEType and KMSKeyID set the server-side encryption of writes and
	// copies (x-amz-server-side-encryption and its KMS key ID).
	SSEType, KMSKeyID string
	// Client sends the requests; nil means one that follows no redirect.
	Client *http.Client
	// Now is the clock for signatures; nil means time.Now.
	Now func() time.Time
}

// CredentialsProvider gives the credentials to sign a request with; it is
// called for every request and must be safe for concurrent use.
type CredentialsProvider interface {
	Credentials(ctx context.Context) (*Credentials, error)
}

// Credentials implements CredentialsProvider for fixed credentials.
func (c *Credentials) Credentials(context.Context) (*Credentials, error) { return c, nil }

// Credentials implements CredentialsProvider.
func (c *credentialCache) Credentials(ctx context.Context) (*Credentials, error) { return c.get(ctx) }

// OpenBucket returns the bucket named bucketName. It sends no request:
// blob.Bucket.IsAccessible checks that the bucket exists.
func OpenBucket(ctx context.Context, bucketName string, opts *Options) (*blob.Bucket, error) {
	drv, err := openBucket(bucketName, opts)
	if err != nil {
		return nil, err
	}
	return blob.NewBucket(drv), nil
}

func openBucket(bucketName string, opts *Options) (*bucket, error) {
	if bucketName == "" {
		return nil, errors.New("s3blob: no bucket name: write s3://BUCKET")
	}
	if opts == nil {
		opts = &Options{}
	}
	region := opts.Region
	if region == "" {
		region = DefaultRegion
	}
	base, pathStyle, err := resolveEndpoint(bucketName, region, opts)
	if err != nil {
		return nil, err
	}
	b := &bucket{
		name:      bucketName,
		base:      base,
		pathStyle: pathStyle,
		region:    region,
		creds:     opts.Credentials,
		client:    opts.Client,
		sseType:   opts.SSEType,
		kmsKeyID:  opts.KMSKeyID,
		now:       opts.Now,
	}
	if b.client == nil {
		b.client = defaultClient
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b, nil
}

// defaultClient never follows a redirect: a signed request must not go
// elsewhere, and S3's redirects are errors that name the right region.
var defaultClient = &http.Client{CheckRedirect: noRedirect}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// dnsSuffix is the domain of Amazon's endpoints in region.
func dnsSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// resolveEndpoint returns the base URL of the service (scheme, host and
// any path of a custom endpoint) and whether requests are path style.
func resolveEndpoint(bucketName, region string, opts *Options) (*url.URL, bool, error) {
	pathStyle := opts.UsePathStyle
	if opts.Endpoint != "" {
		raw := opts.Endpoint
		if !strings.Contains(raw, "://") {
			raw = "https://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, false, fmt.Errorf("s3blob: endpoint %q is not an http or https URL", opts.Endpoint)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = ""
		u.Host = stripDefaultPort(u.Scheme, u.Host)
		if net.ParseIP(u.Hostname()) != nil || u.Hostname() == "localhost" || !virtualHostable(bucketName, u.Scheme == "https") {
			pathStyle = true
		}
		return u, pathStyle, nil
	}
	if region == "" || strings.ContainsAny(region, "/:@?# ") {
		return nil, false, fmt.Errorf("s3blob: invalid region %q", region)
	}
	scheme := "https"
	if opts.DisableHTTPS {
		scheme = "http"
	}
	suffix := dnsSuffix(region)
	var host string
	switch {
	case opts.Accelerate:
		if pathStyle {
			return nil, false, errors.New("s3blob: accelerate=true needs virtual-hosted requests: drop use_path_style")
		}
		host = "s3-accelerate." + suffix
		if opts.DualStack {
			host = "s3-accelerate.dualstack." + suffix
		}
	case opts.FIPS && opts.DualStack:
		host = "s3-fips.dualstack." + region + "." + suffix
	case opts.FIPS:
		host = "s3-fips." + region + "." + suffix
	case opts.DualStack:
		host = "s3.dualstack." + region + "." + suffix
	default:
		host = "s3." + region + "." + suffix
	}
	if !virtualHostable(bucketName, scheme == "https") {
		if opts.Accelerate {
			return nil, false, fmt.Errorf("s3blob: bucket %q cannot be reached with accelerate=true: its name is not a valid host name", bucketName)
		}
		pathStyle = true
	}
	return &url.URL{Scheme: scheme, Host: host}, pathStyle, nil
}

func stripDefaultPort(scheme, host string) string {
	if h, port, err := net.SplitHostPort(host); err == nil && ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return host
}

// virtualHostable reports whether a bucket name can be the first label of
// a host name (over TLS, without dots, which the wildcard certificate does
// not cover).
func virtualHostable(name string, tls bool) bool {
	if len(name) < 3 || len(name) > 63 || net.ParseIP(name) != nil {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && i > 0 && i < len(name)-1:
		case c == '.' && !tls && i > 0 && i < len(name)-1 && name[i-1] != '.':
		default:
			return false
		}
	}
	return true
}

// URLOpener opens s3:// URLs (see the package documentation). It keeps
// the credentials it resolves, per profile, for the process's life; the
// zero value is ready to use.
type URLOpener struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Client sends the requests (to S3 and for credentials); nil means
	// the defaults.
	Client *http.Client

	mu    sync.Mutex
	creds map[string]*credentialCache
}

// urlParams are the parsed query parameters of an s3:// URL.
type urlParams struct {
	region, endpoint, profile     string
	pathStyle, disableHTTPS, anon bool
	hostnameImmutable             bool
	dualStack, fips, accelerate   bool
	sseType, kmsKeyID             string
}

// Parameters lists the query parameters s3:// URLs take, for messages.
var Parameters = []string{
	"prefix", "region", "endpoint", "use_path_style", "s3ForcePathStyle", "hostname_immutable", "disable_https",
	"anonymous", "profile", "dualstack", "fips", "accelerate", "ssetype", "kmskeyid",
	"request_checksum_calculation", "response_checksum_validation", "rate_limiter_capacity", "awssdk",
}

func parseQuery(q url.Values) (urlParams, error) {
	var p urlParams
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		val := q[k][len(q[k])-1]
		boolVal := func(dst *bool) error {
			b, err := strconv.ParseBool(val)
			if err != nil {
				return fmt.Errorf("invalid value %q for query parameter %q: want true or false", val, k)
			}
			*dst = b
			return nil
		}
		var err error
		switch k {
		case "region":
			if val == "" || strings.ContainsAny(val, "/:@?# ") {
				return p, fmt.Errorf("invalid value %q for query parameter %q: want a region such as us-east-1", val, k)
			}
			p.region = val
		case "endpoint":
			p.endpoint = val
		case "profile":
			if val == "" {
				return p, fmt.Errorf("empty value for query parameter %q: want a profile name", k)
			}
			p.profile = val
		case "use_path_style", "s3ForcePathStyle":
			err = boolVal(&p.pathStyle)
		case "hostname_immutable":
			err = boolVal(&p.hostnameImmutable)
		case "disable_https":
			err = boolVal(&p.disableHTTPS)
		case "anonymous":
			err = boolVal(&p.anon)
		case "dualstack":
			err = boolVal(&p.dualStack)
		case "fips":
			err = boolVal(&p.fips)
		case "accelerate":
			err = boolVal(&p.accelerate)
		case "ssetype":
			switch strings.ToLower(val) {
			case "aes256":
				p.sseType = "AES256"
			case "aws:kms", "aws:kms:dsse":
				p.sseType = strings.ToLower(val)
			default:
				return p, fmt.Errorf("invalid value %q for query parameter %q: want AES256, aws:kms or aws:kms:dsse", val, k)
			}
		case "kmskeyid":
			p.kmsKeyID = val
		case "request_checksum_calculation", "response_checksum_validation":
			if v := strings.ToLower(val); v != "when_supported" && v != "when_required" {
				return p, fmt.Errorf("invalid value %q for query parameter %q: want when_supported or when_required", val, k)
			}
		case "rate_limiter_capacity":
			if _, err := strconv.ParseUint(val, 10, 31); err != nil {
				return p, fmt.Errorf("invalid value %q for query parameter %q: want a whole number", val, k)
			}
		case "awssdk":
			// gocloud.dev chose between AWS SDK versions with it; this
			// driver uses neither.
		case "role":
			return p, fmt.Errorf("query parameter role is not supported: Shipline's s3 driver does not assume roles: assume it first (for example `aws sts assume-role` or `aws configure export-credentials --format env` with a profile that has the role) and pass the credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN")
		default:
			return p, fmt.Errorf("unknown query parameter %q: s3 URLs take %s", k, strings.Join(Parameters, ", "))
		}
		if err != nil {
			return p, err
		}
	}
	if p.kmsKeyID != "" && p.sseType == "" {
		p.sseType = "aws:kms"
	}
	return p, nil
}

// configuredEndpoint returns the endpoint AWS_ENDPOINT_URL_<SERVICE>, else
// AWS_ENDPOINT_URL, names, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func configuredEndpoint(getenv func(string) string, service string) string {
	if strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return ""
	}
	if e := getenv("AWS_ENDPOINT_URL_" + service); e != "" {
		return strings.TrimSuffix(e, "/")
	}
	return strings.TrimSuffix(getenv("AWS_ENDPOINT_URL"), "/")
}

// OpenBucketURL opens the bucket that u names.
func (o *URLOpener) OpenBucketURL(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	opts, err := o.options(u)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", u.Redacted(), err)
	}
	return OpenBucket(ctx, u.Host, opts)
}

// options turns a URL into the Options of its bucket, resolving the
// region and the credentials' source (without fetching them).
func (o *URLOpener) options(u *url.URL) (*Options, error) {
	p, err := parseQuery(u.Query())
	if err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, errors.New("no bucket name: write s3://BUCKET")
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cc := &credentialConfig{getenv: getenv, profile: p.profile, client: o.Client}
	profName, _ := cc.profileName()
	var prof *profile
	if !p.anon || p.region == "" {
		if prof, err = loadProfile(cc.files(), profName); err != nil {
			return nil, err
		}
	}
	region := p.region
	for _, r := range []string{getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")} {
		if region == "" {
			region = r
		}
	}
	if region == "" && prof != nil {
		region = prof.get("region")
	}
	if region == "" {
		region = DefaultRegion
	}
	cc.region = region
	endpoint := p.endpoint
	if endpoint == "" {
		endpoint = configuredEndpoint(getenv, "S3")
	}
	opts := &Options{
		Endpoint:     endpoint,
		Region:       region,
		UsePathStyle: p.pathStyle || (p.hostnameImmutable && endpoint != ""),
		DisableHTTPS: p.disableHTTPS,
		DualStack:    p.dualStack,
		FIPS:         p.fips,
		Accelerate:   p.accelerate,
		SSEType:      p.sseType,
		KMSKeyID:     p.kmsKeyID,
		Client:       o.Client,
	}
	if !p.anon {
		c, err := o.credentials(cc, prof)
		if err != nil {
			return nil, err
		}
		opts.Credentials = c
	}
	return opts, nil
}

// credentialEnv are the variables that choose the credentials' source.
var credentialEnv = []string{
	"HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
}

// credentials returns the cache of the credentials cc resolves to, one per
// profile and region (web identity asks STS in the region).
func (o *URLOpener) credentials(cc *credentialConfig, prof *profile) (*credentialCache, error) {
	name, _ := cc.profileName()
	// The environment may change between opens (tests do change it).
	key := name + "\x00" + cc.region
	for _, v := range credentialEnv {
		key += "\x00" + cc.getenv(v)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if c := o.creds[key]; c != nil {
		return c, nil
	}
	src, err := resolveCredentials(cc, prof)
	if err != nil {
		return nil, err
	}
	c := newCredentialCache(src, nil)
	if o.creds == nil {
		o.creds = map[string]*credentialCache{}
	}
	o.creds[key] = c
	return c, nil
}
