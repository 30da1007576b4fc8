package awsemu

import (
	"regexp"
	"strconv"
	"time"
)

// STS: GetCallerIdentity and AssumeRole (STS API reference).

type callerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// getCallerIdentity answers for any caller: it needs no permission (STS API reference:
// GetCallerIdentity).
func (s *server) getCallerIdentity(c *call, _ form) (any, *apiError) {
	return callerIdentityResult{UserID: c.caller.UserID, Account: c.caller.Account, Arn: c.caller.ARN}, nil
}

type assumeRoleResult struct {
	Credentials struct {
		AccessKeyID     string  `xml:"AccessKeyId"`
		SecretAccessKey string  `xml:"SecretAccessKey"`
		SessionToken    string  `xml:"SessionToken"`
		Expiration      isoTime `xml:"Expiration"`
	} `xml:"Credentials"`
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	} `xml:"AssumedRoleUser"`
	PackedPolicySize *int   `xml:"PackedPolicySize,omitempty"`
	SourceIdentity   string `xml:"SourceIdentity,omitempty"`
}

var (
	sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRe  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// Session durations (STS API reference: AssumeRole, DurationSeconds). Scenario roles keep IAM's
// default MaxSessionDuration of one hour; a session assumed with role credentials (role chaining)
// is also capped at one hour.
const (
	defaultSessionSeconds = 3600
	minSessionSeconds     = 900
	maxSessionSeconds     = 3600
)

func (s *server) assumeRole(c *call, f form) (any, *apiError) {
	roleARN, name := f.get("RoleArn"), f.get("RoleSessionName")
	if roleARN == "" {
		return nil, validationError(c.svc, "roleArn")
	}
	if name == "" {
		return nil, validationError(c.svc, "roleSessionName")
	}
	if !sessionNameRe.MatchString(name) {
		return nil, errorf("ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", name)
	}
	duration := defaultSessionSeconds
	if d := f.get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < minSessionSeconds || n > 43200 {
			return nil, errorf("ValidationError", "1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", d)
		}
		if n > maxSessionSeconds {
			if c.caller.Role != nil {
				return nil, errorf("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
			}
			return nil, errorf("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		duration = n
	}
	externalID := f.get("ExternalId")
	if externalID != "" && (len(externalID) < 2 || len(externalID) > 1224 || !externalIDRe.MatchString(externalID)) {
		return nil, errorf("ValidationError", "1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*", externalID)
	}

	// A role that does not exist, is not assumable or wants another external id is refused
	// with the same AccessDenied: STS does not tell a caller which it was (IAM User Guide:
	// "Troubleshoot IAM roles").
	denied := accessDenied(c.svc, c.caller, "sts:AssumeRole", roleARN, "")
	role := s.roleByARN(roleARN)
	if role == nil || !role.IsAssumable() {
		return nil, denied
	}
	if role.ExternalID != "" && externalID != role.ExternalID {
		return nil, denied
	}

	expires := c.now.Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second)
	ak, sk, tok := s.issue(role, name, expires)
	var out assumeRoleResult
	out.Credentials.AccessKeyID = ak
	out.Credentials.SecretAccessKey = sk
	out.Credentials.SessionToken = tok
	out.Credentials.Expiration = isoTime(expires)
	sess := roleSession(role, name)
	out.AssumedRoleUser.AssumedRoleID = sess.UserID
	out.AssumedRoleUser.Arn = sess.ARN
	if id := f.get("SourceIdentity"); id != "" {
		out.SourceIdentity = id
	}
	return out, nil
}

// roleByARN finds a role by its ARN. The ARN must carry the role's path: IAM matches the whole
// ARN, and a role ARN without its path names no role.
func (s *server) roleByARN(roleARN string) *Role {
	if a, ok := parseARN(roleARN); !ok || !a.IsRole() {
		return nil
	}
	r, err := s.sc.Role("", roleARN)
	if err != nil {
		return nil
	}
	return r
}
