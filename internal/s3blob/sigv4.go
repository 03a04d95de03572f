package s3blob

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Payload hashes for the x-amz-content-sha256 header.
const (
	// emptyPayloadHash is the SHA-256 of no bytes.
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// unsignedPayload signs the request without its body.
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

const (
	sigAlgorithm  = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
)

// ignoredHeaders are never signed, as for the AWS SDKs: proxies and the
// transport may change them.
var ignoredHeaders = map[string]bool{
	"authorization":     true,
	"user-agent":        true,
	"x-amzn-trace-id":   true,
	"expect":            true,
	"transfer-encoding": true,
	"content-length":    true, // signed from req.ContentLength instead
}

// payloadHash returns the hex SHA-256 of body, for x-amz-content-sha256.
func payloadHash(body []byte) string {
	if len(body) == 0 {
		return emptyPayloadHash
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// signV4 signs req with AWS Signature Version 4 for service in region at
// time t: it sets X-Amz-Date, X-Amz-Content-Sha256 (to bodyHash: the hex
// SHA-256 of the body, or unsignedPayload), X-Amz-Security-Token when the
// credentials have a session token, and Authorization. Every header
// already set is signed but for ignoredHeaders; the host, and the
// Content-Length when req.ContentLength > 0, are signed too. The request's
// path must be sent as req.URL.EscapedPath() gives it, which is signed as
// it is (S3 does not encode it twice), and its query is signed in
// canonical order.
func signV4(req *http.Request, creds *Credentials, region, service, bodyHash string, t time.Time) {
	t = t.UTC()
	amzDate := t.Format(amzDateFormat)
	day := amzDate[:8]
	req.Header.Set("X-Amz-Date", amzDate)
	if service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", bodyHash)
	}
	if creds.SessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	} else {
		req.Header.Del("X-Amz-Security-Token")
	}
	req.Header.Del("Authorization")

	scope := day + "/" + region + "/" + service + "/aws4_request"
	signedHeaders, canonicalHeaders := canonicalHeaders(req)
	canonical := strings.Join([]string{
		req.Method,
		canonicalURI(req),
		canonicalQuery(req.URL.RawQuery),
		canonicalHeaders,
		signedHeaders,
		bodyHash,
	}, "\n")
	sum := sha256.Sum256([]byte(canonical))
	toSign := sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := signingKey(creds.SecretAccessKey, day, region, service)
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	req.Header.Set("Authorization", sigAlgorithm+" Credential="+creds.AccessKeyID+"/"+scope+", SignedHeaders="+signedHeaders+", Signature="+sig)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	_, _ = h.Write([]byte(data)) // a hash never fails
	return h.Sum(nil)
}

// signingKey derives the key of one day, region and service.
func signingKey(secret, day, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func canonicalURI(req *http.Request) string {
	p := req.URL.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

// canonicalQuery sorts the query's parameters by name, then value, each
// encoded as uriEncode does.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var params []string
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		params = append(params, uriEncode(queryUnescape(k), false)+"="+uriEncode(queryUnescape(v), false))
	}
	slices.Sort(params)
	return strings.Join(params, "&")
}

// queryUnescape decodes a query's name or value; what is not a valid
// escaping stays as it is.
func queryUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// canonicalHeaders returns the signed header names, ";"-separated, and
// the canonical headers block (each "name:value\n").
func canonicalHeaders(req *http.Request) (signed, block string) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	values := map[string]string{"host": host}
	for k, vs := range req.Header {
		name := strings.ToLower(k)
		if ignoredHeaders[name] {
			continue
		}
		trimmed := make([]string, len(vs))
		for i, v := range vs {
			trimmed[i] = strings.Join(strings.Fields(v), " ")
		}
		values[name] = strings.Join(trimmed, ",")
	}
	if req.ContentLength > 0 {
		values["content-length"] = strconv.FormatInt(req.ContentLength, 10)
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(values[k])
		b.WriteByte('\n')
	}
	return strings.Join(names, ";"), b.String()
}
