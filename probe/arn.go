package probe

import (
	"regexp"
	"strings"
)

// arn is a parsed ARN: arn:partition:service:region:account:resource.
type arn struct {
	Partition, Service, Region, Account, Resource string
}

func parseARN(s string) (arn, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return arn{}, false
	}
	return arn{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

func (a arn) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// Secrets Manager: "The secret name can contain ASCII letters, numbers, and the following
	// characters: /_+=.@-" (CreateSecret.Name).
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	// A full secret ARN ends with "-" and six random characters (Secrets Manager User Guide,
	// "Troubleshoot": "the ARN includes a hyphen and six random characters").
	secretSuffixRE = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)
	roleNameRE     = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
)

// secretInput is the secret argument: a full ARN, a partial ARN (no random suffix), or a name.
type secretInput struct {
	Arg     string
	ARN     arn  // zero for a name
	IsARN   bool // Arg is an ARN (full or partial)
	Partial bool // an ARN without the random suffix, or a name: must be resolved (INPUT_NOT_FULL_ARN)
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
	a, ok := parseARN(s)
	name, isSecret := strings.CutPrefix(a.Resource, "secret:")
	if !ok || a.Service != "secretsmanager" || !isSecret || name == "" || !accountRE.MatchString(a.Account) || a.Region == "" {
		return in, usagef("SECRET", "a secret ARN looks like arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf",
			"%q is not a Secrets Manager secret ARN", s)
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
	hint := "pass an IAM role ARN (arn:aws:iam::222222222222:role/NAME) or an assumed-role session ARN (arn:aws:sts::222222222222:assumed-role/NAME/SESSION)"
	if s == "" {
		return p, usagef("--consumer", hint, "missing consumer principal")
	}
	a, ok := parseARN(s)
	if !ok || !accountRE.MatchString(a.Account) {
		return p, usagef("--consumer", hint, "%q is not an ARN", s)
	}
	p.Account = a.Account
	switch {
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		r, err := parseRole(s, "--consumer")
		if err != nil {
			return p, err
		}
		p.RoleName, p.RolePath, p.RoleARN = r.Name, r.Path, s
		return p, nil
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		// arn:aws:sts::C:assumed-role/NAME/SESSION: the role path is not part of it (IAM User
		// Guide, "IAM identifiers": assumed-role ARNs carry the role name only).
		rest := strings.TrimPrefix(a.Resource, "assumed-role/")
		name, session, found := strings.Cut(rest, "/")
		if !found || !roleNameRE.MatchString(name) || session == "" {
			return p, usagef("--consumer", hint, "%q is not an assumed-role session ARN", s)
		}
		p.RoleName, p.Session = name, session
		p.RoleARN = "arn:" + a.Partition + ":iam::" + a.Account + ":role/" + name
		return p, nil
	}
	return p, usagef("--consumer", hint, "%q is neither a role ARN nor an assumed-role session ARN", s)
}

// roleARN is a parsed IAM role ARN.
type roleARN struct {
	ARN, Partition, Account, Path, Name string
}

func parseRole(s, flag string) (roleARN, error) {
	a, ok := parseARN(s)
	res, isRole := strings.CutPrefix(a.Resource, "role/")
	if !ok || a.Service != "iam" || !isRole || !accountRE.MatchString(a.Account) {
		return roleARN{}, usagef(flag, "a role ARN looks like arn:aws:iam::111111111111:role/xsdoctor-inspector", "%q is not an IAM role ARN", s)
	}
	path, name := "/", res
	if i := strings.LastIndex(res, "/"); i >= 0 {
		path, name = "/"+res[:i+1], res[i+1:]
	}
	if !roleNameRE.MatchString(name) {
		return roleARN{}, usagef(flag, "a role ARN looks like arn:aws:iam::111111111111:role/xsdoctor-inspector", "%q has no valid role name", s)
	}
	return roleARN{ARN: s, Partition: a.Partition, Account: a.Account, Path: path, Name: name}, nil
}

// keyRef is DescribeSecret.KmsKeyId normalized (aws-semantics §3.2): one of its four forms,
// or absent for the AWS managed key.
type keyRef struct {
	Raw       string
	Account   string // the account the identifier names (the secret's for ids and alias names)
	Region    string
	Partition string
	KeyID     string // set for a key id or key ARN
	Alias     string // "alias/NAME" for an alias name or alias ARN, and for the AWS managed key
	AliasARN  string // set for an alias ARN
	rawARN    string // set for a key ARN: kept exactly as DescribeSecret returned it
}

// AWSManagedSecretsAlias is the alias of the AWS managed key Secrets Manager uses when a secret
// names no key (Secrets Manager User Guide, "Secret encryption and decryption").
const AWSManagedSecretsAlias = "alias/aws/secretsmanager"

// predefined reports whether the alias is one of AWS's predefined aliases (KMS Developer Guide,
// "Create aliases": "The alias name for a customer managed key cannot begin with alias/aws/. The
// alias/aws/ prefix is reserved for AWS managed key").
func (k keyRef) predefined() bool { return strings.HasPrefix(k.Alias, "alias/aws/") }

// keyARN is the key ARN when the reference names the key directly.
func (k keyRef) keyARN() string {
	if k.rawARN != "" {
		return k.rawARN
	}
	if k.KeyID == "" {
		return ""
	}
	return "arn:" + k.Partition + ":kms:" + k.Region + ":" + k.Account + ":key/" + k.KeyID
}

// aliasID is the identifier to pass to DescribeKey for an alias: the alias ARN when the
// alias lives in another account ("To specify a KMS key in a different AWS account, you must use
// the key ARN or alias ARN", DescribeKey.KeyId), the alias name otherwise.
func (k keyRef) aliasID() string {
	if k.AliasARN != "" {
		return k.AliasARN
	}
	return k.Alias
}

// resolveKeyRef interprets kmsKeyID in the secret's account and region (aws-semantics §3.2:
// "key ID or alias/… ⇒ interpret in the secret's account and Region; ARN ⇒ its account may
// differ").
func resolveKeyRef(kmsKeyID string, secret arn) keyRef {
	k := keyRef{Raw: kmsKeyID, Account: secret.Account, Region: secret.Region, Partition: secret.Partition}
	switch {
	case kmsKeyID == "":
		k.Alias = AWSManagedSecretsAlias
	case strings.HasPrefix(kmsKeyID, "alias/"):
		k.Alias = kmsKeyID
	case strings.HasPrefix(kmsKeyID, "arn:"):
		a, ok := parseARN(kmsKeyID)
		if !ok {
			k.KeyID = kmsKeyID
			return k
		}
		k.Account, k.Region, k.Partition = a.Account, a.Region, a.Partition
		if name, ok := strings.CutPrefix(a.Resource, "alias/"); ok {
			k.Alias, k.AliasARN = "alias/"+name, kmsKeyID
		} else {
			// A key ARN, used as given: KMS judges a malformed one (NotFoundException).
			k.KeyID, k.rawARN = strings.TrimPrefix(a.Resource, "key/"), kmsKeyID
			if k.KeyID == "" {
				k.KeyID = kmsKeyID
			}
		}
	default:
		k.KeyID = kmsKeyID
	}
	return k
}
