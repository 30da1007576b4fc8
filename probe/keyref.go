package probe

import (
	"strings"

	"github.com/xsdoctor/xsdoctor/arn"
)

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
	return arn.Key(k.Partition, k.Region, k.Account, k.KeyID).String()
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
func resolveKeyRef(kmsKeyID string, secret arn.ARN) keyRef {
	k := keyRef{Raw: kmsKeyID, Account: secret.Account, Region: secret.Region, Partition: secret.Partition}
	switch {
	case kmsKeyID == "":
		k.Alias = AWSManagedSecretsAlias
	case strings.HasPrefix(kmsKeyID, "alias/"):
		k.Alias = kmsKeyID
	case strings.HasPrefix(kmsKeyID, "arn:"):
		a, ok := arn.Split(kmsKeyID)
		if !ok {
			k.KeyID = kmsKeyID
			return k
		}
		k.Account, k.Region, k.Partition = a.Account, a.Region, a.Partition
		if alias := a.Alias(); alias != "" {
			k.Alias, k.AliasARN = alias, kmsKeyID
		} else {
			// A key ARN, used as given: KMS judges a malformed one (NotFoundException).
			k.KeyID, k.rawARN = a.KeyID(), kmsKeyID
			if k.KeyID == "" {
				k.KeyID = kmsKeyID
			}
		}
	default:
		k.KeyID = kmsKeyID
	}
	return k
}
