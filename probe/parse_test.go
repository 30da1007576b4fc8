package probe

import (
	"strings"
	"testing"

	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/xsdoctor/xsdoctor/arn"
)

func TestParseSecretTellsFullARNsFromPartialARNsAndNames(t *testing.T) {
	for _, tc := range []struct {
		in             string
		isARN, partial bool
		bad            bool
	}{
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf", true, false, false},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db", true, true, false},
		{"arn:aws-cn:secretsmanager:cn-north-1:111111111111:secret:x-123456", true, false, false},
		{"prod/db", false, true, false},
		{"prod/db-AbCdEf", false, true, false}, // a name, even with a suffix, resolves in the caller's account
		{"", false, false, true},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:", false, false, true},
		{"arn:aws:secretsmanager:us-east-1:1111:secret:x-AbCdEf", false, false, true},
		{"arn:aws:secretsmanager::111111111111:secret:x-AbCdEf", false, false, true},
		{"arn:aws:kms:us-east-1:111111111111:key/abc", false, false, true},
		{"has space", false, false, true},
	} {
		got, err := parseSecret(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("%q: err = %v, want bad=%v", tc.in, err, tc.bad)
			continue
		}
		if err == nil && (got.IsARN != tc.isARN || got.Partial != tc.partial) {
			t.Errorf("%q: isARN %v partial %v, want %v %v", tc.in, got.IsARN, got.Partial, tc.isARN, tc.partial)
		}
	}
}

func TestParseConsumerAcceptsRolesWithPathsAndSessions(t *testing.T) {
	for _, tc := range []struct {
		in                                 string
		account, name, path, roleARN, sess string
		bad                                bool
	}{
		{in: "arn:aws:iam::222222222222:role/app", account: "222222222222", name: "app", path: "/", roleARN: "arn:aws:iam::222222222222:role/app"},
		{in: "arn:aws:iam::222222222222:role/a/b/app", account: "222222222222", name: "app", path: "/a/b/", roleARN: "arn:aws:iam::222222222222:role/a/b/app"},
		{in: "arn:aws:sts::222222222222:assumed-role/app/i-123", account: "222222222222", name: "app", roleARN: "arn:aws:iam::222222222222:role/app", sess: "i-123"},
		{in: "arn:aws:sts::222222222222:assumed-role/app/user@example.com", account: "222222222222", name: "app", roleARN: "arn:aws:iam::222222222222:role/app", sess: "user@example.com"},
		{in: "arn:aws:iam::222222222222:user/bob", bad: true},
		{in: "arn:aws:iam::222222222222:root", bad: true},
		{in: "arn:aws:sts::222222222222:assumed-role/app", bad: true},
		{in: "arn:aws:iam::2222:role/app", bad: true},
		{in: "app", bad: true},
	} {
		got, err := parseConsumer(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("%q: err = %v, want bad=%v", tc.in, err, tc.bad)
			continue
		}
		if err == nil && (got.Account != tc.account || got.RoleName != tc.name || got.RolePath != tc.path || got.RoleARN != tc.roleARN || got.Session != tc.sess) {
			t.Errorf("%q: got %+v", tc.in, got)
		}
	}
}

func TestResolveKeyRefInterpretsTheFourFormsInTheSecretsAccount(t *testing.T) {
	secret, _ := arn.Parse("arn:aws:secretsmanager:eu-west-1:111111111111:secret:s-AbCdEf")
	for _, tc := range []struct {
		in                                  string
		account, region, keyARN, alias, aid string
		predefined                          bool
	}{
		{"", "111111111111", "eu-west-1", "", "alias/aws/secretsmanager", "alias/aws/secretsmanager", true},
		{"1234abcd-12ab-34cd-56ef-1234567890ab", "111111111111", "eu-west-1", "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab", "", "", false},
		{"mrk-1234", "111111111111", "eu-west-1", "arn:aws:kms:eu-west-1:111111111111:key/mrk-1234", "", "", false},
		{"arn:aws:kms:eu-west-1:333333333333:key/k1", "333333333333", "eu-west-1", "arn:aws:kms:eu-west-1:333333333333:key/k1", "", "", false},
		{"alias/app", "111111111111", "eu-west-1", "", "alias/app", "alias/app", false},
		{"alias/aws/secretsmanager", "111111111111", "eu-west-1", "", "alias/aws/secretsmanager", "alias/aws/secretsmanager", true},
		{"arn:aws:kms:eu-west-1:333333333333:alias/shared", "333333333333", "eu-west-1", "", "alias/shared", "arn:aws:kms:eu-west-1:333333333333:alias/shared", false},
	} {
		k := resolveKeyRef(tc.in, secret)
		if k.Account != tc.account || k.Region != tc.region || k.keyARN() != tc.keyARN || k.Alias != tc.alias || k.aliasID() != tc.aid || k.predefined() != tc.predefined {
			t.Errorf("%q: %+v keyARN %q aliasID %q predefined %v", tc.in, k, k.keyARN(), k.aliasID(), k.predefined())
		}
	}
}

