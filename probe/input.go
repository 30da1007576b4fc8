package probe

import (
	"regexp"
	"strings"

	"github.com/xsdoctor/xsdoctor/arn"
)

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// Secrets Manager: "The secret name can contain ASCII letters, numbers, and the following
	// characters: /_+=.@-" (CreateSecret.Name).
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	// A full secret ARN ends with "-" and six random characters (Secrets Manager User Guide,
	// "Troubleshoot": "the ARN includes a hyphen and six random characters").
	secretSuffixRE = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)
	roleNameRE     = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	// AWS General Reference, "Regional endpoints": region names such as us-east-1, us-gov-west-1,
	// cn-north-1.
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// secretInput is the secret argument: a full ARN, a partial ARN (no random suffix), or a name.
type secretInput struct {
	Arg     string
	ARN     arn.ARN // zero for a name
	IsARN   bool    // Arg is an ARN (full or partial)
	Partial bool    // an ARN without the random suffix, or a name: must be resolved (INPUT_NOT_FULL_ARN)
}

func parseSecret(s string) (secretInput, error) {
	in := secretInput{Arg: s}
	if s == "" {
		return in, usagef("SECRET", "pass the secret's full ARN, e.g. arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf", "missing secret")
	}
	if !strings.HasPrefix(s, "arn:") {
		if !secretNameRE.MatchString(s) {
			return in, usagef("SECRET", "pass the secret's full ARN", "%q is neither a secret ARN nor a valid secret name", s)
		}
		in.Partial = true
		return in, nil
	}
	const hint = "a secret ARN looks like arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf"
	a, err := arn.Parse(s)
	if err != nil {
		return in, &UsageError{Arg: "SECRET", Msg: "malformed secret ARN", Err: err, Hint: hint}
	}
	name := a.SecretName()
	if name == "" || !accountRE.MatchString(a.Account) || !regionRE.MatchString(a.Region) {
		return in, usagef("SECRET", hint, "malformed secret ARN %q: not a Secrets Manager secret ARN", s)
	}
	in.ARN, in.IsARN = a, true
	in.Partial = !secretSuffixRE.MatchString(name)
	return in, nil
}

// principalInput is the consumer: a role ARN or an assumed-role session ARN.
type principalInput struct {
	Arg      string
	Account  string
	RoleName string
	RolePath string // "" when unknown (a session ARN drops the path; GetRole tells)
	RoleARN  string // the role ARN: as given, or derived without path from a session ARN
	Session  string
}

func parseConsumer(s string) (principalInput, error) {
	p := principalInput{Arg: s}
	const hint = "pass an IAM role ARN (arn:aws:iam::222222222222:role/NAME) or an assumed-role session ARN (arn:aws:sts::222222222222:assumed-role/NAME/SESSION)"
	if s == "" {
		return p, usagef("--consumer", hint, "missing consumer principal")
	}
	a, err := arn.Parse(s)
	if err != nil {
		return p, &UsageError{Arg: "--consumer", Msg: "malformed --consumer", Err: err, Hint: hint}
	}
	if !accountRE.MatchString(a.Account) {
		return p, usagef("--consumer", hint, "malformed --consumer %q: the account must be 12 digits", s)
	}
	role, ok := a.RoleFromSession()
	if !ok {
		return p, usagef("--consumer", hint, "malformed --consumer %q: neither a role ARN nor an assumed-role session ARN", s)
	}
	p.Account, p.RoleName, p.RoleARN, p.Session = a.Account, a.RoleName(), role.String(), a.Session()
	if !roleNameRE.MatchString(p.RoleName) {
		return p, usagef("--consumer", hint, "malformed --consumer %q: no valid role name", s)
	}
	if a.IsRole() {
		p.RolePath = a.RolePath()
	}
	return p, nil
}

// roleARN is a parsed IAM role ARN.
type roleARN struct {
	ARN, Partition, Account, Path, Name string
}

func parseRole(s, flag string) (roleARN, error) {
	const hint = "a role ARN looks like arn:aws:iam::111111111111:role/xsdoctor-inspector"
	a, err := arn.Parse(s)
	if err != nil {
		return roleARN{}, &UsageError{Arg: flag, Msg: "malformed " + flag, Err: err, Hint: hint}
	}
	if !a.IsRole() || !accountRE.MatchString(a.Account) || !roleNameRE.MatchString(a.RoleName()) {
		return roleARN{}, usagef(flag, hint, "malformed %s %q: not an IAM role ARN", flag, s)
	}
	return roleARN{ARN: s, Partition: a.Partition, Account: a.Account, Path: a.RolePath(), Name: a.RoleName()}, nil
}
