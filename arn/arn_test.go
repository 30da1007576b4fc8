package arn_test

import (
	"errors"
	"testing"

	"github.com/xsdoctor/xsdoctor/arn"
)

func TestParseKnowsTheThreePartitionsAndRefusesOthers(t *testing.T) {
	for _, tc := range []struct {
		in  string
		ok  bool
		acc string
	}{
		{"arn:aws:iam::222222222222:role/app", true, "222222222222"},
		{"arn:aws-cn:secretsmanager:cn-north-1:111111111111:secret:x-AbCdEf", true, "111111111111"},
		{"arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/k", true, "111111111111"},
		{"arn:aws-mars:iam::222222222222:role/app", false, ""},
		{"arn:aws:iam::222222222222", false, ""},
		{"urn:aws:iam::222222222222:role/app", false, ""},
		{"arn:aws:::222222222222:role/app", false, ""},
	} {
		a, err := arn.Parse(tc.in)
		if (err == nil) != tc.ok || a.Account != tc.acc {
			t.Errorf("Parse(%q) = %+v, %v; want ok=%v", tc.in, a, err, tc.ok)
		}
		var e *arn.Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("Parse(%q) error %T is not *arn.Error", tc.in, err)
		}
		if tc.ok && a.String() != tc.in {
			t.Errorf("String() = %q, want %q", a.String(), tc.in)
		}
	}
}

func TestTheResourceKeepsItsColonsAndSlashes(t *testing.T) {
	a, err := arn.Parse("arn:aws:secretsmanager:us-east-1:111111111111:secret:a/b:c-AbCdEf")
	if err != nil || a.Resource != "secret:a/b:c-AbCdEf" || a.SecretName() != "a/b:c-AbCdEf" || a.Region != "us-east-1" {
		t.Errorf("got %+v, %v", a, err)
	}
}

func TestSplitAcceptsPolicyPatterns(t *testing.T) {
	a, ok := arn.Split("arn:*:iam::*:role/*")
	if !ok || a.Partition != "*" || a.Account != "*" || a.Resource != "role/*" {
		t.Errorf("Split = %+v, %v", a, ok)
	}
}

func TestARoleFromASessionKeepsWhatTheSessionTellsButNoPath(t *testing.T) {
	for _, tc := range []struct {
		in, role, name, path, session string
		assumed                       bool
	}{
		{"arn:aws:sts::222222222222:assumed-role/app/i-0abc", "arn:aws:iam::222222222222:role/app", "app", "", "i-0abc", true},
		{"arn:aws-cn:sts::222222222222:assumed-role/app/user@example.com", "arn:aws-cn:iam::222222222222:role/app", "app", "", "user@example.com", true},
		{"arn:aws:iam::222222222222:role/svc/team/app", "arn:aws:iam::222222222222:role/svc/team/app", "app", "/svc/team/", "", false},
		{"arn:aws:iam::222222222222:role/app", "arn:aws:iam::222222222222:role/app", "app", "/", "", false},
	} {
		a, err := arn.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := a.RoleFromSession()
		if !ok || r.String() != tc.role || a.RoleName() != tc.name || a.RolePath() != tc.path || a.Session() != tc.session || a.IsAssumedRole() != tc.assumed {
			t.Errorf("%s: role %s name %q path %q session %q assumed %v", tc.in, r, a.RoleName(), a.RolePath(), a.Session(), a.IsAssumedRole())
		}
	}
	for _, s := range []string{"arn:aws:iam::222222222222:user/bob", "arn:aws:sts::222222222222:assumed-role/app"} {
		a, _ := arn.Parse(s)
		if _, ok := a.RoleFromSession(); ok {
			t.Errorf("%s is neither a role nor a session", s)
		}
	}
}

func TestBuildersWriteWhatParseReads(t *testing.T) {
	if got := arn.Role("aws", "222222222222", "/svc/", "app").String(); got != "arn:aws:iam::222222222222:role/svc/app" {
		t.Errorf("Role = %s", got)
	}
	if got := arn.Role("aws", "222222222222", "/", "app").String(); got != "arn:aws:iam::222222222222:role/app" {
		t.Errorf("Role = %s", got)
	}
	k := arn.Key("aws", "eu-west-1", "111111111111", "k1")
	if k.String() != "arn:aws:kms:eu-west-1:111111111111:key/k1" || k.KeyID() != "k1" || k.Alias() != "" {
		t.Errorf("Key = %s", k)
	}
	s, _ := arn.Parse("arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf")
	if got := s.InRegion("eu-west-1").String(); got != "arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf" {
		t.Errorf("InRegion = %s", got)
	}
}