func TestDecodeDocumentDecodesURLEncodedTextOnly(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`%7B%22Version%22%3A%222012-10-17%22%7D`, `{"Version":"2012-10-17"}`},
		{`%7B%22a%22%3A%22x%20y%2Bz%22%7D`, `{"a":"x y+z"}`},
		{`%7B%22a%22%3A%22x+y%22%7D`, `{"a":"x+y"}`}, // PathUnescape keeps '+' (QueryUnescape would not)
		{`{"a":"x%20y"}`, `{"a":"x%20y"}`},           // raw JSON (moto's GetPolicyVersion) is left alone
		{"  \n{\"a\":1}", "  \n{\"a\":1}"},
		{``, ``},
		{`%ZZ`, `%ZZ`},
	} {
		if got := decodeDocument(tc.in); got != tc.want {
			t.Errorf("decodeDocument(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestContextKeyTypesFollowTheIAMReference(t *testing.T) {
	for _, tc := range []struct {
		key  string
		n    int
		want iamtypes.ContextKeyTypeEnum
	}{
		{"aws:SecureTransport", 1, iamtypes.ContextKeyTypeEnumBoolean},
		{"aws:ViaAWSService", 1, iamtypes.ContextKeyTypeEnumBoolean},
		{"aws:EpochTime", 1, iamtypes.ContextKeyTypeEnumNumeric},
		{"aws:CurrentTime", 1, iamtypes.ContextKeyTypeEnumDate},
		{"aws:SourceIp", 1, iamtypes.ContextKeyTypeEnumIp},
		{"kms:EncryptionContextKeys", 2, iamtypes.ContextKeyTypeEnumStringList},
		{"kms:EncryptionContextKeys", 1, iamtypes.ContextKeyTypeEnumStringList},
		{"aws:TagKeys", 1, iamtypes.ContextKeyTypeEnumStringList},
		{"aws:PrincipalTag/team", 1, iamtypes.ContextKeyTypeEnumString},
		{"kms:ViaService", 1, iamtypes.ContextKeyTypeEnumString},
		{"some:Key", 3, iamtypes.ContextKeyTypeEnumStringList},
	} {
		if got := contextKeyType(tc.key, tc.n); got != tc.want {
			t.Errorf("%s (%d values): %s, want %s", tc.key, tc.n, got, tc.want)
		}
	}
}

// FuzzParseInputs checks that no input makes the parsers panic, and that what they accept is
// consistent: a parsed ARN prints back as given, a consumer always names a role in its account.
func FuzzParseInputs(f *testing.F) {
	for _, s := range []string{
		"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf",
		"arn:aws:sts::222222222222:assumed-role/app/s",
		"arn:aws:iam::222222222222:role/a/b/app",
		"arn:aws:kms:us-east-1:333333333333:alias/x",
		"prod/db", "arn:::::", "arn:aws:iam::222222222222:role/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if in, err := parseSecret(s); err == nil && in.IsARN && in.ARN.String() != s {
			t.Errorf("secret %q prints back as %q", s, in.ARN.String())
		}
		if p, err := parseConsumer(s); err == nil {
			if p.RoleName == "" || !accountRE.MatchString(p.Account) || !strings.Contains(p.RoleARN, ":"+p.Account+":role/") {
				t.Errorf("consumer %q parsed to %+v", s, p)
			}
		}
		if a, ok := arn.Split(s); ok {
			k := resolveKeyRef(s, a)
			if k.KeyID == "" && k.Alias == "" {
				t.Errorf("key ref %q resolves to nothing: %+v", s, k)
			}
		}
	})
}
