package awsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xsdoctor/xsdoctor/policy"
)

// DefaultKeyPolicy is the key policy KMS gives a key created without one: the account root gets
// kms:*, which lets IAM policies in that account grant access (KMS Developer Guide: "Default key
// policy").
func DefaultKeyPolicy(account string) string {
	return indentJSON(fmt.Sprintf(`{
  "Version": "2012-10-17",
  "Id": "key-default-1",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::%s:root"},
      "Action": "kms:*",
      "Resource": "*"
    }
  ]
}`, account))
}

// AWSManagedSecretsKeyPolicy is the policy Secrets Manager writes on its AWS managed key
// aws/secretsmanager, which nobody can change (Secrets Manager User Guide: "Secret encryption and
// decryption in AWS Secrets Manager"; SPEC §6). kms:CallerAccount is pinned to the key's own
// account, which is why no other account can ever decrypt with it.
func AWSManagedSecretsKeyPolicy(account, region string) string {
	return indentJSON(fmt.Sprintf(`{
  "Version": "2012-10-17",
  "Id": "auto-secretsmanager-2",
  "Statement": [
    {
      "Sid": "Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "kms:ViaService": "secretsmanager.%[2]s.amazonaws.com",
          "kms:CallerAccount": "%[1]s"
        }
      }
    },
    {
      "Sid": "Allow direct access to key metadata to the account",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::%[1]s:root"},
      "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
      "Resource": "*"
    }
  ]
}`, account, region))
}

// AWSManagedSecretsKeyDescription is the Description KMS shows for aws/secretsmanager.
const AWSManagedSecretsKeyDescription = "Default key that protects my Secrets Manager data when no other key is defined"

func indentJSON(s string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		panic("awsemu: built-in policy is not JSON: " + err.Error())
	}
	return buf.String()
}

// keyStates are the KeyState values KMS reports (KMS API reference: KeyMetadata).
var keyStates = map[string]bool{
	"Creating": true, StateEnabled: true, StateDisabled: true, StatePendingDeletion: true,
	"PendingImport": true, "PendingReplicaDeletion": true, "Unavailable": true, "Updating": true,
}

// grantOperations are the operations a grant may allow (KMS API reference: CreateGrant).
var grantOperations = map[string]bool{
	"Decrypt": true, "Encrypt": true, "GenerateDataKey": true, "GenerateDataKeyWithoutPlaintext": true,
	"ReEncryptFrom": true, "ReEncryptTo": true, "Sign": true, "Verify": true, "GetPublicKey": true,
	"CreateGrant": true, "RetireGrant": true, "DescribeKey": true, "GenerateDataKeyPair": true,
	"GenerateDataKeyPairWithoutPlaintext": true, "GenerateMac": true, "VerifyMac": true,
	"DeriveSharedSecret": true,
}

