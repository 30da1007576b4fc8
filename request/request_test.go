package request_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
