// Package arn is xsdoctor's one Amazon Resource Name type: every layer that needs the partition,
// service, region, account or resource of an ARN, or the role behind an assumed-role session,
// asks this package, and only this package splits an ARN into its fields. It imports only the
// standard library, so the policy engine may use it too.
//
// The format is arn:partition:service:region:account-id:resource (IAM User Guide, "IAM
// identifiers"; AWS General Reference, "Amazon Resource Names (ARNs)"): the resource keeps any
// further colons or slashes.
package arn

import (
	"fmt"
	"slices"
	"strings"
)

// ARN is a parsed ARN. The zero value is no ARN.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// Partitions are the partitions xsdoctor knows (AWS General Reference, "Amazon Resource Names":
// aws, aws-cn for China, aws-us-gov for AWS GovCloud (US)). Others are refused, not guessed at.
var Partitions = []string{"aws", "aws-cn", "aws-us-gov"}

// KnownPartition reports whether p is one of Partitions.
func KnownPartition(p string) bool { return slices.Contains(Partitions, p) }

// Error says why a string is not an ARN xsdoctor can use.
type Error struct {
	Input  string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("%q is not a valid ARN: %s", e.Input, e.Reason) }

// Fields cuts s at its first five colons into the six fields of an ARN, judging nothing, not
// even the leading "arn": an ARN pattern in a policy may use wildcards in any field, and each field
// is matched separately (IAM User Guide, "Condition operators", ARN condition operators). The
// last field keeps any further colons. ok is false when s has fewer than six fields.
func Fields(s string) (f [6]string, ok bool) {
	for i := range 5 {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return f, false
		}
		f[i], s = s[:j], s[j+1:]
	}
	f[5] = s
	return f, true
}

// Split cuts s into an ARN without judging its fields: policy patterns ("arn:*:iam::*:role/*")
// are split this way too. ok is false when s does not start with "arn:" or has fewer than six
// fields.
func Split(s string) (ARN, bool) {
	f, ok := Fields(s)
	if !ok || f[0] != "arn" {
		return ARN{}, false
	}
	return ARN{Partition: f[1], Service: f[2], Region: f[3], Account: f[4], Resource: f[5]}, true
}

// Parse splits s and checks that it names a known partition and a service: what an ARN given
// by a user, or returned by AWS, must satisfy.
func Parse(s string) (ARN, error) {
	a, ok := Split(s)
	switch {
	case !ok:
		return ARN{}, &Error{Input: s, Reason: "an ARN has six colon-separated fields, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"}
	case !KnownPartition(a.Partition):
		return ARN{}, &Error{Input: s, Reason: fmt.Sprintf("unknown partition %q (known: %s)", a.Partition, strings.Join(Partitions, ", "))}
	case a.Service == "":
		return ARN{}, &Error{Input: s, Reason: "the service field is empty"}
	}
	return a, nil
}

// String is the ARN's text.
func (a ARN) String() string {
	if a == (ARN{}) {
		return ""
	}
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// IsZero reports whether a is no ARN.
func (a ARN) IsZero() bool { return a == (ARN{}) }

// IsRole reports whether a is an IAM role ARN (arn:P:iam::A:role/PATH/NAME).
func (a ARN) IsRole() bool { return a.Service == "iam" && strings.HasPrefix(a.Resource, "role/") }

// IsAssumedRole reports whether a is an assumed-role session ARN
// (arn:P:sts::A:assumed-role/NAME/SESSION).
func (a ARN) IsAssumedRole() bool {
	name, session := a.sessionParts()
	return name != "" && session != ""
}

// IsAccountRoot reports whether a is arn:P:iam::A:root.
func (a ARN) IsAccountRoot() bool { return a.Service == "iam" && a.Resource == "root" }

func (a ARN) sessionParts() (name, session string) {
	if a.Service != "sts" {
		return "", ""
	}
	rest, ok := strings.CutPrefix(a.Resource, "assumed-role/")
	if !ok {
		return "", ""
	}
	name, session, _ = strings.Cut(rest, "/")
	return name, session
}

// RoleName is the role's name: the last segment of a role ARN, or the role of a session ARN.
func (a ARN) RoleName() string {
	if name, _ := a.sessionParts(); name != "" {
		return name
	}
	if !a.IsRole() {
		return ""
	}
	return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
}

// RolePath is the path of a role ARN ("/" when it has none, "/a/b/" for role/a/b/NAME); "" for a
// session ARN, which does not carry the path (IAM User Guide, "IAM identifiers").
func (a ARN) RolePath() string {
	if !a.IsRole() {
		return ""
	}
	res := strings.TrimPrefix(a.Resource, "role/")
	i := strings.LastIndexByte(res, '/')
	if i < 0 {
		return "/"
	}
	return "/" + res[:i+1]
}

// Session is the session name of an assumed-role ARN; "" otherwise.
func (a ARN) Session() string {
	_, s := a.sessionParts()
	return s
}

// RoleFromSession is the role an assumed-role session belongs to, keeping what the session ARN
// tells: partition, account and name. The path is not in a session ARN, so the result has none;
// only iam:GetRole knows it. A role ARN is returned as it is; anything else gives ok false.
func (a ARN) RoleFromSession() (role ARN, ok bool) {
	switch {
	case a.IsRole():
		return a, true
	case a.IsAssumedRole():
		name, _ := a.sessionParts()
		return Role(a.Partition, a.Account, "/", name), true
	}
	return ARN{}, false
}

// Role builds a role ARN from its parts; path "" or "/" means no path.
func Role(partition, account, path, name string) ARN {
	p := strings.Trim(path, "/")
	if p != "" {
		p += "/"
	}
	return ARN{Partition: partition, Service: "iam", Account: account, Resource: "role/" + p + name}
}

// AccountRoot is arn:P:iam::ACCOUNT:root.
func AccountRoot(partition, account string) ARN {
	return ARN{Partition: partition, Service: "iam", Account: account, Resource: "root"}
}

// Key builds a KMS key ARN.
func Key(partition, region, account, keyID string) ARN {
	return ARN{Partition: partition, Service: "kms", Region: region, Account: account, Resource: "key/" + keyID}
}

// KeyID is the key id of a KMS key ARN ("" for anything else).
func (a ARN) KeyID() string {
	if a.Service != "kms" {
		return ""
	}
	id, _ := strings.CutPrefix(a.Resource, "key/")
	if id == a.Resource {
		return ""
	}
	return id
}

// Alias is "alias/NAME" of a KMS alias ARN ("" for anything else).
func (a ARN) Alias() string {
	if a.Service != "kms" || !strings.HasPrefix(a.Resource, "alias/") {
		return ""
	}
	return a.Resource
}

// SecretName is the NAME-XXXXXX part of a Secrets Manager secret ARN (secret:NAME…); "" otherwise.
func (a ARN) SecretName() string {
	if a.Service != "secretsmanager" {
		return ""
	}
	name, ok := strings.CutPrefix(a.Resource, "secret:")
	if !ok {
		return ""
	}
	return name
}

// InRegion is a with another region: a replica of a secret has the primary's ARN with its own
// region (Secrets Manager User Guide, "Replicate secrets across Regions").
func (a ARN) InRegion(region string) ARN {
	a.Region = region
	return a
}
