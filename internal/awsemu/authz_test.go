package awsemu

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, time.November, 29, 12, 0, 0, 0, time.UTC)

// sessionOf is the caller a role's session is, as the wire layer builds it after AssumeRole.
func sessionOf(t testing.TB, s *Scenario, roleARN string) Caller {
	t.Helper()
	r := s.RoleForSession(roleARN)
	if r == nil {
		t.Fatalf("no role %s in the scenario", roleARN)
	}
	return Caller{ARN: "arn:aws:sts::" + r.Account + ":assumed-role/" + r.Name + "/xsdoctor-live", Account: r.Account, Role: r}
}

// checkedSecret resolves check.secret the way the probe does: a full ARN as it stands, a name
// through the owner account.
func checkedSecret(t testing.TB, s *Scenario) *Secret {
	t.Helper()
	if strings.HasPrefix(s.Check.Secret, "arn:") {
		sec, err := s.Secret(s.Check.Secret, "", "")
		if err != nil {
			t.Fatalf("check.secret: %v", err)
		}
		return sec
	}
	for _, sec := range s.Secrets() {
		if sec.Name == s.Check.Secret {
			return sec
		}
	}
	t.Fatalf("check.secret %q names no secret", s.Check.Secret)
	return nil
}

// Findings that place a refusal on the Secrets Manager side or on the KMS side.
var (
	secretSideFindings = []string{"SECRET_POLICY_MISSING", "SECRET_POLICY_NO_ALLOW", "SECRET_POLICY_EXPLICIT_DENY",
		"SECRET_POLICY_CONDITION_MISMATCH", "SECRET_POLICY_STALE_PRINCIPAL", "IAM_NO_SECRET_ALLOW", "IAM_SECRET_RESOURCE_MISMATCH"}
	kmsSideFindings = []string{"KEY_AWS_MANAGED", "KEY_NOT_ENABLED", "KEY_POLICY_NO_ALLOW", "KEY_POLICY_EXPLICIT_DENY",
		"KEY_POLICY_CONDITION_MISMATCH", "IAM_NO_KMS_ALLOW", "IAM_KMS_ALIAS_RESOURCE"}
)

func hasAny(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

// For every shared scenario the emulator must answer the consumer's GetSecretValue the way the
// scenario's expected diagnosis says AWS would: allowed when all doors are open, refused on the
// side the findings name otherwise, and expect.live where the scenario gives it.
func TestGetSecretValueAgreesWithEverySharedScenario(t *testing.T) {
	for _, f := range sharedScenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, _, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if s.Expect == nil || s.Expect.ExitCode == nil {
				t.Fatal("the shared scenarios all carry expect.exit_code; this one does not")
			}
			e := s.Expect
			want := e.Live
			if want == "" {
				switch *e.ExitCode {
				case 0:
					want = "allowed"
				case 1:
					want = "denied"
				}
			}
			d := s.DecideGetSecretValue(sessionOf(t, s, s.Check.Consumer), checkedSecret(t, s), SecretRead{}, testNow)
			got := "allowed"
			if d.Err != nil {
				got = "denied"
			}
			t.Logf("expect.live %q, exit %d, findings %v: got %v", e.Live, *e.ExitCode, e.Findings, d.Err)
			if want == "" {
				// Exit code 3: a door is unknown to the inspector, so the file cannot say what
				// AWS answers; the emulator must still answer with a code AWS uses.
				if d.Err != nil && d.Err.Code != "AccessDeniedException" {
					t.Errorf("GetSecretValue failed with %v", d.Err)
				}
				return
			}
			if got != want {
				t.Fatalf("GetSecretValue %s (%v), scenario expects %s", got, d.Err, want)
			}
			if d.Err == nil {
				return
			}
			pending := hasAny(e.Findings, []string{"SECRET_PENDING_DELETION"})
			secretSide := e.Doors["secret-policy"] == "closed" || hasAny(e.Findings, secretSideFindings)
			kmsSide := e.Doors["key-policy"] == "closed" || hasAny(e.Findings, kmsSideFindings)
			switch {
			case pending && !secretSide:
				if d.Err.Code != "InvalidRequestException" || d.Err.Message != MessageMarkedDeletion {
					t.Errorf("pending deletion answered %v", d.Err)
				}
			case secretSide:
				if d.Err.Code != "AccessDeniedException" || !strings.HasPrefix(d.Err.Message, "User: ") {
					t.Errorf("a closed Secrets Manager side answered %v, want IAM's AccessDeniedException", d.Err)
				}
			case kmsSide:
				if d.Err.Code != "AccessDeniedException" || d.Err.Message != MessageKMSNotAllowed {
					t.Errorf("a closed KMS side answered %v, want %q", d.Err, MessageKMSNotAllowed)
				}
			default:
				if d.Err.Code != "AccessDeniedException" {
					t.Errorf("answered %v", d.Err)
				}
			}
		})
	}
}

