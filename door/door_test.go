package door

import (
	"reflect"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
)

// wantEvidence is one piece of evidence a finding must carry.
type wantEvidence struct {
	code      xsdoctor.Code
	sid       string
	index     int
	condition string // substring of Evidence.Condition
	expected  string // substring of Evidence.Expected
	actual    string // substring of Evidence.Actual
}

type doorCase struct {
	name     string
	mutate   func(f *xsdoctor.Facts)
	doors    [3]xsdoctor.State // key-policy, secret-policy, consumer-iam
	exit     int
	codes    []xsdoctor.Code // each must appear in the report
	absent   []xsdoctor.Code // none may appear
	evidence []wantEvidence
	fixHas   map[xsdoctor.Code][]string // substrings of the finding's Fix (statement, terraform, steps)
}

const (
	open   = xsdoctor.StateOpen
	closed = xsdoctor.StateClosed
	unk    = xsdoctor.StateUnknown
	cond   = xsdoctor.StateConditional
)

func doorCases() []doorCase {
	return []doorCase{
		{
			name: "AWSCURRENT under another key than the configured one is judged on the version's key",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.KMSKeyARN = "arn:aws:kms:us-east-1:111111111111:key/new-key"
				f.Secret.Versions = []xsdoctor.Version{{ID: versionID, Stages: []string{"AWSCURRENT"}, KMSKeyIDs: []string{keyARN}}}
				f.Key.Policy = doc(rootStatement)
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.VersionKeyMismatch, xsdoctor.KeyPolicyNoAllow},
		},
		{
			name: "a version key mismatch on an open door is information",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.KMSKeyARN = "arn:aws:kms:us-east-1:111111111111:key/new-key"
				f.Secret.Versions = []xsdoctor.Version{{ID: versionID, Stages: []string{"AWSCURRENT"}, KMSKeyIDs: []string{keyARN}}}
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 0,
			codes: []xsdoctor.Code{xsdoctor.VersionKeyMismatch},
		},
		{
			name: "a secret without an AWSCURRENT version cannot be read whatever the doors say",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.VersionID, f.Secret.NoCurrentVersion = "", true
				f.Secret.Versions = []xsdoctor.Version{}
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.SecretNoCurrentVersion},
		},
		{
			name: "an unread version id leaves a key policy conditioned on it unknown, not closed",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.VersionID = ""
				f.Secret.VersionsErr = denied("secretsmanager:ListSecretVersionIds", "secretsmanager:ListSecretVersionIds")
				f.Key.Policy = doc(rootStatement, `{"Sid": "PinnedVersion", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:EncryptionContext:SecretVersionId": "`+versionID+`"}}}`)
			},
			doors: [3]xsdoctor.State{unk, open, open}, exit: 3,
			codes:  []xsdoctor.Code{xsdoctor.KeyPolicyUnreadable},
			absent: []xsdoctor.Code{xsdoctor.KeyPolicyConditionMismatch, xsdoctor.DoorConditional},
		},
		{
			name: "a secret policy naming the role with its path is unknown when GetRole could not tell the path",
			mutate: func(f *xsdoctor.Facts) {
				f.Role = xsdoctor.Role{ARN: "arn:aws:iam::222222222222:role/orders-api-task", Name: "orders-api-task", Session: "i-0a1b2c3d",
					PathInferred: true, Err: denied("iam:GetRole", "iam:GetRole")}
				f.Secret.Policy = doc(`{"Sid": "OrdersApiOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"ArnEquals": {"aws:PrincipalArn": "` + roleARN + `"}}}`)
				f.Simulations = nil
			},
			doors: [3]xsdoctor.State{open, unk, unk}, exit: 3,
			codes:  []xsdoctor.Code{xsdoctor.SecretPolicyUnreadable},
			absent: []xsdoctor.Code{xsdoctor.SecretPolicyNoAllow},
		},
		{
			name: "a consumer role that does not exist closes consumer-iam",
			mutate: func(f *xsdoctor.Facts) {
				f.Role = xsdoctor.Role{ARN: roleARN, Name: "orders-api-task", Err: &xsdoctor.ReadError{Call: "iam:GetRole", Code: "NoSuchEntity"}}
				f.Simulations = nil
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.ConsumerNotFound},
			absent: []xsdoctor.Code{xsdoctor.IAMUnreadable},
		},
		{
			name: "a key in the consumer's own account is not in another account",
			mutate: func(f *xsdoctor.Facts) {
				k := "arn:aws:kms:us-east-1:222222222222:key/fd0eaa2d-086e-411a-a247-f3b4694542c1"
				f.Key.ARN, f.Key.Account = k, consumer
			},
			absent: []xsdoctor.Code{xsdoctor.KeyInOtherAccount},
			doors:  [3]xsdoctor.State{open, open, open}, exit: 0,
		},
		{
			name: "a stale unique id in a statement that would not admit the consumer anyway is not the reason",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.Policy = doc(
					`{"Sid": "OldBatchJob", "Effect": "Allow", "Principal": {"AWS": "AROAOLDROLEDELETED0001"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-batch"}}}`,
					`{"Sid": "OrdersFromOrg", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-other"}}}`)
			},
			doors: [3]xsdoctor.State{open, closed, open}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.SecretPolicyConditionMismatch},
			absent: []xsdoctor.Code{xsdoctor.SecretPolicyStalePrincipal},
		},
		{
			name: "a simulator that lacked context keys does not disagree",
			mutate: func(f *xsdoctor.Facts) {
				f.Simulations[1] = xsdoctor.Simulation{Action: "kms:Decrypt", Resource: keyARN, Decision: "implicitDeny", MissingContext: []string{"kms:EncryptionContext:SecretARN"}}
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 0,
			absent: []xsdoctor.Code{xsdoctor.SimulationDisagrees},
		},
		{
			name:   "all three doors open when both accounts trust each other and the role allows both actions",
			mutate: func(f *xsdoctor.Facts) {},
			doors:  [3]xsdoctor.State{open, open, open}, exit: 0,
			codes:  []xsdoctor.Code{xsdoctor.ResidualGuardrails},
			absent: []xsdoctor.Code{xsdoctor.SimulationDisagrees, xsdoctor.LiveDisagrees, xsdoctor.DoorConditional},
		},
		{
			name: "a secret created without a key uses the AWS managed key and the key door is welded shut",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.KMSKeyID = ""
				f.Key = xsdoctor.Key{ARN: "arn:aws:kms:us-east-1:111111111111:key/0c1a5e2d-aaaa-4bbb-8ccc-123456789012", Account: owner,
					Alias: "alias/aws/secretsmanager", Manager: "AWS", State: "Enabled", Policy: awsManagedKeyPolicy}
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.KeyAWSManaged},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.KeyAWSManaged: {
				"update-secret --secret-id " + secretARN, "put-secret-value", "aws_kms_key", "kms_key_id", roleARN, "secretsmanager.us-east-1.amazonaws.com",
			}},
		},
		{
			name: "the AWS managed key is recognised from DescribeSecret alone when the key could not be described",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.KMSKeyID = ""
				f.Key = xsdoctor.Key{Err: denied("kms:ListAliases", "kms:ListAliases")}
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.KeyAWSManaged},
		},
		{
			name: "the aws/secretsmanager alias outranks a DescribeKey that says CUSTOMER, as moto does",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.KMSKeyID = ""
				f.Key = xsdoctor.Key{ARN: "arn:aws:kms:us-east-1:111111111111:key/0c1a5e2d-aaaa-4bbb-8ccc-123456789012", Account: owner,
					Alias: "alias/aws/secretsmanager", Manager: "CUSTOMER", State: "Enabled", Policy: awsManagedKeyPolicy}
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.KeyAWSManaged},
		},
		{
			name: "a key policy that trusts only its own account leaves the key door closed",
			mutate: func(f *xsdoctor.Facts) {
				f.Key.Policy = doc(rootStatement, `{"Sid": "AllowKeyAdmins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/platform-kms-admin"}, "Action": ["kms:Describe*", "kms:Put*"], "Resource": "*"}`)
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes:    []xsdoctor.Code{xsdoctor.KeyPolicyNoAllow},
			evidence: []wantEvidence{{code: xsdoctor.KeyPolicyNoAllow, sid: "Enable IAM User Permissions", index: 1}},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.KeyPolicyNoAllow: {
				`"AWS": "` + roleARN + `"`, `"kms:CallerAccount": "222222222222"`, `"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"`,
				`"kms:EncryptionContext:SecretARN": "` + secretARN + `"`, `data "aws_iam_policy_document"`, `resource "aws_kms_key"`,
			}},
		},
		{
			name: "a kms:ViaService condition copied from another region is a condition mismatch",
			mutate: func(f *xsdoctor.Facts) {
				f.Key.Policy = doc(rootStatement, `{"Sid": "AllowConsumerDecryptViaSecretsManager", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}}`)
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.KeyPolicyConditionMismatch},
			evidence: []wantEvidence{{code: xsdoctor.KeyPolicyConditionMismatch, sid: "AllowConsumerDecryptViaSecretsManager", index: 2,
				condition: "kms:ViaService", expected: "secretsmanager.eu-west-1.amazonaws.com", actual: "secretsmanager.us-east-1.amazonaws.com"}},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.KeyPolicyConditionMismatch: {"secretsmanager.us-east-1.amazonaws.com"}},
		},
		{
			name: "a key policy that copies the AWS managed pattern pins kms:CallerAccount to the owner",
			mutate: func(f *xsdoctor.Facts) {
				f.Key.Policy = doc(rootStatement, `{"Sid": "ViaSecretsManager", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": "111111111111", "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}}`)
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.KeyPolicyConditionMismatch},
			evidence: []wantEvidence{{code: xsdoctor.KeyPolicyConditionMismatch, sid: "ViaSecretsManager", index: 2,
				condition: "kms:CallerAccount", expected: "111111111111", actual: "222222222222"}},
		},
		{
			name: "an encryption-context condition naming the secret without its suffix never matches",
			mutate: func(f *xsdoctor.Facts) {
				f.Key.Policy = doc(rootStatement, `{"Sid": "OnlyThisSecret", "Effect": "Allow", "Principal": {"AWS": "`+roleARN+`"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:EncryptionContext:SecretARN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/orders/postgres"}}}`)
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.KeyPolicyConditionMismatch},
			evidence: []wantEvidence{{code: xsdoctor.KeyPolicyConditionMismatch, sid: "OnlyThisSecret", index: 2,
				condition: "kms:EncryptionContext:SecretARN", expected: "secret:prod/orders/postgres", actual: secretARN}},
		},
		{
			name: "a key policy deny on principals outside the owner organization closes the key door",
			mutate: func(f *xsdoctor.Facts) {
				f.Consumer.OrgID = "o-4nd8r2tz6p"
				f.Key.Policy = doc(rootStatement, consumerKeyStatement, `{"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-7fq2k9xw3m"}}}`)
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes:    []xsdoctor.Code{xsdoctor.KeyPolicyExplicitDeny, xsdoctor.ResidualGuardrails},
			evidence: []wantEvidence{{code: xsdoctor.KeyPolicyExplicitDeny, sid: "DenyOutsideOrg", index: 3}},
			fixHas:   map[xsdoctor.Code][]string{xsdoctor.KeyPolicyExplicitDeny: {`"ArnNotLike"`, roleARN, "DenyOutsideOrg"}},
		},
		{
			name: "a grant to the consumer role constrained to this secret opens the key door",
			mutate: func(f *xsdoctor.Facts) {
				f.Key.Policy = doc(rootStatement)
				f.Key.Grants = []xsdoctor.Grant{{ID: "0c4f1e7a2b", GranteePrincipal: roleARN, Operations: []string{"Decrypt"},
					EncryptionContextSubset: map[string]string{"SecretARN": secretARN}}}
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 0,
			codes:    []xsdoctor.Code{xsdoctor.KeyGrantAllows},
			evidence: []wantEvidence{{code: xsdoctor.KeyGrantAllows}},
		},
		{
			name: "a grant constrained to another secret does not open the key door",
			mutate: func(f *xsdoctor.Facts) {
				f.Key.Policy = doc(rootStatement)
				f.Key.Grants = []xsdoctor.Grant{{ID: "0c4f1e7a2b", GranteePrincipal: roleARN, Operations: []string{"Decrypt"},
					EncryptionContextSubset: map[string]string{"SecretARN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/other-AAAAAA"}}}
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			absent: []xsdoctor.Code{xsdoctor.KeyGrantAllows},
		},
		{
			name: "an inspector denied kms:GetKeyPolicy leaves the key door unknown",
			mutate: func(f *xsdoctor.Facts) {
				f.Key.Policy = ""
				f.Key.PolicyErr = denied("kms:GetKeyPolicy", "kms:GetKeyPolicy")
			},
			doors: [3]xsdoctor.State{unk, open, open}, exit: 3,
			codes: []xsdoctor.Code{xsdoctor.KeyPolicyUnreadable},
		},
		{
			name: "unreadable grants leave the key door unknown when no key-policy statement allows",
			mutate: func(f *xsdoctor.Facts) {
				f.Key.Policy = doc(rootStatement)
				f.Key.GrantsErr = denied("kms:ListGrants", "kms:ListGrants")
			},
			doors: [3]xsdoctor.State{unk, open, open}, exit: 3,
			codes: []xsdoctor.Code{xsdoctor.KeyPolicyUnreadable},
		},
		{
			name:   "a disabled key closes the key door whatever the policies say",
			mutate: func(f *xsdoctor.Facts) { f.Key.State = "Disabled" },
			doors:  [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes:    []xsdoctor.Code{xsdoctor.KeyNotEnabled},
			evidence: []wantEvidence{{code: xsdoctor.KeyNotEnabled, expected: "Enabled", actual: "Disabled"}},
			fixHas:   map[xsdoctor.Code][]string{xsdoctor.KeyNotEnabled: {"enable-key --key-id " + keyARN, "is_enabled = true"}},
		},
		{
			name:   "a key pending deletion closes the key door and the fix cancels the deletion",
			mutate: func(f *xsdoctor.Facts) { f.Key.State = "PendingDeletion" },
			doors:  [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.KeyNotEnabled},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.KeyNotEnabled: {"cancel-key-deletion --key-id " + keyARN}},
		},
		{
			name:   "a secret without a resource policy shuts out every other account",
			mutate: func(f *xsdoctor.Facts) { f.Secret.Policy = "" },
			doors:  [3]xsdoctor.State{open, closed, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.SecretPolicyMissing},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.SecretPolicyMissing: {
				`resource "aws_secretsmanager_secret_policy"`, `secret_arn = "` + secretARN + `"`, `"AWS": "` + roleARN + `"`, "put-resource-policy",
			}},
		},
		{
			name: "a secret policy copied from staging trusts another account",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.Policy = doc(`{"Sid": "AllowStagingAnalytics", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444444444444:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}`)
			},
			doors: [3]xsdoctor.State{open, closed, open}, exit: 1,
			codes:    []xsdoctor.Code{xsdoctor.SecretPolicyNoAllow},
			evidence: []wantEvidence{{code: xsdoctor.SecretPolicyNoAllow, sid: "AllowStagingAnalytics", index: 1}},
			fixHas:   map[xsdoctor.Code][]string{xsdoctor.SecretPolicyNoAllow: {`"secretsmanager:GetSecretValue"`, roleARN}},
		},
		{
			name: "a data-perimeter deny in the secret policy shuts out a consumer from another organization",
			mutate: func(f *xsdoctor.Facts) {
				f.Consumer.OrgID = "o-4nd8r2tz6p"
				f.Secret.Policy = doc(secretAllow, `{"Sid": "DenyOutsideOrganization", "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-7fq2k9xw3m"}}}`)
			},
			doors: [3]xsdoctor.State{open, closed, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.SecretPolicyExplicitDeny},
			evidence: []wantEvidence{{code: xsdoctor.SecretPolicyExplicitDeny, sid: "DenyOutsideOrganization", index: 2,
				condition: "aws:PrincipalOrgID", expected: "o-7fq2k9xw3m", actual: "o-4nd8r2tz6p"}},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.SecretPolicyExplicitDeny: {`"ArnNotLike"`, `"aws:PrincipalArn"`, roleARN}},
		},
		{
			// SPEC §3: a failed DescribeOrganization makes the doors that depend on an org key
			// unknown, naming the call — not conditional, which is for context nobody can know.
			name: "a deny on aws:PrincipalOrgID is unknown when the consumer's organization could not be read",
			mutate: func(f *xsdoctor.Facts) {
				f.Consumer.OrgID = ""
				f.Consumer.OrgErr = denied("organizations:DescribeOrganization", "organizations:DescribeOrganization")
				f.Secret.Policy = doc(secretAllow, `{"Sid": "DenyOutsideOrganization", "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-7fq2k9xw3m"}}}`)
			},
			doors: [3]xsdoctor.State{open, unk, open}, exit: 3,
			codes:    []xsdoctor.Code{xsdoctor.SecretPolicyUnreadable},
			absent:   []xsdoctor.Code{xsdoctor.DoorConditional},
			evidence: []wantEvidence{{code: xsdoctor.SecretPolicyUnreadable, sid: "DenyOutsideOrganization", index: 2, condition: "aws:PrincipalOrgID", expected: "o-7fq2k9xw3m"}},
		},
		{
			name: "a secret policy still naming a deleted role by its unique id is stale",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.Policy = doc(`{"Sid": "AllowOrdersApi", "Effect": "Allow", "Principal": {"AWS": "AROAOLDROLEDELETED0001"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}`)
			},
			doors: [3]xsdoctor.State{open, closed, open}, exit: 1,
			codes:    []xsdoctor.Code{xsdoctor.SecretPolicyStalePrincipal},
			evidence: []wantEvidence{{code: xsdoctor.SecretPolicyStalePrincipal, sid: "AllowOrdersApi", index: 1, actual: "AROAOLDROLEDELETED0001"}},
			fixHas:   map[xsdoctor.Code][]string{xsdoctor.SecretPolicyStalePrincipal: {roleARN}},
		},
		{
			name: "a secret policy allow conditioned on the wrong organization is a condition mismatch",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.Policy = doc(`{"Sid": "AllowPartnerOrg", "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-0000000000"}}}`)
			},
			doors: [3]xsdoctor.State{open, closed, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.SecretPolicyConditionMismatch},
			evidence: []wantEvidence{{code: xsdoctor.SecretPolicyConditionMismatch, sid: "AllowPartnerOrg", index: 1,
				condition: "aws:PrincipalOrgID", expected: "o-0000000000", actual: "o-7fq2k9xw3m"}},
		},
		{
			name: "a secret policy allow that needs a VPC endpoint is conditional",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.Policy = doc(`{"Sid": "AllowFromVpce", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0abc1234"}}}`)
			},
			doors: [3]xsdoctor.State{open, cond, open}, exit: 3,
			codes:    []xsdoctor.Code{xsdoctor.DoorConditional},
			evidence: []wantEvidence{{code: xsdoctor.DoorConditional, sid: "AllowFromVpce", index: 1, condition: "aws:SourceVpce", expected: "vpce-0abc1234"}},
		},
		{
			name: "an inspector denied GetResourcePolicy leaves the secret door unknown",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.Policy = ""
				f.Secret.PolicyErr = denied("secretsmanager:GetResourcePolicy", "secretsmanager:GetResourcePolicy")
			},
			doors: [3]xsdoctor.State{open, unk, open}, exit: 3,
			codes: []xsdoctor.Code{xsdoctor.SecretPolicyUnreadable},
		},
		{
			name: "a consumer in the secret's own account needs no secret policy",
			mutate: func(f *xsdoctor.Facts) {
				f.Consumer.ID = owner
				f.Input.ConsumerArg = "arn:aws:sts::111111111111:assumed-role/orders-api-task/i-0a1b2c3d"
				f.Role.ARN = "arn:aws:iam::111111111111:role/service/orders-api-task"
				f.Secret.Policy = ""
				f.Key.Policy = doc(rootStatement)
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 0,
			absent: []xsdoctor.Code{xsdoctor.SecretPolicyMissing},
		},
		{
			name: "a consumer role without GetSecretValue keeps the consumer door closed",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Policies[0].Document = doc(`{"Sid": "DescribeOnly", "Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": "`+secretARN+`"}`, roleKeyStatement)
				f.Simulations[0].Decision = "implicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.IAMNoSecretAllow},
			absent: []xsdoctor.Code{xsdoctor.SimulationDisagrees},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.IAMNoSecretAllow: {`"Resource": "` + secretARN + `"`, `resource "aws_iam_role_policy"`, `role   = "orders-api-task"`}},
		},
		{
			name: "a consumer role relying on SecretsManagerReadWrite has no kms:Decrypt",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Policies = []xsdoctor.Policy{{Name: "SecretsManagerReadWrite", ARN: "arn:aws:iam::aws:policy/SecretsManagerReadWrite", Kind: "aws-managed", Version: "v5",
					Document: doc(`{"Sid": "BasePermissions", "Effect": "Allow", "Action": ["secretsmanager:*", "kms:DescribeKey", "kms:ListAliases", "kms:ListKeys"], "Resource": "*"}`)}}
				f.Simulations[1].Decision = "implicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.IAMNoKMSAllow},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.IAMNoKMSAllow: {`"Resource": "` + keyARN + `"`, `"kms:Decrypt"`}},
		},
		{
			name: "a consumer kms statement naming the alias ARN never matches the key",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Policies[0].Document = doc(roleSecretStatement, `{"Sid": "DecryptViaAlias", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111111111111:alias/orders-secrets"}`)
				f.Simulations[1].Decision = "implicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.IAMKMSAliasResource},
			evidence: []wantEvidence{{code: xsdoctor.IAMKMSAliasResource, sid: "DecryptViaAlias", index: 2,
				expected: keyARN, actual: "alias/orders-secrets"}},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.IAMKMSAliasResource: {keyARN}},
		},
		{
			name: "a consumer secret statement without the random suffix never matches the ARN",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Policies[0].Document = doc(`{"Sid": "ReadOrdersDb", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/orders/postgres"}`, roleKeyStatement)
				f.Simulations[0].Decision = "implicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.IAMSecretResourceMismatch},
			evidence: []wantEvidence{{code: xsdoctor.IAMSecretResourceMismatch, sid: "ReadOrdersDb", index: 1,
				expected: secretARN, actual: "secret:prod/orders/postgres"}},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.IAMSecretResourceMismatch: {secretARN}},
		},
		{
			name: "a consumer secret statement in the wrong region is a resource mismatch",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Policies[0].Document = doc(`{"Sid": "ReadOrdersDb", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/orders/postgres-??????"}`, roleKeyStatement)
				f.Simulations[0].Decision = "implicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:    []xsdoctor.Code{xsdoctor.IAMSecretResourceMismatch},
			evidence: []wantEvidence{{code: xsdoctor.IAMSecretResourceMismatch, sid: "ReadOrdersDb", index: 1, actual: "eu-west-1"}},
		},
		{
			name: "an explicit deny in the consumer's own policy closes the consumer door",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Policies = append(f.Role.Policies, xsdoctor.Policy{Name: "deny-prod-secrets", Kind: "inline",
					Document: doc(`{"Sid": "NoProdSecrets", "Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:*:*:secret:prod/*"}`)})
				f.Simulations[0].Decision = "explicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:    []xsdoctor.Code{xsdoctor.IAMExplicitDeny},
			evidence: []wantEvidence{{code: xsdoctor.IAMExplicitDeny, sid: "NoProdSecrets", index: 1}},
			fixHas:   map[xsdoctor.Code][]string{xsdoctor.IAMExplicitDeny: {`"secretsmanager:SecretId"`, secretARN}},
		},
		{
			name: "a permissions boundary that omits kms:Decrypt closes the consumer door",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Boundary = &xsdoctor.Policy{Name: "landing-zone-boundary", ARN: "arn:aws:iam::222222222222:policy/landing-zone-boundary", Kind: "boundary",
					Document: doc(`{"Sid": "BoundaryServices", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "s3:*", "logs:*"], "Resource": "*"}`)}
				f.Simulations[1].Decision = "implicitDeny"
				f.Simulations[1].AllowedByBoundary = no()
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.IAMBoundaryDeny},
			absent: []xsdoctor.Code{xsdoctor.IAMNoKMSAllow},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.IAMBoundaryDeny: {"arn:aws:iam::222222222222:policy/landing-zone-boundary", keyARN}},
		},
		{
			name: "a permissions boundary only the simulator saw still closes the consumer door",
			mutate: func(f *xsdoctor.Facts) {
				f.Simulations[1].Decision = "implicitDeny"
				f.Simulations[1].AllowedByBoundary = no()
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.IAMBoundaryDeny},
			absent: []xsdoctor.Code{xsdoctor.SimulationDisagrees},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.IAMBoundaryDeny: {"get-role --role-name orders-api-task", keyARN}},
		},
		{
			name: "a permissions boundary with an explicit deny closes the consumer door",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Boundary = &xsdoctor.Policy{Name: "boundary", ARN: "arn:aws:iam::222222222222:policy/boundary", Kind: "boundary",
					Document: doc(`{"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}`, `{"Sid": "NoForeignSecrets", "Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "NotResource": "arn:aws:secretsmanager:*:222222222222:secret:*"}`)}
				f.Simulations[0].Decision = "explicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:    []xsdoctor.Code{xsdoctor.IAMBoundaryDeny},
			evidence: []wantEvidence{{code: xsdoctor.IAMBoundaryDeny, sid: "NoForeignSecrets", index: 2}},
		},
		{
			name: "an SCP reported by the simulator closes the consumer door",
			mutate: func(f *xsdoctor.Facts) {
				f.Owner.OrgID = "o-7fq2k9xw3m"
				f.Consumer.OrgID = "o-4nd8r2tz6p"
				f.Simulations[0].Decision = "implicitDeny"
				f.Simulations[0].AllowedByOrganizations = no()
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.IAMSCPDeny},
			absent: []xsdoctor.Code{xsdoctor.SimulationDisagrees},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.IAMSCPDeny: {"o-4nd8r2tz6p", "list-policies-for-target"}},
		},
		{
			name: "a role whose policies could not be listed leaves the consumer door unknown",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Policies = nil
				f.Role.PolicyErrs = []xsdoctor.ReadError{*denied("iam:ListRolePolicies", "iam:ListRolePolicies")}
			},
			doors: [3]xsdoctor.State{open, open, unk}, exit: 3,
			codes: []xsdoctor.Code{xsdoctor.IAMUnreadable},
		},
		{
			name: "a simulator that disagrees with local evaluation is reported and local evaluation stands",
			mutate: func(f *xsdoctor.Facts) {
				f.Simulations[1].Decision = "implicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 0,
			codes: []xsdoctor.Code{xsdoctor.SimulationDisagrees},
		},
		{
			name: "a simulator answering implicitDeny for the missing resource side while its identity statements match agrees",
			mutate: func(f *xsdoctor.Facts) {
				f.Simulations[0].Decision = "implicitDeny"
				f.Simulations[0].Matched = []xsdoctor.SimulationStatement{{SourcePolicyID: "read-orders-db-secret", SourcePolicyType: "role"}}
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 0,
			absent: []xsdoctor.Code{xsdoctor.SimulationDisagrees},
		},
		{
			name: "a simulator that cannot be called leaves local evaluation in charge",
			mutate: func(f *xsdoctor.Facts) {
				f.Simulations = nil
				f.SimulationErr = denied("iam:SimulatePrincipalPolicy", "iam:SimulatePrincipalPolicy")
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 0,
			codes: []xsdoctor.Code{xsdoctor.SimulationUnavailable},
		},
		{
			name: "a consumer statement that needs a VPC endpoint makes the consumer door conditional",
			mutate: func(f *xsdoctor.Facts) {
				f.Role.Policies[0].Document = doc(`{"Sid": "ReadFromVpc", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "`+secretARN+`", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0abc1234"}}}`, roleKeyStatement)
				f.Simulations = nil
			},
			doors: [3]xsdoctor.State{open, open, cond}, exit: 3,
			codes:    []xsdoctor.Code{xsdoctor.DoorConditional},
			evidence: []wantEvidence{{code: xsdoctor.DoorConditional, sid: "ReadFromVpc", index: 1, condition: "aws:SourceVpce", expected: "vpce-0abc1234"}},
		},
		{
			name:   "a secret scheduled for deletion blocks the read even with every door open",
			mutate: func(f *xsdoctor.Facts) { f.Secret.DeletedDate = "2026-11-20T08:00:00Z" },
			doors:  [3]xsdoctor.State{open, open, open}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.SecretPendingDeletion},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.SecretPendingDeletion: {"restore-secret --secret-id " + secretARN}},
		},
		{
			name: "a secret that does not exist is reported and blocks the read",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret = xsdoctor.Secret{ARN: secretARN, Account: owner, Region: "us-east-1", NotFound: true}
				f.Key = xsdoctor.Key{}
			},
			doors: [3]xsdoctor.State{unk, unk, unk}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.SecretNotFound},
		},
		{
			name: "a secret name resolved to its full ARN is a warning for cross-account callers",
			mutate: func(f *xsdoctor.Facts) {
				f.Input.SecretArg = "prod/orders/postgres"
				f.Input.Resolved = true
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 0,
			codes:    []xsdoctor.Code{xsdoctor.InputNotFullARN},
			evidence: []wantEvidence{{code: xsdoctor.InputNotFullARN, expected: secretARN, actual: "prod/orders/postgres"}},
		},
		{
			name: "a key in a third account is named and judged there",
			mutate: func(f *xsdoctor.Facts) {
				k := "arn:aws:kms:us-east-1:333333333333:key/6f1b2c3d-1111-2222-3333-444455556666"
				f.Secret.KMSKeyID = k
				f.Key.ARN, f.Key.Account = k, "333333333333"
				f.KeyOwner = &xsdoctor.Account{ID: "333333333333", OrgID: "o-7fq2k9xw3m"}
				f.Key.Policy = doc(strings.ReplaceAll(rootStatement, owner, "333333333333"))
				f.Role.Policies[0].Document = doc(roleSecretStatement, `{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "`+k+`"}`)
				f.Simulations[1].Resource = k
			},
			doors: [3]xsdoctor.State{closed, open, open}, exit: 1,
			codes:  []xsdoctor.Code{xsdoctor.KeyInOtherAccount, xsdoctor.KeyPolicyNoAllow},
			fixHas: map[xsdoctor.Code][]string{xsdoctor.KeyPolicyNoAllow: {"Account 333333333333"}},
		},
		{
			name: "an owner inspector that cannot be assumed leaves the owner-side doors unknown",
			mutate: func(f *xsdoctor.Facts) {
				f.AssumeFailures = []xsdoctor.AssumeFailure{{Role: "arn:aws:iam::111111111111:role/xsdoctor-inspector", Account: owner, Purpose: "owner", Code: "AccessDenied"}}
				f.Secret = xsdoctor.Secret{ARN: secretARN, Account: owner, Region: "us-east-1",
					Err: &xsdoctor.ReadError{Call: "secretsmanager:DescribeSecret", Code: "AccessDenied"}, PolicyErr: &xsdoctor.ReadError{Call: "secretsmanager:GetResourcePolicy", Code: "AccessDenied"}}
				f.Key = xsdoctor.Key{}
			},
			doors: [3]xsdoctor.State{unk, unk, unk}, exit: 3,
			codes: []xsdoctor.Code{xsdoctor.AssumeRoleFailed, xsdoctor.KeyPolicyUnreadable, xsdoctor.SecretPolicyUnreadable},
		},
		{
			name: "facts an owner assume failure left empty are not mistaken for the AWS managed key",
			mutate: func(f *xsdoctor.Facts) {
				f.AssumeFailures = []xsdoctor.AssumeFailure{{Role: "arn:aws:iam::111111111111:role/xsdoctor-inspector", Account: owner, Purpose: "owner", Code: "AccessDenied"}}
				f.Secret = xsdoctor.Secret{ARN: secretARN, Account: owner, Region: "us-east-1"}
				f.Key = xsdoctor.Key{}
			},
			doors: [3]xsdoctor.State{unk, unk, unk}, exit: 3,
			codes:  []xsdoctor.Code{xsdoctor.AssumeRoleFailed},
			absent: []xsdoctor.Code{xsdoctor.KeyAWSManaged, xsdoctor.SecretPolicyMissing},
		},
		{
			name: "a missing GetSecretValue allow is proven even when the key could not be identified",
			mutate: func(f *xsdoctor.Facts) {
				f.Key = xsdoctor.Key{Err: denied("kms:DescribeKey", "kms:DescribeKey")}
				f.Secret.KMSKeyID = "alias/orders-secrets"
				f.Role.Policies[0].Document = doc(roleKeyStatement)
				f.Simulations = nil
			},
			doors: [3]xsdoctor.State{unk, open, closed}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.IAMNoSecretAllow, xsdoctor.KeyPolicyUnreadable},
		},
		{
			name: "a consumer inspector that cannot be assumed leaves the consumer door unknown",
			mutate: func(f *xsdoctor.Facts) {
				f.AssumeFailures = []xsdoctor.AssumeFailure{{Role: "arn:aws:iam::222222222222:role/xsdoctor-inspector", Account: consumer, Purpose: "consumer", Code: "AccessDenied"}}
				f.Role = xsdoctor.Role{ARN: "arn:aws:iam::222222222222:role/orders-api-task", Name: "orders-api-task"}
				f.Simulations = nil
			},
			doors: [3]xsdoctor.State{open, open, unk}, exit: 3,
			codes: []xsdoctor.Code{xsdoctor.AssumeRoleFailed, xsdoctor.IAMUnreadable},
		},
		{
			name: "a live denial with every door open is reported and changes nothing",
			mutate: func(f *xsdoctor.Facts) {
				f.Live = &xsdoctor.Live{Result: xsdoctor.LiveDenied, ErrorCode: "AccessDeniedException"}
			},
			doors: [3]xsdoctor.State{open, open, open}, exit: 0,
			codes: []xsdoctor.Code{xsdoctor.LiveDisagrees, xsdoctor.ResidualGuardrails},
		},
		{
			name:   "a live denial that agrees with a closed door is not a disagreement",
			mutate: func(f *xsdoctor.Facts) { f.Secret.Policy = ""; f.Live = &xsdoctor.Live{Result: xsdoctor.LiveDenied} },
			doors:  [3]xsdoctor.State{open, closed, open}, exit: 1,
			absent: []xsdoctor.Code{xsdoctor.LiveDisagrees},
		},
	}
}

