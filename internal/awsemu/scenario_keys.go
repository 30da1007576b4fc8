package awsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
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
