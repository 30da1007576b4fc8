package request_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
	"github.com/xsdoctor/xsdoctor/request"
)

var classic = request.Params{
	SecretARN:        "arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/db-AbCdEf",
	VersionID:        "v-1",
	Region:           "eu-west-1",
	KeyARN:           "arn:aws:kms:eu-west-1:111111111111:key/k",
	PrincipalARN:     "arn:aws:sts::222222222222:assumed-role/app/s1",
	RoleARN:          "arn:aws:iam::222222222222:role/svc/app",
	RoleID:           "AROAEXAMPLE",
	PrincipalAccount: "222222222222",
	PrincipalTags:    map[string]string{"team": "pay"},
	PrincipalOrgID:   "o-consumer",
	ResourceAccount:  "111111111111",
	ResourceOrgID:    "o-owner",
	SecretTags:       map[string]string{"env": "prod"},
	Now:              time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
}

func TestTheKMSHopCarriesWhatSecretsManagerSends(t *testing.T) {
	r := request.Decrypt(classic)
	if r.Action != "kms:Decrypt" || r.Resource != classic.KeyARN || r.ResourceAccount != "111111111111" {
		t.Fatalf("request = %s on %s in %s", r.Action, r.Resource, r.ResourceAccount)
	}
	want := map[string][]string{
		"kms:ViaService":                        {"secretsmanager.eu-west-1.amazonaws.com"},
		"kms:CallerAccount":                     {"222222222222"},
		"kms:EncryptionContext:SecretARN":       {classic.SecretARN},
		"kms:EncryptionContext:SecretVersionId": {"v-1"},
		"kms:EncryptionContextKeys":             {"SecretARN", "SecretVersionId"},
		"aws:ViaAWSService":                     {"true"},
		"aws:PrincipalArn":                      {classic.RoleARN},
		"aws:PrincipalAccount":                  {"222222222222"},
		"aws:PrincipalOrgID":                    {"o-consumer"},
		"aws:ResourceOrgID":                     {"o-owner"},
		"aws:PrincipalTag/team":                 {"pay"},
		"aws:CurrentTime":                       {"2026-11-29T12:00:00Z"},
	}
	for k, v := range want {
		if diff := cmp.Diff(v, r.Context[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	// Secrets Manager makes this call, not the workload: network keys are absent, not unknown.
	for _, k := range []string{"aws:SourceVpce", "aws:SourceIp", "aws:SourceVpc", "aws:VpcSourceIp"} {
		if _, ok := r.Context[k]; ok || slices.Contains(r.Unknown, k) {
			t.Errorf("%s must be absent on the KMS hop", k)
		}
	}
	if _, ok := r.Context["aws:ResourceTag/env"]; ok {
		t.Error("the secret's tags are not the key's resource tags")
	}
}

func TestTheConsumersOwnRequestLeavesTheNetworkUnknown(t *testing.T) {
	r := request.GetSecretValue(classic)
	if r.Action != "secretsmanager:GetSecretValue" || r.Resource != classic.SecretARN {
		t.Fatalf("request = %s on %s", r.Action, r.Resource)
	}
	for _, k := range []string{"aws:SourceVpce", "aws:SourceIp", "aws:MultiFactorAuth*", "aws:RequestTag/*"} {
		if !slices.Contains(r.Unknown, k) {
			t.Errorf("%s should be unknown on the consumer's request", k)
		}
	}
	for k, v := range map[string]string{
		"secretsmanager:SecretId":        classic.SecretARN,
		"aws:ViaAWSService":              "false",
		"aws:ResourceTag/env":            "prod",
		"secretsmanager:ResourceTag/env": "prod",
		"aws:SecureTransport":            "true",
		"aws:RequestedRegion":            "eu-west-1",
	} {
		if got := r.Context[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %v, want %q", k, got, v)
		}
	}
	if _, ok := r.Context["kms:ViaService"]; ok {
		t.Error("kms:ViaService belongs to the KMS hop only")
	}
}

func TestAnOrgLookupThatFailedIsUnknownAndNoOrgIsAbsent(t *testing.T) {
	p := classic
	p.PrincipalOrgID, p.PrincipalOrgUnknown = "", true
	p.ResourceOrgID = ""
	r := request.Decrypt(p)
	if _, ok := r.Context["aws:PrincipalOrgID"]; ok || !slices.Contains(r.Unknown, "aws:PrincipalOrgID") {
		t.Errorf("a failed org lookup must make aws:PrincipalOrgID unknown: unknown=%v", r.Unknown)
	}
	if _, ok := r.Context["aws:ResourceOrgID"]; ok || slices.Contains(r.Unknown, "aws:ResourceOrgID") {
		t.Error("an account in no organization has no aws:ResourceOrgID: absent, not unknown")
	}
}

func TestAKeyInAThirdAccountUsesThatAccountsOrganization(t *testing.T) {
	p := classic
	p.KeyARN, p.KeyAccount, p.KeyOrgID = "arn:aws:kms:eu-west-1:333333333333:key/k", "333333333333", "o-keys"
	r := request.Decrypt(p)
	if r.ResourceAccount != "333333333333" || r.Context["aws:ResourceAccount"][0] != "333333333333" || r.Context["aws:ResourceOrgID"][0] != "o-keys" {
		t.Errorf("resource side = %s %v %v", r.ResourceAccount, r.Context["aws:ResourceAccount"], r.Context["aws:ResourceOrgID"])
	}
}

func TestBuildMakesBothRequestsFromTheFacts(t *testing.T) {
	f := xsdoctor.Facts{
		Input:    xsdoctor.Input{ConsumerArg: "arn:aws:sts::222222222222:assumed-role/app/s1"},
		Owner:    xsdoctor.Account{ID: "111111111111", OrgID: "o-owner"},
		Consumer: xsdoctor.Account{ID: "222222222222", OrgID: "o-consumer"},
		Secret: xsdoctor.Secret{ARN: classic.SecretARN, Partition: "aws", Account: "111111111111", Region: "eu-west-1",
			VersionID: "v-1", Tags: map[string]string{"env": "prod"}},
		Key:  xsdoctor.Key{ARN: "arn:aws:kms:eu-west-1:222222222222:key/k", Account: "222222222222"},
		Role: xsdoctor.Role{ARN: "arn:aws:iam::222222222222:role/svc/app", ID: "AROAEXAMPLE"},
		Now:  "2026-11-29T12:00:00Z",
	}
	getSecret, decrypt := request.Build(f)
	if getSecret.Resource != classic.SecretARN || getSecret.Context["aws:ResourceTag/env"][0] != "prod" ||
		getSecret.Context["aws:PrincipalArn"][0] != f.Role.ARN || getSecret.Principal.ARN != f.Input.ConsumerArg {
		t.Errorf("GetSecretValue = %+v", getSecret)
	}
	// A key in the consumer's own account belongs to the consumer's organization.
	if decrypt.ResourceAccount != "222222222222" || decrypt.Context["aws:ResourceOrgID"][0] != "o-consumer" {
		t.Errorf("Decrypt resource side = %s %v", decrypt.ResourceAccount, decrypt.Context["aws:ResourceOrgID"])
	}
	if decrypt.Context["aws:CurrentTime"][0] != "2026-11-29T12:00:00Z" || decrypt.Context["kms:EncryptionContext:SecretVersionId"][0] != "v-1" {
		t.Errorf("Decrypt context = %v", decrypt.Context)
	}
}

func TestTheKMSHopCarriesTheKeysTagsAndAliases(t *testing.T) {
	p := classic
	p.KeyTags = map[string]string{"share": "partners"}
	p.KeyAliases = []string{"alias/orders", "alias/shared"}
	r := request.Decrypt(p)
	if diff := cmp.Diff([]string{"partners"}, r.Context["aws:ResourceTag/share"]); diff != "" {
		t.Errorf("aws:ResourceTag/share (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(p.KeyAliases, r.Context["kms:ResourceAliases"]); diff != "" {
		t.Errorf("kms:ResourceAliases (-want +got):\n%s", diff)
	}
	if _, ok := request.GetSecretValue(p).Context["aws:ResourceTag/share"]; ok {
		t.Error("the key's tags are not the secret's resource tags")
	}
}

func TestOrgPathsAreKnownAbsentOrUnknownAsTheFactsSay(t *testing.T) {
	base := request.Params{SecretARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:s-AbCdEf", Region: "us-east-1",
		KeyARN: "arn:aws:kms:us-east-1:111111111111:key/k", PrincipalARN: "arn:aws:iam::222222222222:role/app",
		RoleARN: "arn:aws:iam::222222222222:role/app", PrincipalAccount: "222222222222", ResourceAccount: "111111111111",
		PrincipalOrgID: "o-1", ResourceOrgID: "o-1"}

	read := base
	read.PrincipalOrgPaths = "o-1/r-root/ou-apps/"
	read.ResourceOrgPaths = "o-1/r-root/ou-prod/"
	for _, req := range []policy.Request{request.GetSecretValue(read), request.Decrypt(read)} {
		if got := req.Context["aws:PrincipalOrgPaths"]; len(got) != 1 || got[0] != "o-1/r-root/ou-apps/" {
			t.Errorf("%s: aws:PrincipalOrgPaths = %v", req.Action, got)
		}
		if got := req.Context["aws:ResourceOrgPaths"]; len(got) != 1 || got[0] != "o-1/r-root/ou-prod/" {
			t.Errorf("%s: aws:ResourceOrgPaths = %v", req.Action, got)
		}
	}

	unread := base
	unread.PrincipalOrgPathsUnknown, unread.ResourceOrgPathsUnknown = true, true
	req := request.GetSecretValue(unread)
	for _, k := range []string{"aws:PrincipalOrgPaths", "aws:ResourceOrgPaths"} {
		if _, ok := req.Context[k]; ok || !slices.Contains(req.Unknown, k) {
			t.Errorf("unread %s must be unknown, not present or absent: context %v, unknown %v", k, req.Context[k], req.Unknown)
		}
	}

	noOrg := base
	noOrg.PrincipalOrgID = ""
	req = request.GetSecretValue(noOrg)
	if _, ok := req.Context["aws:PrincipalOrgPaths"]; ok || slices.Contains(req.Unknown, "aws:PrincipalOrgPaths") {
		t.Errorf("a principal in no organization has no org path: context %v, unknown %v", req.Context, req.Unknown)
	}
}

func TestTheClientDecidesTheVersionStage(t *testing.T) {
	r := request.GetSecretValue(classic)
	for _, k := range []string{"secretsmanager:VersionStage", "secretsmanager:VersionId"} {
		if _, ok := r.Context[k]; ok || !slices.Contains(r.Unknown, k) {
			t.Errorf("%s must be unknown on the consumer's request: the client decides whether to send it", k)
		}
	}
}

func TestAnUnreadFactIsUnknownNeverAbsent(t *testing.T) {
	f := xsdoctor.Facts{
		Input:    xsdoctor.Input{ConsumerArg: "arn:aws:sts::222222222222:assumed-role/app/s1"},
		Owner:    xsdoctor.Account{ID: "111111111111", OrgID: "o-owner"},
		Consumer: xsdoctor.Account{ID: "222222222222", OrgID: "o-consumer"},
		Secret: xsdoctor.Secret{ARN: classic.SecretARN, Partition: "aws", Account: "111111111111", Region: "eu-west-1",
			VersionsErr: &xsdoctor.ReadError{Call: "secretsmanager:ListSecretVersionIds", Code: "AccessDeniedException"}},
		Key: xsdoctor.Key{ARN: classic.KeyARN, Account: "111111111111",
			TagsErr: &xsdoctor.ReadError{Call: "kms:ListResourceTags", Code: "AccessDeniedException"}},
		Role: xsdoctor.Role{ARN: "arn:aws:iam::222222222222:role/app", PathInferred: true,
			Err: &xsdoctor.ReadError{Call: "iam:GetRole", Code: "AccessDenied"}},
	}
	getSecret, decrypt := request.Build(f)
	for _, tc := range []struct {
		r   policy.Request
		key string
	}{
		{decrypt, "kms:EncryptionContext:SecretVersionId"},
		{decrypt, "aws:ResourceTag/*"},
		{decrypt, "aws:PrincipalTag/*"},
		{getSecret, "aws:PrincipalTag/*"},
		{getSecret, "aws:PrincipalArn"},
		{decrypt, "aws:PrincipalArn"},
	} {
		if !slices.Contains(tc.r.Unknown, tc.key) {
			t.Errorf("%s: %s should be unknown, unknown = %v", tc.r.Action, tc.key, tc.r.Unknown)
		}
	}
	if _, ok := decrypt.Context["aws:PrincipalArn"]; ok {
		t.Error("a guessed role path must not be sent as aws:PrincipalArn")
	}
	if slices.Contains(getSecret.Unknown, "aws:ResourceTag/*") {
		t.Error("the secret's tags were read (DescribeSecret answered): they are known, none")
	}
}
