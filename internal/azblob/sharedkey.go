package azblob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credential authorizes a request to the Blob service. Authorize is called
// for every send, after every other header is set.
type Credential interface {
	Authorize(ctx context.Context, req *http.Request) error
}

// SharedKey signs requests with a storage account's key ("Authorize with
// Shared Key"): the SharedKey scheme of the Authorization header.
type SharedKey struct {
	account string
	key     []byte

	// Now is the clock of x-ms-date; nil means time.Now.
	Now func() time.Time
}

// NewSharedKey returns the Shared Key credential of account with its
// base64 key; it fails when the key is not base64.
func NewSharedKey(account, key string) (*SharedKey, error) {
	if account == "" {
		return nil, errors.New("no account name for the account key")
	}
	k, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(k) == 0 {
		return nil, errors.New("the account key is not base64")
	}
	return &SharedKey{account: account, key: k}, nil
}

// Authorize implements Credential: it sets x-ms-date and the
// Authorization header.
func (c *SharedKey) Authorize(_ context.Context, req *http.Request) error {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	req.Header.Set("X-Ms-Date", now().UTC().Format(http.TimeFormat))
	sts, err := stringToSign(c.account, req)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "SharedKey "+c.account+":"+c.sign(sts))
	return nil
}

func (c *SharedKey) sign(stringToSign string) string {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// stringToSign returns the Shared Key string to sign of req for account,
// for the Blob service from version 2015-02-21 on:
//
//	VERB, Content-Encoding, Content-Language, Content-Length (empty for
//	zero), Content-MD5, Content-Type, Date, If-Modified-Since, If-Match,
//	If-None-Match, If-Unmodified-Since, Range, one a line; then the
//	canonicalized x-ms- headers and the canonicalized resource.
func stringToSign(account string, req *http.Request) (string, error) {
	h := req.Header
	length := ""
	if req.ContentLength > 0 {
		length = strconv.FormatInt(req.ContentLength, 10)
	} else if v := h.Get("Content-Length"); v != "" && v != "0" {
		length = v
	}
	res, err := canonicalizedResource(account, req.URL)
	if err != nil {
		return "", err
	}
	return strings.Join([]string{
		req.Method,
		h.Get("Content-Encoding"),
		h.Get("Content-Language"),
		length,
		h.Get("Content-MD5"),
		h.Get("Content-Type"),
		"", // Date: x-ms-date is always set
		h.Get("If-Modified-Since"),
		h.Get("If-Match"),
		h.Get("If-None-Match"),
		h.Get("If-Unmodified-Since"),
		h.Get("Range"),
		canonicalizedHeaders(h) + res,
	}, "\n"), nil
}

// canonicalizedHeaders returns the x-ms- headers, lower case, sorted, each
// "name:value\n" with the values of a repeated header joined by commas.
func canonicalizedHeaders(h http.Header) string {
	var names []string
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "x-ms-") {
			names = append(names, k)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	var b strings.Builder
	for _, k := range names {
		vals := make([]string, len(h[k]))
		for i, v := range h[k] {
			vals[i] = strings.TrimSpace(v)
		}
		b.WriteString(strings.ToLower(k) + ":" + strings.Join(vals, ",") + "\n")
	}
	return b.String()
}

// canonicalizedResource returns "/ACCOUNT" and the URL's escaped path, then
// each query parameter, lower case and sorted, "\nname:v1,v2" with its
// values sorted.
func canonicalizedResource(account string, u *url.URL) (string, error) {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	s := "/" + account + path
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("azblob: query of %s: %w", u.Redacted(), err)
	}
	lower := map[string][]string{}
	for k, v := range q {
		lk := strings.ToLower(k)
		lower[lk] = append(lower[lk], v...)
	}
	names := make([]string, 0, len(lower))
	for k := range lower {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(s)
	for _, k := range names {
		v := lower[k]
		slices.Sort(v)
		b.WriteString("\n" + k + ":" + strings.Join(v, ","))
	}
	return b.String(), nil
}

// SAS adds a shared access signature to every request's query.
type SAS struct{ query url.Values }

// NewSAS returns the credential of a SAS token (with or without its
// leading "?"); it fails when the token is not a query string with a
// signature (sig).
func NewSAS(token string) (*SAS, error) {
	q, err := url.ParseQuery(strings.TrimPrefix(token, "?"))
	if err != nil {
		return nil, fmt.Errorf("the SAS token is not a query string: %w", err)
	}
	if q.Get("sig") == "" {
		return nil, errors.New("the SAS token has no signature (sig=)")
	}
	return &SAS{query: q}, nil
}

// Authorize implements Credential.
func (c *SAS) Authorize(_ context.Context, req *http.Request) error {
	req.URL.RawQuery = c.addTo(req.URL.RawQuery)
	return nil
}

// addTo returns rawQuery with the token's parameters added.
func (c *SAS) addTo(rawQuery string) string {
	q, _ := url.ParseQuery(rawQuery) // the driver's own query
	for k, v := range c.query {
		q[k] = v
	}
	return q.Encode()
}
