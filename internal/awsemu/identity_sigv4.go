package awsemu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Signature Version 4 verification ("Create a signed AWS API request", AWS General Reference)
// for the credentials the emulator issued: it derives their secret key, so it can check what AWS
// checks and answer a client that signs with the wrong secret as AWS does. The operator's keys
// cannot be checked: the emulator never sees their secret.

// sigV4 is a parsed Authorization header.
type sigV4 struct {
	scope         string // date/region/service/aws4_request
	signedHeaders []string
	signature     string
}

func parseSigV4(auth string) (sigV4, bool) {
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return sigV4{}, false
	}
	var v sigV4
	for _, part := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			if _, scope, ok := strings.Cut(val, "/"); ok {
				v.scope = scope
			}
		case "SignedHeaders":
			v.signedHeaders = strings.Split(val, ";")
		case "Signature":
			v.signature = val
		}
	}
	return v, v.scope != "" && len(v.signedHeaders) > 0 && v.signature != ""
}

// verifySigV4 reports whether the request's Authorization header is a valid signature of the
// request by secretKey. Presigned requests (no Authorization header) are not checked.
func verifySigV4(r *http.Request, body []byte, secretKey string) bool {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return true
	}
	v, ok := parseSigV4(auth)
	if !ok {
		return false
	}
	amzDate := r.Header.Get("X-Amz-Date")
	scope := strings.Split(v.scope, "/")
	if amzDate == "" || len(scope) != 4 {
		return false
	}

	var canon strings.Builder
	canon.WriteString(r.Method + "\n")
	canon.WriteString(canonicalURI(r.URL) + "\n")
	canon.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	for _, h := range v.signedHeaders {
		canon.WriteString(h + ":" + canonicalHeader(r, h) + "\n")
	}
	canon.WriteString("\n" + strings.Join(v.signedHeaders, ";") + "\n")
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	canon.WriteString(payload)

	canonHash := sha256.Sum256([]byte(canon.String()))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + v.scope + "\n" + hex.EncodeToString(canonHash[:])
	key := []byte("AWS4" + secretKey)
	for _, part := range scope {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	return hmac.Equal([]byte(want), []byte(v.signature))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalHeader is a signed header's value as SigV4 canonicalizes it: values joined by
// commas, surrounding space trimmed and inner runs of spaces collapsed. Go's server keeps Host
// and Content-Length outside r.Header, so they are read from the request itself.
func canonicalHeader(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// canonicalURI is the path with each segment URI-encoded once, as the AWS SDKs sign it for
// every service but S3.
func canonicalURI(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		return "/"
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		raw, err := url.PathUnescape(s)
		if err != nil {
			raw = s
		}
		segs[i] = uriEncode(raw)
	}
	return strings.Join(segs, "/")
}

// canonicalQuery sorts the query parameters by name, then value, each URI-encoded.
func canonicalQuery(q url.Values) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, pair{uriEncode(k), uriEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

// uriEncode percent-encodes everything but the unreserved characters (RFC 3986), as SigV4
// requires; it is the same encoding IAM uses for policy documents.
func uriEncode(s string) string { return encodeDocument(s) }
