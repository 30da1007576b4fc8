package policy

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const (
	consumer   = "222222222222"
	owner      = "111111111111"
	sessionARN = "arn:aws:sts::222222222222:assumed-role/app/lambda-1"
	roleARN    = "arn:aws:iam::222222222222:role/service/app"
	roleID     = "AROAEXAMPLEEXAMPLE01"
	secretARN  = "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf"
	keyARN     = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func mustParse(t testing.TB, text string) *Document {
	t.Helper()
	d, err := Parse(text)
	if err != nil {
		t.Fatalf("parse %s: %v", text, err)
	}
	return d
}

func named(t testing.TB, name, text string) *Named {
	return &Named{Name: name, Doc: mustParse(t, text)}
}

func stmt(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }

// consumerSession is the cross-account consumer: a session of role app (path /service/).
func consumerSession() Principal {
	return Principal{ARN: sessionARN, Account: consumer, RoleARN: roleARN, UniqueID: roleID}
}

func getSecret(p Principal) Request {
	return Request{Principal: p, Action: "secretsmanager:GetSecretValue", Resource: secretARN, ResourceAccount: owner, Context: map[string][]string{}}
}

func decrypt(p Principal) Request {
	return Request{Principal: p, Action: "kms:Decrypt", Resource: keyARN, ResourceAccount: owner, Context: map[string][]string{
		"kms:ViaService":                  {"secretsmanager.us-east-1.amazonaws.com"},
		"kms:EncryptionContext:SecretARN": {secretARN},
	}}
}

var identityAllowsAll = stmt(`{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","kms:Decrypt"],"Resource":"*"}`)

func TestPrincipalForms(t *testing.T) {
	tests := []struct {
		name      string
		principal string
		p         Principal
		want      Decision
	}{
		{"account id names every principal of the account", `"222222222222"`, consumerSession(), Allow},
		{"account root ARN names every principal of the account", `"arn:aws:iam::222222222222:root"`, consumerSession(), Allow},
		{"role ARN with path names the role's sessions", `"arn:aws:iam::222222222222:role/service/app"`, consumerSession(), Allow},
		{"role ARN of another role does not", `"arn:aws:iam::222222222222:role/other"`, consumerSession(), ImplicitDeny},
		{"exact session ARN", `"arn:aws:sts::222222222222:assumed-role/app/lambda-1"`, consumerSession(), Allow},
		{"another session of the same role", `"arn:aws:sts::222222222222:assumed-role/app/lambda-2"`, consumerSession(), ImplicitDeny},
		{"unique id of the role", `"AROAEXAMPLEEXAMPLE01"`, consumerSession(), Allow},
		{"unique id of a deleted role no longer matches the re-created one", `"AROAEXAMPLEEXAMPLE01"`,
			Principal{ARN: sessionARN, Account: consumer, RoleARN: roleARN, UniqueID: "AROANEWROLENEWROLE02"}, ImplicitDeny},
		{"star", `"*"`, consumerSession(), Allow},
		{"another account", `"arn:aws:iam::333333333333:root"`, consumerSession(), ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := Set{
				Identity: []Named{*named(t, "consumer", identityAllowsAll)},
				Resource: named(t, "secret", stmt(`{"Effect":"Allow","Principal":{"AWS":`+tt.principal+`},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`)),
			}
			if got := Evaluate(getSecret(tt.p), set); got.Decision != tt.want {
				t.Fatalf("got %s, want %s%s", got.Decision, tt.want, describe(got))
			}
		})
	}
}

