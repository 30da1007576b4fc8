package door

import (
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor/policy"
)

func TestRawStatementsReadEveryForm(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       int
	}{
		{"a list of statements", doc(secretAllow, rootStatement), 2},
		{"a single statement object", `{"Version": "2012-10-17", "Statement": ` + secretAllow + `}`, 1},
		{"URL-encoded text as IAM returns it", "%7B%22Statement%22%3A%5B" + strings.ReplaceAll(strings.ReplaceAll(roleKeyStatement, `"`, "%22"), " ", "") + "%5D%7D", 1},
		{"text that is not a policy", "not json", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(statementsOf(tc.text)); got != tc.want {
				t.Errorf("%d statements, want %d", got, tc.want)
			}
		})
	}
	s := statementsOf(doc(`{"Sid": "X", "Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::222222222222:root", "AROAOLDROLEDELETED0001"]}, "NotAction": "kms:Decrypt", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": false}}}`))[0]
	if !s.NotPrincipal || !s.NotAction || len(s.Principals) != 2 || s.Condition["Bool"]["aws:SecureTransport"][0] != "false" {
		t.Errorf("statement read as %+v", s)
	}
	if s.coversAction("kms:Decrypt") || !s.coversAction("kms:Encrypt") {
		t.Errorf("NotAction kms:Decrypt must cover everything but kms:Decrypt")
	}
	if !policy.IsUniqueID(s.Principals[1]) || policy.IsUniqueID(s.Principals[0]) {
		t.Errorf("unique-id pattern is wrong for %v", s.Principals)
	}
}

func TestSecretNearMiss(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{secretARN, ""},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/orders/postgres-??????", ""},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/orders/postgres", "without its 6-character suffix"},
		{"arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/orders/postgres-*", "region eu-west-1 instead of us-east-1"},
		{"arn:aws:secretsmanager:us-east-1:222222222222:secret:*", "account 222222222222 instead of 111111111111"},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/billing/*", ""},
		{"arn:aws:kms:us-east-1:111111111111:key/*", ""},
	} {
		got := secretNearMiss(tc.pattern, secretARN)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("secretNearMiss(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

// statementsOf parses text as Check does and returns its statements; nil when it does not parse.
func statementsOf(text string) []rawStatement {
	doc, err := policy.Parse(text)
	if err != nil {
		return nil
	}
	return rawStatements(doc)
}
