package door

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
)

// The accounts and names of the classic cross-account setup the tests start from: a secret in
// 111111111111 encrypted with a customer managed key that trusts 222222222222, a secret policy
// trusting 222222222222, and a consumer role (with a path) allowed both actions.
const (
	owner     = "111111111111"
	consumer  = "222222222222"
	secretARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/orders/postgres-ED1xY8"
	keyARN    = "arn:aws:kms:us-east-1:111111111111:key/fd0eaa2d-086e-411a-a247-f3b4694542c1"
	roleARN   = "arn:aws:iam::222222222222:role/service/orders-api-task"
	roleID    = "AROA25YW3VXFT4E4RVABE"
	session   = "arn:aws:sts::222222222222:assumed-role/orders-api-task/i-0a1b2c3d"
	versionID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
)

const rootStatement = `{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"}`

const consumerKeyStatement = `{"Sid": "AllowExternalAccountToDecrypt", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}`

const secretAllow = `{"Sid": "AllowExternalRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}`

const roleSecretStatement = `{"Sid": "ReadOrdersDbSecret", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": "` + secretARN + `"}`

const roleKeyStatement = `{"Sid": "DecryptOrdersKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "` + keyARN + `"}`

func doc(statements ...string) string {
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(statements, ", ") + `]}`
}

func yes() *bool { t := true; return &t }
func no() *bool  { f := false; return &f }

// working returns the facts of the classic setup with every door open.
func working() xsdoctor.Facts {
	return xsdoctor.Facts{
		Input:    xsdoctor.Input{SecretArg: secretARN, SecretARN: secretARN, ConsumerArg: session, Region: "us-east-1"},
		Owner:    xsdoctor.Account{ID: owner, OrgID: "o-7fq2k9xw3m"},
		Consumer: xsdoctor.Account{ID: consumer, OrgID: "o-7fq2k9xw3m"},
		Secret: xsdoctor.Secret{
			ARN: secretARN, Name: "prod/orders/postgres", Partition: "aws", Account: owner, Region: "us-east-1",
			KMSKeyID: keyARN, VersionID: versionID, Policy: doc(secretAllow),
		},
		Key: xsdoctor.Key{
			ARN: keyARN, ID: "fd0eaa2d-086e-411a-a247-f3b4694542c1", Account: owner, Region: "us-east-1",
			Manager: "CUSTOMER", State: "Enabled", Policy: doc(rootStatement, consumerKeyStatement),
		},
		Role: xsdoctor.Role{
			ARN: roleARN, Name: "orders-api-task", Path: "/service/", ID: roleID, Session: "i-0a1b2c3d",
			Policies: []xsdoctor.Policy{{Name: "read-orders-db-secret", Kind: "inline", Document: doc(roleSecretStatement, roleKeyStatement)}},
		},
		Simulations: []xsdoctor.Simulation{
			{Action: "secretsmanager:GetSecretValue", Resource: secretARN, Decision: "allowed", AllowedByOrganizations: yes()},
			{Action: "kms:Decrypt", Resource: keyARN, Decision: "allowed", AllowedByOrganizations: yes()},
		},
		Now: "2026-11-29T12:00:00Z",
	}
}

// awsManagedKeyPolicy is the policy AWS writes on aws/secretsmanager (Secrets Manager User
// Guide, "Secret encryption and decryption").
const awsManagedKeyPolicy = `{"Version": "2012-10-17", "Id": "auto-secretsmanager-2", "Statement": [
 {"Sid": "Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager", "Effect": "Allow", "Principal": {"AWS": "*"},
  "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant", "kms:DescribeKey"], "Resource": "*",
  "Condition": {"StringEquals": {"kms:CallerAccount": "111111111111", "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}},
 {"Sid": "Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager", "Effect": "Allow", "Principal": {"AWS": "*"},
  "Action": "kms:GenerateDataKey*", "Resource": "*",
  "Condition": {"StringEquals": {"kms:CallerAccount": "111111111111"}, "StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}},
 {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
  "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"], "Resource": "*"}]}`

func denied(call, action string) *xsdoctor.ReadError {
	return &xsdoctor.ReadError{Call: call, Code: "AccessDeniedException", Action: action}
}

// doorOf returns the door with id.
func doorOf(d xsdoctor.Diagnosis, id xsdoctor.DoorID) xsdoctor.Door {
	for _, x := range d.Doors {
		if x.Door == id {
			return x
		}
	}
	return xsdoctor.Door{}
}

// allFindings lists every finding in the report, door findings first.
func allFindings(d xsdoctor.Diagnosis) []xsdoctor.Finding {
	var out []xsdoctor.Finding
	for _, x := range d.Doors {
		out = append(out, x.Findings...)
	}
	return append(out, d.Findings...)
}

func findCode(d xsdoctor.Diagnosis, code xsdoctor.Code) (xsdoctor.Finding, bool) {
	for _, f := range allFindings(d) {
		if f.Code == code {
			return f, true
		}
	}
	return xsdoctor.Finding{}, false
}

func codes(d xsdoctor.Diagnosis) []string {
	var out []string
	for _, f := range allFindings(d) {
		out = append(out, string(f.Code))
	}
	return out
}

func dump(t *testing.T, d xsdoctor.Diagnosis) string {
	t.Helper()
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