// sameAccount moves the consumer role into the owner account.
func sameAccount(f *xsdoctor.Facts) {
	f.Consumer.ID = owner
	f.Input.ConsumerArg = "arn:aws:sts::111111111111:assumed-role/orders-api-task/i-0a1b2c3d"
	f.Role.ARN = "arn:aws:iam::111111111111:role/service/orders-api-task"
	f.Simulations = nil
}

func TestCheck(t *testing.T) {
	for _, tc := range doorCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := working()
			tc.mutate(&f)
			d := Check(f)
			var got [3]xsdoctor.State
			for i, id := range xsdoctor.Doors {
				got[i] = doorOf(d, id).State
			}
			if got != tc.doors {
				t.Errorf("doors = %v, want %v\n%s", got, tc.doors, dump(t, d))
			}
			if want := verdictFor[tc.exit]; d.Verdict != want {
				t.Errorf("verdict = %s, want %s (exit code %d)", d.Verdict, want, tc.exit)
			}
			for _, c := range tc.codes {
				if _, ok := findCode(d, c); !ok {
					t.Errorf("finding %s missing; have %v", c, codes(d))
				}
			}
			for _, c := range tc.absent {
				if _, ok := findCode(d, c); ok {
					t.Errorf("finding %s present, want absent; have %v", c, codes(d))
				}
			}
			for _, w := range tc.evidence {
				f, ok := findCode(d, w.code)
				if !ok {
					continue // reported above
				}
				if !hasEvidence(f.Evidence, w) {
					t.Errorf("%s: no evidence like %+v in %+v", w.code, w, f.Evidence)
				}
			}
			for c, subs := range tc.fixHas {
				f, ok := findCode(d, c)
				if !ok {
					continue
				}
				if f.Fix == nil {
					t.Errorf("%s has no fix", c)
					continue
				}
				text := f.Fix.Account + "\n" + f.Fix.Where + "\n" + f.Fix.Statement + "\n" + f.Fix.Terraform + "\n" + strings.Join(f.Fix.Steps, "\n")
				for _, s := range subs {
					if !strings.Contains(text, s) {
						t.Errorf("%s fix lacks %q:\n%s", c, s, text)
					}
				}
			}
			checkShape(t, d)
		})
	}
}