func TestNotPrincipalDeny(t *testing.T) {
	allow := `{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`
	tests := []struct {
		name     string
		listed   string
		boundary bool
		want     Decision
	}{
		{"listing only the role ARN still denies its session", `["arn:aws:iam::222222222222:role/service/app"]`, false, ExplicitDeny},
		{"listing role and session without the account still denies", `["arn:aws:iam::222222222222:role/service/app","arn:aws:sts::222222222222:assumed-role/app/lambda-1"]`, false, ExplicitDeny},
		{"listing account, role and session exempts the session", `["222222222222","arn:aws:iam::222222222222:role/service/app","arn:aws:sts::222222222222:assumed-role/app/lambda-1"]`, false, Allow},
		{"a principal with a permissions boundary is always denied", `["222222222222","arn:aws:iam::222222222222:role/service/app","arn:aws:sts::222222222222:assumed-role/app/lambda-1"]`, true, ExplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := Set{
				Identity: []Named{*named(t, "consumer", identityAllowsAll)},
				Resource: named(t, "secret", stmt(allow+`,{"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{"AWS":`+tt.listed+`},"Action":"secretsmanager:*","Resource":"*"}`)),
			}
			if tt.boundary {
				set.Boundary = named(t, "boundary", stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`))
			}
			if got := Evaluate(getSecret(consumerSession()), set); got.Decision != tt.want {
				t.Fatalf("got %s, want %s%s", got.Decision, tt.want, describe(got))
			}
		})
	}
}

// Same account, a resource policy Allow suffices alone, except that naming the role ARN is still
// capped by the boundary, while naming the session or a user grants directly (IAM User Guide,
// "Policy evaluation logic", resource-based policies and permissions boundaries).
func TestSameAccountResourcePolicyAndBoundary(t *testing.T) {
	ownerSession := Principal{ARN: "arn:aws:sts::111111111111:assumed-role/reader/s1", Account: owner, RoleARN: "arn:aws:iam::111111111111:role/reader"}
	ownerUser := Principal{ARN: "arn:aws:iam::111111111111:user/alice", Account: owner}
	boundaryS3Only := stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)
	tests := []struct {
		name      string
		p         Principal
		principal string
		boundary  bool
		want      Decision
	}{
		{"role ARN, no identity policy, no boundary", ownerSession, `"arn:aws:iam::111111111111:role/reader"`, false, Allow},
		{"role ARN capped by the boundary", ownerSession, `"arn:aws:iam::111111111111:role/reader"`, true, ImplicitDeny},
		{"session ARN grants past the boundary", ownerSession, `"arn:aws:sts::111111111111:assumed-role/reader/s1"`, true, Allow},
		{"user ARN grants past the boundary", ownerUser, `"arn:aws:iam::111111111111:user/alice"`, true, Allow},
		{"account root only delegates to IAM", ownerSession, `"111111111111"`, false, ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := Set{Resource: named(t, "secret", stmt(`{"Effect":"Allow","Principal":{"AWS":`+tt.principal+`},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`))}
			if tt.boundary {
				set.Boundary = named(t, "boundary", boundaryS3Only)
			}
			if got := Evaluate(getSecret(tt.p), set); got.Decision != tt.want {
				t.Fatalf("got %s, want %s%s", got.Decision, tt.want, describe(got))
			}
		})
	}
}

// The KMS rule: the key policy must allow, directly or via the key-account statement that makes
// IAM policies count (KMS Developer Guide, "Default key policy").
func TestKMSKeyPolicyRule(t *testing.T) {
	ownerSession := Principal{ARN: "arn:aws:sts::111111111111:assumed-role/reader/s1", Account: owner}
	root := `{"Sid":"Enable IAM policies","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}`
	direct := `{"Sid":"Reader","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/reader"},"Action":"kms:Decrypt","Resource":"*"}`
	admin := `{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/admin"},"Action":"kms:*","Resource":"*"}`
	iam := stmt(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`)
	tests := []struct {
		name      string
		keyPolicy string
		identity  bool
		want      Decision
	}{
		{"root statement and IAM allow", root, true, Allow},
		{"root statement without IAM allow", root, false, ImplicitDeny},
		{"no root statement: IAM allow alone is ineffective", admin, true, ImplicitDeny},
		{"key policy names the role: no IAM needed in the key's account", direct, false, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := Set{Resource: named(t, "key", stmt(tt.keyPolicy))}
			if tt.identity {
				set.Identity = []Named{*named(t, "reader", iam)}
			}
			if got := Evaluate(decrypt(ownerSession), set); got.Decision != tt.want {
				t.Fatalf("got %s, want %s%s", got.Decision, tt.want, describe(got))
			}
		})
	}
	// Cross-account both sides are needed even when the key policy names the role.
	set := Set{Resource: named(t, "key", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/service/app"},"Action":"kms:Decrypt","Resource":"*"}`))}
	if got := Evaluate(decrypt(consumerSession()), set); got.Decision != ImplicitDeny {
		t.Fatalf("cross-account without identity allow: got %s", got.Decision)
	}
	set.Identity = []Named{*named(t, "consumer", identityAllowsAll)}
	if got := Evaluate(decrypt(consumerSession()), set); got.Decision != Allow {
		t.Fatalf("cross-account with both sides: got %s%s", got.Decision, describe(got))
	}
}

func TestGrants(t *testing.T) {
	identity := []Named{*named(t, "consumer", identityAllowsAll)}
	keyPolicy := named(t, "key", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}`))
	grant := Grant{ID: "g-1", Name: "app-decrypt", GranteePrincipal: roleARN, Operations: []string{"Decrypt"},
		EncryptionContextSubset: map[string]string{"SecretARN": secretARN}}
	set := Set{Identity: identity, Resource: keyPolicy, Grants: []Grant{grant}}
	got := Evaluate(decrypt(consumerSession()), set)
	if got.Decision != Allow {
		t.Fatalf("grant to the role: got %s%s", got.Decision, describe(got))
	}
	var sawGrant bool
	for _, m := range got.Matched {
		if m.Type == TypeGrant && m.Policy == "g-1" && m.Sid == "app-decrypt" {
			sawGrant = true
		}
	}
	if !sawGrant {
		t.Fatalf("the grant must be reported in Matched:%s", describe(got))
	}

	wrong := grant
	wrong.EncryptionContextSubset = map[string]string{"SecretARN": secretARN + "-other"}
	got = Evaluate(decrypt(consumerSession()), Set{Identity: identity, Resource: keyPolicy, Grants: []Grant{wrong}})
	if got.Decision != ImplicitDeny {
		t.Fatalf("grant with another secret's context: got %s", got.Decision)
	}
	if len(got.Misses) == 0 || got.Misses[len(got.Misses)-1].Key != "kms:EncryptionContext:SecretARN" {
		t.Fatalf("the failed constraint must be a miss: %+v", got.Misses)
	}

	equals := grant
	equals.EncryptionContextSubset = nil
	equals.EncryptionContextEquals = map[string]string{"SecretARN": secretARN}
	req := decrypt(consumerSession())
	req.Context["kms:EncryptionContext:SecretVersionId"] = []string{"v1"}
	if got := Evaluate(req, Set{Identity: identity, Resource: keyPolicy, Grants: []Grant{equals}}); got.Decision != ImplicitDeny {
		t.Fatalf("EncryptionContextEquals with an extra pair: got %s", got.Decision)
	}

	otherOp := grant
	otherOp.Operations = []string{"Encrypt", "GenerateDataKey"}
	if got := Evaluate(decrypt(consumerSession()), Set{Identity: identity, Resource: keyPolicy, Grants: []Grant{otherOp}}); got.Decision != ImplicitDeny {
		t.Fatalf("grant without Decrypt: got %s", got.Decision)
	}

	// Grants are a resource-side allow: cross-account the identity side is still needed.
	if got := Evaluate(decrypt(consumerSession()), Set{Resource: keyPolicy, Grants: []Grant{grant}}); got.Decision != ImplicitDeny {
		t.Fatalf("grant without identity allow cross-account: got %s", got.Decision)
	}
	// Grants apply to kms: actions only.
	if got := Evaluate(getSecret(consumerSession()), Set{Identity: identity, Grants: []Grant{grant}}); got.Decision != ImplicitDeny {
		t.Fatalf("grant on a non-KMS action: got %s", got.Decision)
	}
}

func TestMissesExplainNearMisses(t *testing.T) {
	set := Set{
		Identity: []Named{*named(t, "consumer", stmt(`{"Sid":"Read","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db"}`))},
		Resource: named(t, "key", stmt(`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
			{"Sid":"Consumer","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}},
			{"Sid":"Gone","Effect":"Allow","Principal":{"AWS":"AROADELETEDROLE00001"},"Action":"kms:Decrypt","Resource":"*"}`)),
	}
	got := Evaluate(decrypt(consumerSession()), set)
	if got.Decision != ImplicitDeny {
		t.Fatalf("got %s", got.Decision)
	}
	want := []Miss{
		{Statement: StatementRef{Type: TypeResource, Policy: "key", Sid: "Consumer", Index: 2, Line: 2, Effect: "Allow"}, Element: "Condition", Operator: "StringEquals", Key: "kms:ViaService",
			Expected: []string{"secretsmanager.eu-west-1.amazonaws.com"}, Actual: []string{"secretsmanager.us-east-1.amazonaws.com"}},
		{Statement: StatementRef{Type: TypeResource, Policy: "key", Sid: "Gone", Index: 3, Line: 3, Effect: "Allow"}, Element: "Principal",
			Expected: []string{"AROADELETEDROLE00001"}, Actual: []string{sessionARN, roleARN, roleID, consumer}},
	}
	if !reflect.DeepEqual(got.Misses, want) {
		t.Fatalf("misses:\n got %+v\nwant %+v", got.Misses, want)
	}

	set.Resource = nil
	got = Evaluate(getSecret(consumerSession()), set)
	if len(got.Misses) != 1 || got.Misses[0].Element != "Resource" || got.Misses[0].Actual[0] != secretARN || got.Misses[0].Statement.Sid != "Read" {
		t.Fatalf("resource miss: %+v", got.Misses)
	}
}

func TestEveryDecidingStatementIsCollected(t *testing.T) {
	set := Set{
		Identity: []Named{
			*named(t, "a", stmt(`{"Sid":"A1","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A2","Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}`)),
			*named(t, "b", stmt(`{"Sid":"B1","Effect":"Deny","Action":"*","Resource":"*"}`)),
		},
		Resource: named(t, "secret", stmt(`{"Sid":"R1","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`)),
		SCPs:     []Named{*named(t, "scp", stmt(`{"Sid":"S1","Effect":"Deny","Action":"kms:*","Resource":"*"}`))},
	}
	got := Evaluate(getSecret(consumerSession()), set)
	if got.Decision != ExplicitDeny {
		t.Fatalf("got %s", got.Decision)
	}
	var sids []string
	for _, m := range got.Matched {
		sids = append(sids, m.Policy+"/"+m.Sid)
	}
	if want := "a/A1 a/A2 b/B1 secret/R1 FullAWSAccess/FullAWSAccess"; strings.Join(sids, " ") != want {
		t.Fatalf("matched %v, want %s", sids, want)
	}
	wantTypes := []TypeResult{{TypeIdentity, OutcomeDeny}, {TypeResource, OutcomeAllow}, {TypeGrant, OutcomeAbsent},
		{TypeBoundary, OutcomeAbsent}, {TypeSCP, OutcomeAllow}, {TypeSession, OutcomeAbsent}, {TypeRCP, OutcomeAbsent}, {TypeEndpoint, OutcomeAbsent}}
	if !reflect.DeepEqual(got.Types, wantTypes) {
		t.Fatalf("types %v", got.Types)
	}
}

func TestConditionalOnUnknownKeys(t *testing.T) {
	tests := []struct {
		name        string
		resource    string
		unknown     []string
		want        Decision
		conditional []string // Key of each Unknowable
	}{
		{"allow that needs an unknown VPC endpoint", `{"Sid":"VPCE","Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}`,
			[]string{"aws:SourceVpce"}, Allow, []string{"aws:SourceVpce"}},
		{"deny unless the VPC endpoint, unknown", `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"OnlyVPCE","Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}`,
			[]string{"aws:SourceVpce"}, Allow, []string{"aws:SourceVpce"}},
		{"prefix wildcard in Unknown", `{"Sid":"Tag","Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"x"}}}`,
			[]string{"aws:RequestTag/*"}, Allow, []string{"aws:RequestTag/team"}},
		{"unknown key that does not decide anything", `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}`,
			[]string{"aws:SourceVpce"}, Allow, nil},
		{"denied whatever the unknown key: nothing conditional", `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}`,
			[]string{"aws:SourceVpce"}, ImplicitDeny, nil},
		{"unknown condition in a statement that fails on a known one", `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1","aws:PrincipalAccount":"999999999999"}}}`,
			[]string{"aws:SourceVpce"}, ImplicitDeny, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := getSecret(consumerSession())
			req.Unknown = tt.unknown
			set := Set{Identity: []Named{*named(t, "consumer", identityAllowsAll)}, Resource: named(t, "secret", stmt(tt.resource))}
			got := Evaluate(req, set)
			var keys []string
			for _, u := range got.Conditional {
				keys = append(keys, u.Key)
			}
			if got.Decision != tt.want || !reflect.DeepEqual(keys, tt.conditional) {
				t.Fatalf("got %s %v, want %s %v", got.Decision, keys, tt.want, tt.conditional)
			}
		})
	}
	// A key present in the context is known even if listed as unknown.
	req := getSecret(consumerSession())
	req.Unknown = []string{"aws:SourceVpce"}
	req.Context["aws:SourceVpce"] = []string{"vpce-2"}
	set := Set{Identity: []Named{*named(t, "consumer", identityAllowsAll)}, Resource: named(t, "secret", stmt(tests[0].resource))}
	if got := Evaluate(req, set); got.Decision != ImplicitDeny || len(got.Conditional) != 0 {
		t.Fatalf("known value: got %s %v", got.Decision, got.Conditional)
	}
}

func TestPolicyVariables(t *testing.T) {
	p := consumerSession()
	tests := []struct {
		name     string
		version  string
		resource string
		cond     string
		ctx      map[string][]string
		want     Decision
	}{
		{"principal tag in a condition", "2012-10-17", `"*"`, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`,
			map[string][]string{"aws:PrincipalTag/team": {"pay"}, "aws:ResourceTag/team": {"pay"}}, Allow},
		{"principal tag differs", "2012-10-17", `"*"`, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`,
			map[string][]string{"aws:PrincipalTag/team": {"ops"}, "aws:ResourceTag/team": {"pay"}}, ImplicitDeny},
		{"missing variable without default matches nothing", "2012-10-17", `"*"`, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`,
			map[string][]string{"aws:ResourceTag/team": {"pay"}}, ImplicitDeny},
		{"missing variable with default", "2012-10-17", `"*"`, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'pay'}"}}`,
			map[string][]string{"aws:ResourceTag/team": {"pay"}}, Allow},
		{"variable in Resource, key name case-insensitive", "2012-10-17", `"arn:aws:secretsmanager:us-east-1:111111111111:secret:${AWS:PRINCIPALTAG/env}/*"`, ``,
			map[string][]string{"aws:PrincipalTag/env": {"prod"}}, Allow},
		{"a '*' inside a substituted value is literal", "2012-10-17", `"arn:aws:secretsmanager:us-east-1:111111111111:secret:${aws:PrincipalTag/env}"`, ``,
			map[string][]string{"aws:PrincipalTag/env": {"*"}}, ImplicitDeny},
		{"${*} is a literal star", "2012-10-17", `"*"`, `{"StringLike":{"aws:ResourceTag/pattern":"a${*}b"}}`,
			map[string][]string{"aws:ResourceTag/pattern": {"a*b"}}, Allow},
		{"${*} does not match other text", "2012-10-17", `"*"`, `{"StringLike":{"aws:ResourceTag/pattern":"a${*}b"}}`,
			map[string][]string{"aws:ResourceTag/pattern": {"axxb"}}, ImplicitDeny},
		{"${$} and ${?}", "2012-10-17", `"*"`, `{"StringEquals":{"aws:ResourceTag/x":"${$}{?}${?}"}}`,
			map[string][]string{"aws:ResourceTag/x": {"${?}?"}}, Allow},
		{"2008-10-17 documents take variables literally", "2008-10-17", `"*"`, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`,
			map[string][]string{"aws:PrincipalTag/team": {"pay"}, "aws:ResourceTag/team": {"${aws:PrincipalTag/team}"}}, Allow},
		{"implied aws:PrincipalAccount", "2012-10-17", `"*"`, `{"StringEquals":{"aws:ResourceTag/consumer":"${aws:PrincipalAccount}"}}`,
			map[string][]string{"aws:ResourceTag/consumer": {consumer}}, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cond := ""
			if tt.cond != "" {
				cond = `,"Condition":` + tt.cond
			}
			doc := `{"Version":"` + tt.version + `","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":` + tt.resource + cond + `}]}`
			req := getSecret(p)
			req.Resource = "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf"
			req.ResourceAccount = consumer // same account: the identity policy decides alone
			req.Context = tt.ctx
			got := Evaluate(req, Set{Identity: []Named{*named(t, "id", doc)}})
			if got.Decision != tt.want {
				t.Fatalf("got %s, want %s (misses %+v)", got.Decision, tt.want, got.Misses)
			}
		})
	}
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		name string
		cond string
		ctx  map[string][]string
		want bool
	}{
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"k":"ABC"}}`, map[string][]string{"k": {"abc"}}, true},
		{"StringNotEqualsIgnoreCase on a missing key", `{"StringNotEqualsIgnoreCase":{"k":"ABC"}}`, nil, true},
		{"StringLike with ?", `{"StringLike":{"k":"a?c"}}`, map[string][]string{"k": {"abc"}}, true},
		{"StringNotLike", `{"StringNotLike":{"k":["x*","a*"]}}`, map[string][]string{"k": {"abc"}}, false},
		{"values OR'ed", `{"StringEquals":{"k":["x","abc"]}}`, map[string][]string{"k": {"abc"}}, true},
		{"keys AND'ed", `{"StringEquals":{"k":"abc","j":"x"}}`, map[string][]string{"k": {"abc"}, "j": {"y"}}, false},
		{"key names case-insensitive", `{"StringEquals":{"AWS:PrincipalOrgID":"o-1"}}`, map[string][]string{"aws:principalorgid": {"o-1"}}, true},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"n":"10"}}`, map[string][]string{"n": {"10"}}, true},
		{"NumericGreaterThan with a non-number", `{"NumericGreaterThan":{"n":"10"}}`, map[string][]string{"n": {"abc"}}, false},
		{"NumericNotEquals", `{"NumericNotEquals":{"n":[1,2]}}`, map[string][]string{"n": {"3"}}, true},
		{"DateGreaterThanEquals ISO", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, map[string][]string{"aws:CurrentTime": {"2026-06-01T12:00:00Z"}}, true},
		{"DateLessThan epoch", `{"DateLessThan":{"aws:EpochTime":"2026-01-01"}}`, map[string][]string{"aws:EpochTime": {"1700000000"}}, true},
		{"DateNotEquals", `{"DateNotEquals":{"d":"2026-01-01T00:00:00Z"}}`, map[string][]string{"d": {"2026-01-01T00:00:00+00:00"}}, false},
		{"Bool", `{"Bool":{"aws:SecureTransport":"true"}}`, map[string][]string{"aws:SecureTransport": {"TRUE"}}, true},
		{"Bool on a missing key", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, false},
		{"BoolIfExists on a missing key", `{"BoolIfExists":{"aws:SecureTransport":"false"}}`, nil, true},
		{"BinaryEquals", `{"BinaryEquals":{"b":"QmluYXJ5"}}`, map[string][]string{"b": {"QmluYXJ5"}}, true},
		{"IpAddress v4", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, map[string][]string{"aws:SourceIp": {"10.1.2.3"}}, true},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, map[string][]string{"aws:SourceIp": {"2001:db8::1"}}, true},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"192.0.2.7"}}`, map[string][]string{"aws:SourceIp": {"192.0.2.8"}}, false},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, map[string][]string{"aws:SourceIp": {"203.0.113.1"}}, true},
		{"ArnLike per component", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:111111111111:function:*"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:lambda:us-east-1:111111111111:function:f"}}, true},
		{"ArnEquals wildcards", `{"ArnEquals":{"aws:SourceArn":"arn:aws:lambda:*:111111111111:function:f"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:lambda:eu-west-1:111111111111:function:f"}}, true},
		{"ArnNotLike missing key", `{"ArnNotLike":{"aws:SourceArn":"arn:*"}}`, nil, true},
		{"Null true on a missing key", `{"Null":{"aws:PrincipalOrgID":"true"}}`, nil, true},
		{"Null false on a missing key", `{"Null":{"aws:PrincipalOrgID":"false"}}`, nil, false},
		{"StringEqualsIfExists present and different", `{"StringEqualsIfExists":{"k":"a"}}`, map[string][]string{"k": {"b"}}, false},
		{"ForAnyValue on a missing key", `{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"}}`, nil, false},
		{"ForAnyValue match", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, map[string][]string{"aws:TagKeys": {"z", "b"}}, true},
		{"ForAnyValue:StringNotEquals", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, map[string][]string{"aws:TagKeys": {"a", "b"}}, true},
		{"ForAllValues on a missing key", `{"ForAllValues:StringEquals":{"aws:TagKeys":"a"}}`, nil, true},
		{"ForAllValues on an empty set", `{"ForAllValues:StringEquals":{"aws:TagKeys":"a"}}`, map[string][]string{"aws:TagKeys": {}}, true},
		{"ForAllValues one outside", `{"ForAllValues:StringLike":{"aws:TagKeys":["a*"]}}`, map[string][]string{"aws:TagKeys": {"ab", "b"}}, false},
		{"ForAllValues:StringNotEquals", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["x"]}}`, map[string][]string{"aws:TagKeys": {"a", "b"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + tt.cond + `}`)
			req := Request{Principal: Principal{ARN: "arn:aws:iam::111111111111:user/u"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: tt.ctx}
			got := Evaluate(req, Set{Identity: []Named{*named(t, "id", doc)}})
			if (got.Decision == Allow) != tt.want {
				t.Fatalf("got %s, want allow=%v (misses %+v)", got.Decision, tt.want, got.Misses)
			}
		})
	}
}

func TestServicePrincipal(t *testing.T) {
	req := Request{Principal: Principal{ARN: "secretsmanager.amazonaws.com", Type: Service, Service: "secretsmanager.amazonaws.com"},
		Action: "kms:Decrypt", Resource: keyARN, ResourceAccount: owner}
	set := Set{Resource: named(t, "key", stmt(`{"Effect":"Allow","Principal":{"Service":"secretsmanager.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}`))}
	if got := Evaluate(req, set); got.Decision != Allow {
		t.Fatalf("service principal named in the key policy: got %s", got.Decision)
	}
	set = Set{Resource: named(t, "key", stmt(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"kms:Decrypt","Resource":"*"}`))}
	if got := Evaluate(req, set); got.Decision != ImplicitDeny {
		t.Fatalf("an account principal does not name a service: got %s", got.Decision)
	}
}

func TestIsUniqueID(t *testing.T) {
	for s, want := range map[string]bool{
		"AROAVVVELDOJJ3Y777VHM": true, "AIDAJQABLZS4A3QDU576Q": true, "AROA123": false,
		"arn:aws:iam::1:role/x": false, "111111111111": false, "aroavvveldojj3y777vhm": false, "A1OAVVVELDOJJ3Y777VHM": false,
	} {
		if got := IsUniqueID(s); got != want {
			t.Errorf("IsUniqueID(%q) = %v", s, got)
		}
	}
}

// TestEvaluateDoesNotMutateInputs guards the evaluation's reuse of caller data.
func TestEvaluateDoesNotMutateInputs(t *testing.T) {
	req := decrypt(consumerSession())
	before := fmt.Sprint(req.Context)
	set := Set{Identity: []Named{*named(t, "consumer", identityAllowsAll)}}
	_ = Evaluate(req, set)
	if fmt.Sprint(req.Context) != before {
		t.Fatalf("context changed: %s", fmt.Sprint(req.Context))
	}
}

// An unresolvable policy variable invalidates its statement, whatever the operator: a Deny with
// StringNotEquals against a missing ${aws:PrincipalOrgID} does not fire (IAM User Guide,
// "Policy variables": "any attempt to match it fails and causes the statement to be invalid").
func TestUnresolvedVariableInvalidatesStatement(t *testing.T) {
	for _, tt := range []struct {
		name string
		deny string
		ctx  map[string][]string
		want Decision
	}{
		{"negated condition on a missing variable", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceOrgID":"${aws:PrincipalOrgID}"}}}`,
			map[string][]string{"aws:ResourceOrgID": {"o-owner"}}, Allow},
		{"the same with the variable present and different", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceOrgID":"${aws:PrincipalOrgID}"}}}`,
			map[string][]string{"aws:ResourceOrgID": {"o-owner"}, "aws:PrincipalOrgID": {"o-consumer"}}, ExplicitDeny},
		{"NotResource with a missing variable", `{"Effect":"Deny","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*"}`,
			nil, Allow},
		{"multivalued key as a variable does not resolve", `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceTag/x":"${aws:TagKeys}"}}}`,
			map[string][]string{"aws:TagKeys": {"a", "b"}, "aws:ResourceTag/x": {"a"}}, Allow},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := getSecret(Principal{ARN: "arn:aws:sts::111111111111:assumed-role/reader/s1"})
			req.Context = tt.ctx
			set := Set{Identity: []Named{*named(t, "id", stmt(`{"Effect":"Allow","Action":"*","Resource":"*"},`+tt.deny))}}
			if got := Evaluate(req, set); got.Decision != tt.want {
				t.Fatalf("got %s, want %s\n%s", got.Decision, tt.want, got.Explain())
			}
		})
	}
}