// crossAccount is a scenario in which a consumer role reads an owner's secret with every door
// open; each case below closes one.
func crossAccount() map[string]any {
	doc := func(stmts ...map[string]any) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": stmts}
	}
	return map[string]any{
		"name": "cross-account",
		"accounts": map[string]any{
			"111111111111": map[string]any{
				"org_id": "o-owner00001",
				"keys": map[string]any{
					"1234abcd-12ab-34cd-56ef-1234567890ab": map[string]any{
						"aliases": []any{"alias/app"},
						"policy": doc(
							map[string]any{"Sid": "Root", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"},
							map[string]any{"Sid": "Consumer", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:Decrypt", "Resource": "*",
								"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}},
						),
					},
				},
				"secrets": map[string]any{
					"db": map[string]any{
						"suffix": "AbCdEf", "kms_key_id": "alias/app",
						"resource_policy": doc(map[string]any{"Sid": "Consumer", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::222222222222:role/app"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}),
					},
					"same": map[string]any{"suffix": "XyZ123"},
				},
				"roles": map[string]any{
					"reader": map[string]any{"inline_policies": map[string]any{"read": doc(map[string]any{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})}},
				},
			},
			"222222222222": map[string]any{
				"org_id": "o-consumer01",
				"roles": map[string]any{
					"app": map[string]any{"inline_policies": map[string]any{"read": doc(
						map[string]any{"Sid": "Read", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf"},
						map[string]any{"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
					)}},
				},
			},
		},
		"check": map[string]any{"secret": "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf", "consumer": "arn:aws:iam::222222222222:role/app"},
	}
}

func at(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func TestGetSecretValueIsRefusedWithAWSsCodesAndMessages(t *testing.T) {
	const (
		app       = "arn:aws:sts::222222222222:assumed-role/app/xsdoctor-live"
		secretARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf"
		prefix    = "User: " + app + " is not authorized to perform: secretsmanager:GetSecretValue on resource: " + secretARN
	)
	owner := []string{"accounts", "111111111111"}
	tests := []struct {
		name     string
		change   func(m map[string]any)
		secret   string
		consumer string
		code     string
		message  string
	}{
		{name: "every door open", change: func(map[string]any) {}},
		{name: "a secret without a resource policy", change: func(m map[string]any) {
			delete(at(m, append(owner, "secrets", "db")...), "resource_policy")
		}, code: "AccessDeniedException", message: prefix + " because no resource-based policy allows the secretsmanager:GetSecretValue action"},
		{name: "a resource policy that denies", change: func(m map[string]any) {
			at(m, append(owner, "secrets", "db")...)["resource_policy"] = map[string]any{"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
				map[string]any{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
					"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalOrgID": "o-owner00001"}}},
			}}
		}, code: "AccessDeniedException", message: prefix + " with an explicit deny in a resource-based policy"},
		{name: "a role without GetSecretValue", change: func(m map[string]any) {
			stmts := at(m, "accounts", "222222222222", "roles", "app", "inline_policies", "read")["Statement"].([]map[string]any)
			stmts[0]["Resource"] = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db"
		}, code: "AccessDeniedException", message: prefix + " because no identity-based policy allows the secretsmanager:GetSecretValue action"},
		{name: "an SCP that denies", change: func(m map[string]any) {
			at(m, "accounts", "222222222222")["scps"] = []any{map[string]any{"Version": "2012-10-17", "Statement": []any{
				map[string]any{"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
					"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:ResourceOrgID": "o-consumer01"}}}}}}
		}, code: "AccessDeniedException", message: prefix + " with an explicit deny in a service control policy"},
		{name: "a boundary without GetSecretValue", change: func(m map[string]any) {
			at(m, "accounts", "222222222222")["policies"] = map[string]any{"b": map[string]any{"document": map[string]any{"Version": "2012-10-17",
				"Statement": []any{map[string]any{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}}}}}
			at(m, "accounts", "222222222222", "roles", "app")["permissions_boundary"] = "arn:aws:iam::222222222222:policy/b"
		}, code: "AccessDeniedException", message: prefix + " because no permissions boundary allows the secretsmanager:GetSecretValue action"},
		{name: "a secret marked for deletion", change: func(m map[string]any) {
			at(m, append(owner, "secrets", "db")...)["deleted_date"] = "2026-11-01T00:00:00Z"
		}, code: "InvalidRequestException", message: "You can't perform this operation on the secret because it was marked for deletion."},
		{name: "a disabled key", change: func(m map[string]any) {
			at(m, append(owner, "keys", "1234abcd-12ab-34cd-56ef-1234567890ab")...)["state"] = "Disabled"
		}, code: "AccessDeniedException", message: "Access to KMS is not allowed"},
		{name: "a key pending deletion", change: func(m map[string]any) {
			at(m, append(owner, "keys", "1234abcd-12ab-34cd-56ef-1234567890ab")...)["state"] = "PendingDeletion"
		}, code: "AccessDeniedException", message: "Access to KMS is not allowed"},
		{name: "a key policy whose kms:ViaService names another region", change: func(m map[string]any) {
			k := at(m, append(owner, "keys", "1234abcd-12ab-34cd-56ef-1234567890ab")...)
			stmts := k["policy"].(map[string]any)["Statement"].([]map[string]any)
			stmts[1]["Condition"] = map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}
		}, code: "AccessDeniedException", message: "Access to KMS is not allowed"},
		{name: "a role without kms:Decrypt", change: func(m map[string]any) {
			stmts := at(m, "accounts", "222222222222", "roles", "app", "inline_policies", "read")["Statement"].([]map[string]any)
			stmts[1]["Resource"] = "arn:aws:kms:us-east-1:111111111111:alias/app"
		}, code: "AccessDeniedException", message: "Access to KMS is not allowed"},
		{name: "the AWS managed key, across accounts", change: func(m map[string]any) {
			delete(at(m, append(owner, "secrets", "db")...), "kms_key_id")
			stmts := at(m, "accounts", "222222222222", "roles", "app", "inline_policies", "read")["Statement"].([]map[string]any)
			stmts[1]["Resource"] = "*"
		}, code: "AccessDeniedException", message: "Access to KMS is not allowed"},
		{name: "a grant where the key policy is silent", change: func(m map[string]any) {
			k := at(m, append(owner, "keys", "1234abcd-12ab-34cd-56ef-1234567890ab")...)
			stmts := k["policy"].(map[string]any)["Statement"].([]map[string]any)
			k["policy"].(map[string]any)["Statement"] = stmts[:1]
			k["grants"] = []any{map[string]any{"grantee_principal": "arn:aws:iam::222222222222:role/app", "operations": []any{"Decrypt"},
				"constraints": map[string]any{"encryption_context_subset": map[string]any{"SecretARN": secretARN}}}}
		}},
		{name: "the AWS managed key, in its own account", secret: "arn:aws:secretsmanager:us-east-1:111111111111:secret:same-XyZ123",
			consumer: "arn:aws:iam::111111111111:role/reader", change: func(map[string]any) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := crossAccount()
			tt.change(m)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			consumer := firstNonEmpty(tt.consumer, "arn:aws:iam::222222222222:role/app")
			sec, serr := s.Secret(firstNonEmpty(tt.secret, secretARN), "", "")
			if serr != nil {
				t.Fatal(serr)
			}
			got := s.AuthorizeGetSecretValue(sessionOf(t, s, consumer), sec, testNow)
			switch {
			case tt.code == "" && got != nil:
				t.Errorf("refused: %v", got)
			case tt.code != "" && got == nil:
				t.Errorf("allowed, want %s: %s", tt.code, tt.message)
			case tt.code != "" && (got.Code != tt.code || got.Message != tt.message):
				t.Errorf("got  %s: %s\nwant %s: %s", got.Code, got.Message, tt.code, tt.message)
			}
		})
	}
}

// The operator is an administrator of its own account, outside the scenario: only a resource
// policy naming it would let it read another account's secret.
func TestTheOperatorNeedsTheResourceSideAcrossAccounts(t *testing.T) {
	data, _ := json.Marshal(crossAccount())
	s, _, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := s.Secret("arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf", "", "")
	op := Caller{ARN: DefaultOperator, Account: "999999999999"}
	got := s.AuthorizeGetSecretValue(op, sec, testNow)
	if got == nil || !strings.Contains(got.Message, "because no resource-based policy allows") {
		t.Errorf("operator from outside = %v", got)
	}
}
