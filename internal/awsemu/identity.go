package awsemu

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/xsdoctor/xsdoctor/arn"
)

// Identity. The caller is read from the access key id in the SigV4 Credential= scope (or the
// X-Amz-Credential query parameter of a presigned request). Keys issued by AssumeRole act as the
// role they were issued for, in that role's account; every other key is the scenario's operator
// (SPEC §6, "Identity and reads"). Requests signed with issued keys must carry their session
// token and a valid signature; the operator's signatures cannot be checked, as the emulator
// never sees the operator's secret key.

// principal is who makes a request.
type principal struct {
	ARN     string // as STS shows it: the operator's ARN, or the assumed-role session ARN
	Account string
	UserID  string // GetCallerIdentity.UserId: AIDA… for a user, AROA…:<session> for a role session
	// For a role session (nil Role otherwise):
	Role    *Role
	Session string
}

// session is a set of credentials AssumeRole issued.
type session struct {
	role      *Role
	name      string
	tokenHash [32]byte // the session token is kept only as a hash
	expires   time.Time
}

// credential is the parsed SigV4 credential scope: AKID/date/region/service/aws4_request.
type credential struct {
	accessKey, region, service string
}

func parseCredential(r *http.Request) credential {
	var scope string
	if auth := r.Header.Get("Authorization"); auth != "" {
		if _, rest, ok := strings.Cut(auth, "Credential="); ok {
			scope, _, _ = strings.Cut(rest, ",")
		}
	} else {
		scope = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(strings.TrimSpace(scope), "/")
	var c credential
	if len(parts) == 5 {
		c = credential{accessKey: parts[0], region: parts[2], service: parts[3]}
	} else if len(parts) > 0 {
		c.accessKey = parts[0]
	}
	return c
}

// identify sets c.caller and c.region from the request's signature.
func (s *server) identify(c *call, r *http.Request, body []byte) *apiError {
	cred := parseCredential(r)
	c.region = cred.region
	if c.region == "" {
		c.region = s.sc.Region
	}
	if cred.accessKey == "" {
		// An unsigned request ("Signing AWS API requests": every request must be signed).
		if c.svc.query() {
			return &apiError{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
		}
		return &apiError{Status: http.StatusBadRequest, Code: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"}
	}
	c.signedWith = cred.accessKey

	s.mu.Lock()
	sess := s.sessions[cred.accessKey]
	s.mu.Unlock()
	if sess == nil {
		c.caller = s.operator()
		return nil
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		token = r.URL.Query().Get("X-Amz-Security-Token")
	}
	if h := sha256.Sum256([]byte(token)); subtle.ConstantTimeCompare(h[:], sess.tokenHash[:]) != 1 {
		// Temporary credentials are only valid with their session token ("Using temporary
		// credentials with AWS resources").
		return invalidToken(c.svc, "The security token included in the request is invalid.")
	}
	if !c.now.Before(sess.expires) {
		if c.svc.query() {
			return &apiError{Status: http.StatusBadRequest, Code: "ExpiredToken", Message: "The security token included in the request is expired"}
		}
		return &apiError{Status: http.StatusBadRequest, Code: "ExpiredTokenException", Message: "The security token included in the request is expired"}
	}
	if _, secret, _ := sessionKeys(sess.role, sess.name); !verifySigV4(r, body, secret) {
		msg := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
		if c.svc.query() {
			return &apiError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: msg}
		}
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidSignatureException", Message: msg}
	}
	c.caller = roleSession(sess.role, sess.name)
	return nil
}

func invalidToken(svc service, msg string) *apiError {
	if svc.query() {
		return &apiError{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: msg}
	}
	return &apiError{Status: http.StatusBadRequest, Code: "UnrecognizedClientException", Message: msg}
}

// roleSession is the principal a role's session acts as. The session ARN drops the role's
// path (IAM User Guide: "IAM identifiers", assumed-role ARNs).
func roleSession(role *Role, name string) *principal {
	return &principal{
		ARN:     "arn:aws:sts::" + role.Account + ":assumed-role/" + role.Name + "/" + name,
		Account: role.Account,
		UserID:  role.ID + ":" + name,
		Role:    role,
		Session: name,
	}
}

// operator is the principal behind every credential the emulator did not issue.
func (s *server) operator() *principal { return s.operatorOnce() }

// newOperator works out the operator principal (once per server: it hashes its unique id).
func (s *server) newOperator() *principal {
	arn := s.sc.Operator
	if arn == "" {
		arn = DefaultOperator
	}
	account := arnAccount(arn)
	p := &principal{ARN: arn, Account: account, UserID: uniqueID("AIDA", "user", arn)}
	// An operator given as a role acts as a session of it, as a workload on AWS would.
	if _, rest, ok := strings.Cut(arn, ":role/"); ok {
		name := rest[strings.LastIndex(rest, "/")+1:]
		if role, err := s.sc.Role(account, arn); err == nil {
			return roleSession(role, "xsdoctor-operator")
		}
		p.ARN = "arn:aws:sts::" + account + ":assumed-role/" + name + "/xsdoctor-operator"
		p.UserID = uniqueID("AROA", "role", account, name) + ":xsdoctor-operator"
	}
	return p
}

// issue returns the credentials AssumeRole hands out for role and session name. They are derived
// from the role and the session name, so the same request always gets the same keys: ASIA…
// access key ids, as STS issues for temporary credentials ("IAM identifiers": unique id
// prefixes).
func (s *server) issue(role *Role, name string, expires time.Time) (accessKey, secretKey, token string) {
	accessKey, secretKey, token = sessionKeys(role, name)
	s.mu.Lock()
	s.sessions[accessKey] = &session{role: role, name: name, tokenHash: sha256.Sum256([]byte(token)), expires: expires}
	s.mu.Unlock()
	return accessKey, secretKey, token
}

// sessionKeys derives a session's credentials from its role and name. The secret key is derived
// again when a request is verified, so it is never kept.
func sessionKeys(role *Role, name string) (accessKey, secretKey, token string) {
	seed := digest("assume-role", role.ARN, name)
	accessKey = "ASIA" + base32.StdEncoding.EncodeToString(seed)[:16]
	secretKey = base64.StdEncoding.EncodeToString(digest("secret-key", string(seed)))[:40]
	tok := append(digest("session-token-1", string(seed)), digest("session-token-2", string(seed))...)
	tok = append(tok, digest("session-token-3", string(seed))...)
	token = "IQoJb3JpZ2luX2VjE" + base64.StdEncoding.EncodeToString(tok)
	return accessKey, secretKey, token
}

// arnAccount returns the account field of an ARN ("" when there is none).
func arnAccount(s string) string {
	a, _ := arn.Split(s)
	return a.Account
}