func (b *builder) key(a *Account, name string) {
	path := "accounts." + a.ID + ".keys." + name
	k := a.Keys[name]
	if k == nil {
		b.fail(path, "want an object, got null")
		return
	}
	if k.Region == "" {
		k.Region = b.s.Region
	} else if !regionRe.MatchString(k.Region) {
		b.fail(path+".region", "%q is not a region name", k.Region)
	}
	// A key is normally listed under its id; any other name is the scenario's own label and the
	// id is derived from it.
	k.ID = name
	if !keyIDRe.MatchString(name) {
		k.ID = KeyID(a.ID, k.Region, name)
	}
	k.Account = a.ID
	k.ARN = keyARN(k.Region, a.ID, k.ID)
	switch k.Manager {
	case "":
		k.Manager = ManagerCustomer
	case ManagerCustomer, ManagerAWS:
	default:
		b.fail(path+".manager", "%q is not CUSTOMER or AWS", k.Manager)
	}
	if k.State == "" {
		k.State = StateEnabled
	} else if !keyStates[k.State] {
		b.fail(path+".state", "%q is not a KMS key state (Enabled, Disabled, PendingDeletion, …)", k.State)
	}
	if k.DeletionDate != "" {
		if _, err := time.Parse(time.RFC3339, k.DeletionDate); err != nil {
			b.fail(path+".deletion_date", "want an RFC 3339 time such as 2026-11-01T00:00:00Z")
		}
	}
	if k.Policy == nil {
		if k.Manager == ManagerAWS {
			b.fail(path+".policy", "an AWS managed key's policy is written by the service; give it here")
		}
		k.Policy = &PolicyDoc{Text: []byte(DefaultKeyPolicy(a.ID))}
	}
	b.parse(path+".policy", k.Policy, policy.MaxKeyPolicyBytes)
	b.tags(path+".tags", k.Tags)
	for i, al := range k.Aliases {
		b.alias(fmt.Sprintf("%s.aliases[%d]", path, i), k, al)
	}
	for i, g := range k.Grants {
		gpath := fmt.Sprintf("%s.grants[%d]", path, i)
		if g == nil {
			b.fail(gpath, "want an object, got null")
			continue
		}
		if g.GranteePrincipal == "" {
			b.fail(gpath+".grantee_principal", "required")
		}
		if len(g.Operations) == 0 {
			b.fail(gpath+".operations", "required: at least one operation, e.g. Decrypt")
		}
		for j, op := range g.Operations {
			if !grantOperations[op] {
				b.fail(fmt.Sprintf("%s.operations[%d]", gpath, j), "%q is not a grant operation (Decrypt, Encrypt, …)", op)
			}
		}
		if c := g.Constraints; c != nil && c.EncryptionContextSubset != nil && c.EncryptionContextEquals != nil {
			b.fail(gpath+".constraints", "give encryption_context_subset or encryption_context_equals, not both")
		}
		g.ID = GrantID(k.ARN, i, g.Name, g.GranteePrincipal)
		g.KeyID, g.KeyARN = k.ID, k.ARN
		g.IssuingAccount = "arn:aws:iam::" + a.ID + ":root"
	}
	if prev, dup := b.s.keys[k.ARN]; dup && prev != k {
		b.fail(path, "key id %s is defined twice in %s", k.ID, k.Region)
	}
	b.s.keys[k.ARN] = k
}

func (b *builder) alias(path string, k *Key, name string) {
	if !aliasRe.MatchString(name) {
		b.fail(path, "%q is not an alias name such as alias/my-key", name)
		return
	}
	if strings.HasPrefix(name, "alias/aws/") && k.Manager != ManagerAWS {
		b.fail(path, "alias/aws/ is reserved for AWS managed keys")
	}
	al := &Alias{Name: name, Account: k.Account, Region: k.Region, Key: k,
		ARN: "arn:aws:kms:" + k.Region + ":" + k.Account + ":" + name}
	if prev, dup := b.s.aliases[al.ARN]; dup && prev.Key != k {
		b.fail(path, "%s already points to key %s", name, prev.Key.ID)
		return
	}
	b.s.aliases[al.ARN] = al
}

// awsManagedKey returns the AWS managed key aws/secretsmanager of account+region, creating it
// with the policy Secrets Manager writes if the scenario does not define it itself.
func (b *builder) awsManagedKey(account, region string) *Key {
	if al := b.s.aliases[aliasARN(region, account, AWSManagedSecretsAlias)]; al != nil {
		return al.Key
	}
	a := b.s.Accounts[account]
	id := KeyID(account, region, AWSManagedSecretsAlias)
	k := &Key{Region: region, Manager: ManagerAWS, State: StateEnabled,
		Description: AWSManagedSecretsKeyDescription, Aliases: []string{AWSManagedSecretsAlias},
		Policy: &PolicyDoc{Text: []byte(AWSManagedSecretsKeyPolicy(account, region))},
		ID:     id, Account: account, ARN: keyARN(region, account, id)}
	b.parse("accounts."+account+".keys."+id+".policy", k.Policy, policy.MaxKeyPolicyBytes)
	a.Keys[id] = k
	b.s.keys[k.ARN] = k
	b.s.aliases[aliasARN(region, account, AWSManagedSecretsAlias)] = &Alias{Name: AWSManagedSecretsAlias,
		ARN: aliasARN(region, account, AWSManagedSecretsAlias), Account: account, Region: region, Key: k}
	return k
}

func keyARN(region, account, id string) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/" + id
}

func aliasARN(region, account, name string) string {
	return "arn:aws:kms:" + region + ":" + account + ":" + name
}