func hasEvidence(ev []xsdoctor.Evidence, w wantEvidence) bool {
	for _, e := range ev {
		if w.sid != "" && e.Sid != w.sid || w.index != 0 && e.Index != w.index {
			continue
		}
		if !strings.Contains(e.Condition, w.condition) || !strings.Contains(e.Expected, w.expected) || !strings.Contains(e.Actual, w.actual) {
			continue
		}
		return true
	}
	return false
}

// checkShape asserts what every report must hold (SPEC §3): the three doors in order, a summary
// on every finding, a fix on every closing finding of a closed door, and evidence on every
// finding of a door.
func checkShape(t *testing.T, d xsdoctor.Diagnosis) {
	t.Helper()
	if d.SchemaVersion != xsdoctor.SchemaVersion {
		t.Errorf("schema_version = %q", d.SchemaVersion)
	}
	if len(d.Doors) != 3 {
		t.Fatalf("%d doors", len(d.Doors))
	}
	for i, id := range xsdoctor.Doors {
		door := d.Doors[i]
		if door.Door != id {
			t.Errorf("door %d is %s, want %s", i, door.Door, id)
		}
		if door.State != open && len(door.Findings) == 0 {
			t.Errorf("door %s is %s without a finding", id, door.State)
		}
		if door.State == closed && door.Findings[0].Fix == nil {
			t.Errorf("closed door %s: first finding %s has no fix", id, door.Findings[0].Code)
		}
		for _, f := range door.Findings {
			if f.Summary == "" || strings.Contains(f.Summary, "\n") {
				t.Errorf("%s: summary must be one line: %q", f.Code, f.Summary)
			}
			if len(f.Evidence) == 0 && f.Code != xsdoctor.KeyGrantAllows {
				t.Errorf("%s has no evidence", f.Code)
			}
		}
	}
	for _, f := range d.Findings {
		if f.Summary == "" {
			t.Errorf("%s has no summary", f.Code)
		}
	}
}

func TestCheckIsDeterministic(t *testing.T) {
	for _, tc := range doorCases() {
		f := working()
		tc.mutate(&f)
		a, b := Check(f), Check(f)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs differ", tc.name)
		}
	}
}

// verdictFor is the verdict that the CLI maps to each of the diagnosis's exit codes (SPEC §5);
// the tests state their expectations as exit codes, the way the scenarios do.
var verdictFor = map[int]xsdoctor.State{0: open, 1: closed, 3: unk}