func TestDenyThatDidNotFireIsNoMiss(t *testing.T) {
	set := Set{
		Identity: []Named{*named(t, "consumer", identityAllowsAll)},
		Resource: named(t, "secret", stmt(`{"Sid":"Allow","Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"secretsmanager:GetSecretValue","Resource":"*"},
			{"Sid":"DenyOthers","Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"222222222222"}}}`)),
	}
	got := Evaluate(getSecret(consumerSession()), set)
	if got.Decision != Allow || len(got.Misses) != 0 {
		t.Fatalf("got %s with misses %+v", got.Decision, got.Misses)
	}
}

func TestExplainListsMissesAndConditions(t *testing.T) {
	req := decrypt(consumerSession())
	req.Unknown = []string{"aws:SourceVpce"}
	set := Set{
		Identity: []Named{*named(t, "consumer", identityAllowsAll)},
		Resource: named(t, "key", stmt(`{"Sid":"ViaSM","Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}},
			{"Sid":"VPCE","Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}`)),
	}
	got := Evaluate(req, set).Explain()
	for _, want := range []string{
		"decision: allow",
		`near miss: resource key statement 1 "ViaSM" (line 1) Allow: Condition StringEquals kms:ViaService: expected [secretsmanager.eu-west-1.amazonaws.com], actual [secretsmanager.us-east-1.amazonaws.com]`,
		`depends on unknown aws:SourceVpce: resource key statement 2 "VPCE" (line 2) Allow StringEquals [vpce-1]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Explain lacks %q:\n%s", want, got)
		}
	}
}

func TestAccountRootUserIsAPrincipalOfItsAccount(t *testing.T) {
	root := Principal{ARN: "arn:aws:iam::222222222222:root"}
	set := Set{
		Identity: []Named{*named(t, "none", identityAllowsAll)},
		Resource: named(t, "secret", stmt(`{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`)),
	}
	if got := Evaluate(getSecret(root), set); got.Decision != Allow {
		t.Fatalf("got %s\n%s", got.Decision, got.Explain())
	}
}

func TestAHierarchyDenyNamesItsLevelInTheExplanation(t *testing.T) {
	full := Named{Name: "FullAWSAccess", Doc: mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}
	lock := Named{Name: "RegionLock", Doc: mustParse(t, `{"Statement":{"Sid":"Lock","Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}}`)}
	set := Set{
		Identity:  []Named{{Name: "id", Doc: mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}},
		SCPLevels: &Hierarchy{Levels: []Level{{Target: "r-root", Policies: []Named{full}}, {Target: "ou-prod", Policies: []Named{full, lock}}}},
	}
	req := Request{Principal: Principal{ARN: "arn:aws:sts::222222222222:assumed-role/app/s"}, Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:us-east-1:222222222222:secret:x-AbCdEf"}
	r := Evaluate(req, set)
	if r.Decision != ExplicitDeny {
		t.Fatalf("want explicit deny, got %s", r.Explain())
	}
	if !strings.Contains(r.Explain(), `scp RegionLock (attached to ou-prod) statement 1 "Lock" (line 1) Deny`) {
		t.Errorf("the explanation must name the policy, its target and the statement:\n%s", r.Explain())
	}
	if scp := r.Types[4]; scp.Type != TypeSCP || scp.Outcome != OutcomeDeny {
		t.Errorf("scp outcome = %+v", scp)
	}
	set.SCPLevels.Management = true
	if r := Evaluate(req, set); r.Decision != Allow || r.Types[4].Outcome != OutcomeExempt {
		t.Errorf("the management account is exempt: %s", r.Explain())
	}
}
