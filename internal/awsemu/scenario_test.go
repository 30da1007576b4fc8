package awsemu

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scenarioDir is where the shared scenarios live; XSDOCTOR_SCENARIOS names another directory.
func scenarioDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("XSDOCTOR_SCENARIOS"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "..", "shared", "scenarios")
}

func sharedScenarioFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(scenarioDir(t), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scenarios in %s (set XSDOCTOR_SCENARIOS to the directory holding them)", scenarioDir(t))
	}
	return files
}

func loadModel(t testing.TB) *Scenario {
	t.Helper()
	s, warnings, err := Load(filepath.Join("testdata", "scenarios", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Fatalf("unexpected warnings: %q", warnings)
	}
	return s
}

func TestEverySharedScenarioLoadsWithoutWarnings(t *testing.T) {
	for _, f := range sharedScenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, warnings, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range warnings {
				t.Errorf("warning: %s", w)
			}
			if s.Name == "" || s.Check.Secret == "" || len(s.AccountIDs) == 0 {
				t.Errorf("loaded an empty scenario: name %q, check.secret %q, %d accounts", s.Name, s.Check.Secret, len(s.AccountIDs))
			}
			for _, sec := range s.Secrets() {
				if sec.Key == nil {
					t.Errorf("secret %s has no key", sec.ARN)
				}
				if sec.KMSKeyID == "" && (sec.Key.Manager != ManagerAWS || sec.Key.Account != sec.Account || sec.Key.Region != sec.Region) {
					t.Errorf("secret %s without kms_key_id is encrypted with %s (%s), want its account's aws/secretsmanager", sec.ARN, sec.Key.ARN, sec.Key.Manager)
				}
			}
			if _, err := s.Secret(s.Check.Secret, "", ""); err != nil && strings.HasPrefix(s.Check.Secret, "arn:") {
				t.Errorf("check.secret %s: %v", s.Check.Secret, err)
			}
		})
	}
}

func TestDefaultsAreApplied(t *testing.T) {
	s := loadModel(t)
	if s.Region != "us-east-1" || s.Operator != DefaultOperator {
		t.Errorf("region %q operator %q, want us-east-1 and %s", s.Region, s.Operator, DefaultOperator)
	}
	owner := s.Accounts["111111111111"]
	r := owner.Roles["owner-admin"]
	if r.Path != "/" || r.ARN != "arn:aws:iam::111111111111:role/owner-admin" || !r.IsAssumable() {
		t.Errorf("role defaults: path %q arn %q assumable %v", r.Path, r.ARN, r.IsAssumable())
	}
	app := s.Accounts["222222222222"].Roles["app"]
	if app.ARN != "arn:aws:iam::222222222222:role/service/app" {
		t.Errorf("role ARN with path = %s", app.ARN)
	}
	if s.Accounts["222222222222"].Roles["locked"].IsAssumable() {
		t.Error("assumable: false was not kept")
	}
	k := owner.Keys["1234abcd-12ab-34cd-56ef-1234567890ab"]
	if k.Region != "us-east-1" || k.Manager != ManagerCustomer || k.State != StateEnabled {
		t.Errorf("key defaults: %s %s %s", k.Region, k.Manager, k.State)
	}
	sec := owner.Secrets["shared"]
	if sec.Region != "us-east-1" || sec.ARN != "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared-AbCdEf" || sec.Key != k {
		t.Errorf("secret: region %s arn %s key %v", sec.Region, sec.ARN, sec.Key)
	}
	if got := s.Accounts["111111111111"].Secrets["in-ireland"].Key; got == nil || got.Region != "eu-west-1" || got.State != StateDisabled {
		t.Errorf("an alias name resolves in the secret's own region: got %+v", got)
	}
	mp, err := s.Policy("arn:aws:iam::222222222222:policy/guardrails/boundary")
	if err != nil || mp.Path != "/guardrails/" || mp.DefaultVersion != "v1" {
		t.Errorf("customer managed policy: %+v %v", mp, err)
	}
}

// The default key policy lets the account's IAM policies decide (KMS: "Default key policy").
func TestCustomerKeyWithoutPolicyGetsTheDefaultKeyPolicy(t *testing.T) {
	s := loadModel(t)
	var labelled *Key
	for _, k := range s.Keys() {
		if k.Region == "eu-west-1" && k.Manager == ManagerCustomer {
			labelled = k
		}
	}
	if labelled == nil {
		t.Fatal("the labelled key was not loaded")
	}
	if got, want := labelled.Policy.String(), DefaultKeyPolicy("111111111111"); got != want {
		t.Errorf("policy = %s\nwant %s", got, want)
	}
	for _, want := range []string{`"arn:aws:iam::111111111111:root"`, `"Action": "kms:*"`} {
		if !strings.Contains(labelled.Policy.String(), want) {
			t.Errorf("default key policy lacks %s", want)
		}
	}
}

func TestAWSManagedKeyIsCreatedOncePerAccountAndRegionWithAWSsPolicy(t *testing.T) {
	s := loadModel(t)
	owner := s.Accounts["111111111111"]
	dflt, also := owner.Secrets["default-key"].Key, owner.Secrets["also-default-key"].Key
	if dflt == nil || dflt != also {
		t.Fatalf("secrets without kms_key_id and with alias/aws/secretsmanager use %v and %v, want the same AWS managed key", dflt, also)
	}
	if dflt.Manager != ManagerAWS || dflt.State != StateEnabled || dflt.Region != "us-east-1" || dflt.Account != "111111111111" {
		t.Errorf("AWS managed key: %+v", dflt)
	}
	if dflt.ID != KeyID("111111111111", "us-east-1", AWSManagedSecretsAlias) || !regexp.MustCompile(uuidPattern).MatchString(dflt.ID) {
		t.Errorf("AWS managed key id %s is not derived", dflt.ID)
	}
	policy := dflt.Policy.String()
	if policy != AWSManagedSecretsKeyPolicy("111111111111", "us-east-1") {
		t.Errorf("policy = %s", policy)
	}
	for _, want := range []string{
		`"kms:CallerAccount": "111111111111"`,
		`"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"`,
		`"Principal": {` + "\n" + `        "AWS": "*"`,
		`"kms:Encrypt"`, `"kms:Decrypt"`, `"kms:ReEncrypt*"`, `"kms:GenerateDataKey*"`, `"kms:CreateGrant"`, `"kms:DescribeKey"`,
		`"AWS": "arn:aws:iam::111111111111:root"`, `"kms:Describe*"`, `"kms:Get*"`, `"kms:List*"`, `"kms:RevokeGrant"`,
	} {
		if !strings.Contains(policy, want) {
			t.Errorf("AWS managed key policy lacks %s:\n%s", want, policy)
		}
	}
	aliases := s.Aliases("111111111111", "us-east-1", nil)
	var names []string
	for _, a := range aliases {
		names = append(names, a.Name+"->"+a.Key.ID)
	}
	want := []string{"alias/aws/secretsmanager->" + dflt.ID, "alias/shared->1234abcd-12ab-34cd-56ef-1234567890ab"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("ListAliases = %v, want %v", names, want)
	}
	// The consumer account holds no secret, and eu-west-1 only one with a customer managed key.
	if got := s.Aliases("222222222222", "us-east-1", nil); len(got) != 0 {
		t.Errorf("consumer account has aliases %v", got)
	}
	if got := s.Aliases("111111111111", "eu-west-1", nil); len(got) != 1 || got[0].Name != "alias/ireland" {
		t.Errorf("eu-west-1 has aliases %v, want only alias/ireland (its secret names a key)", got)
	}
	managed := 0
	for _, k := range s.Keys() {
		if k.Manager == ManagerAWS {
			managed++
		}
	}
	if managed != 1 {
		t.Errorf("%d AWS managed keys, want 1", managed)
	}
}

const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`

func TestDerivedIDsAreDeterministicAndShapedLikeAWSs(t *testing.T) {
	a, b := loadModel(t), loadModel(t)
	app := a.Accounts["222222222222"].Roles["app"]
	if app.ID != b.Accounts["222222222222"].Roles["app"].ID || app.ID != RoleID("222222222222", "app") {
		t.Errorf("role id %s is not deterministic", app.ID)
	}
	if !regexp.MustCompile(`^AROA[A-Z2-7]{17}$`).MatchString(app.ID) {
		t.Errorf("role id %s is not AROA and 17 base32 characters", app.ID)
	}
	if RoleID("222222222222", "app") == RoleID("333333333333", "app") || RoleID("222222222222", "app") == RoleID("222222222222", "app2") {
		t.Error("role ids collide across accounts or names")
	}
	sec := a.Accounts["111111111111"].Secrets["default-key"]
	if sec.Suffix != b.Accounts["111111111111"].Secrets["default-key"].Suffix || !regexp.MustCompile(`^[A-Za-z0-9]{6}$`).MatchString(sec.Suffix) {
		t.Errorf("suffix %q is not six deterministic letters or digits", sec.Suffix)
	}
	if !strings.HasSuffix(sec.ARN, ":secret:default-key-"+sec.Suffix) {
		t.Errorf("ARN %s does not end with the derived suffix", sec.ARN)
	}
	if sec.VersionID != VersionID(sec.ARN) || !regexp.MustCompile(uuidPattern).MatchString(sec.VersionID) {
		t.Errorf("version id %q is not a derived UUID", sec.VersionID)
	}
	if sec.VersionID == a.Accounts["111111111111"].Secrets["shared"].VersionID {
		t.Error("two secrets share a version id")
	}
	var labelled *Key
	for _, k := range a.Keys() {
		if k.Region == "eu-west-1" {
			labelled = k
		}
	}
	if labelled.ID != KeyID("111111111111", "eu-west-1", "labelled-key") || !regexp.MustCompile(uuidPattern).MatchString(labelled.ID) {
		t.Errorf("labelled key id %q is not derived", labelled.ID)
	}
	g := a.Accounts["111111111111"].Keys["1234abcd-12ab-34cd-56ef-1234567890ab"].Grants[0]
	if g.ID != b.Accounts["111111111111"].Keys["1234abcd-12ab-34cd-56ef-1234567890ab"].Grants[0].ID || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(g.ID) {
		t.Errorf("grant id %q is not 64 deterministic hex digits", g.ID)
	}
	if g.KeyID != "1234abcd-12ab-34cd-56ef-1234567890ab" || g.IssuingAccount != "arn:aws:iam::111111111111:root" {
		t.Errorf("grant key %s issuing account %s", g.KeyID, g.IssuingAccount)
	}
	if mp, _ := a.Policy("arn:aws:iam::aws:policy/SecretsReader"); mp == nil || !regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`).MatchString(mp.ID) {
		t.Errorf("managed policy id: %+v", mp)
	}
}

// minimal is a valid scenario that the validation cases below break one field at a time.
const minimal = `{
  "name": "minimal",
  "accounts": {
    "111111111111": {
      "roles": {"app": {"inline_policies": {"p": {"Version": "2012-10-17", "Statement": []}}}},
      "keys": {"1234abcd-12ab-34cd-56ef-1234567890ab": {"policy": {"Version": "2012-10-17", "Statement": []}}},
      "secrets": {"s": {"kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"}}
    }
  },
  "check": {"secret": "s", "consumer": "arn:aws:iam::111111111111:role/app"}
}`

func TestLoadErrorsAreNamedByJSONPath(t *testing.T) {
	tests := []struct {
		name, from, to, want string
	}{
		{"a boolean given as a string", `"app": {`, `"app": {"assumable": "yes", `,
			"accounts.111111111111.roles.app.assumable: want true or false, got string"},
		{"a key policy given as a string", `"policy": {"Version": "2012-10-17", "Statement": []}`, `"policy": "{}"`,
			"accounts.111111111111.keys.1234abcd-12ab-34cd-56ef-1234567890ab.policy: want a policy document (a JSON object), got string"},
		{"a list given as an object", `"app": {`, `"app": {"managed_policies": {}, `,
			"accounts.111111111111.roles.app.managed_policies: want an array, got object"},
		{"a dangling managed policy", `"app": {`, `"app": {"managed_policies": ["arn:aws:iam::111111111111:policy/nope"], `,
			"accounts.111111111111.roles.app.managed_policies[0]: no policy arn:aws:iam::111111111111:policy/nope is defined"},
		{"a dangling AWS managed policy", `"app": {`, `"app": {"managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"], `,
			"accounts.111111111111.roles.app.managed_policies[0]: no policy arn:aws:iam::aws:policy/ReadOnlyAccess is defined"},
		{"a dangling permissions boundary", `"app": {`, `"app": {"permissions_boundary": "arn:aws:iam::111111111111:policy/b", `,
			"accounts.111111111111.roles.app.permissions_boundary: no policy arn:aws:iam::111111111111:policy/b is defined"},
		{"a dangling kms_key_id", `"kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"`, `"kms_key_id": "alias/nope"`,
			"accounts.111111111111.secrets.s.kms_key_id: Alias arn:aws:kms:us-east-1:111111111111:alias/nope is not found."},
		{"a kms_key_id in an account the scenario lacks", `"kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"`, `"kms_key_id": "arn:aws:kms:us-east-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"`,
			"accounts.111111111111.secrets.s.kms_key_id: Key 'arn:aws:kms:us-east-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist"},
		{"a key in another region than its secret", `"s": {`, `"s": {"region": "eu-west-1", "kms_key_id": "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, "s2": {`,
			"accounts.111111111111.secrets.s.kms_key_id: the key is in us-east-1; Secrets Manager encrypts a secret with a key in its own region (eu-west-1)"},
		{"a key state KMS does not have", `"policy": {`, `"state": "Broken", "policy": {`,
			`accounts.111111111111.keys.1234abcd-12ab-34cd-56ef-1234567890ab.state: "Broken" is not a KMS key state`},
		{"a secret suffix of the wrong length", `"s": {`, `"s": {"suffix": "abc", `,
			`accounts.111111111111.secrets.s.suffix: "abc" is not six letters or digits`},
		{"an account id that is not 12 digits", `"111111111111": {`, `"11111": {`,
			"accounts.11111: an account id is 12 digits"},
		{"two management accounts for one organization", `"111111111111": {`, `"111111111111": {"org_id": "o-zzzzzzzzzz", "org_management": true}, "222222222222": {"org_id": "o-zzzzzzzzzz", "org_management": true}, "333333333333": {`,
			"accounts.222222222222.org_management: o-zzzzzzzzzz already has its management account 111111111111"},
		{"a missing name", `"name": "minimal",`, ``, "name: required"},
		{"a missing check secret", `"secret": "s", `, ``, "check.secret: required"},
		{"a simulation decision IAM does not have", `"app": {`, `"app": {"simulation": {"kms:Decrypt": "deny"}, `,
			`accounts.111111111111.roles.app.simulation.kms:Decrypt: "deny" is not allowed, implicitDeny or explicitDeny`},
		{"a fault with neither error nor latency", `"check"`, `"faults": [{"call": "kms:Decrypt"}], "check"`,
			"faults[0]: a fault needs error or latency_ms"},
		{"a number given as a string", `"check"`, `"faults": [{"call": "*", "latency_ms": "5"}], "check"`,
			"faults[0].latency_ms: want an integer, got string"},
		{"an alias in the reserved aws/ namespace", `"policy": {`, `"aliases": ["alias/aws/mine"], "policy": {`,
			"alias/aws/ is reserved for AWS managed keys"},
		{"text that is not JSON", `"name"`, `name`, "(top level): not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(minimal, tt.from, tt.to, 1)
			if data == minimal {
				t.Fatalf("the case does not change the scenario (%q not found)", tt.from)
			}
			_, _, err := Parse([]byte(data))
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Parse = %v, want a *LoadError", err)
			}
			for _, p := range le.Problems {
				if strings.Contains(p, tt.want) {
					return
				}
			}
			t.Errorf("problems %q do not include %q", le.Problems, tt.want)
		})
	}
}

func TestTheMinimalScenarioLoads(t *testing.T) {
	if _, warnings, err := Parse([]byte(minimal)); err != nil || len(warnings) > 0 {
		t.Fatalf("Parse(minimal) = %v, warnings %q", err, warnings)
	}
}

func TestUnknownFieldsAreIgnoredWithAWarning(t *testing.T) {
	data := strings.Replace(minimal, `"app": {`, `"app": {"colour": "blue", `, 1)
	data = strings.Replace(data, `"name": "minimal",`, `"name": "minimal", "owner": "me",`, 1)
	s, warnings, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accounts.111111111111.roles.app.colour: unknown field, ignored", "owner: unknown field, ignored"}
	if strings.Join(warnings, "|") != strings.Join(want, "|") {
		t.Errorf("warnings = %q, want %q", warnings, want)
	}
	if s.Accounts["111111111111"].Roles["app"] == nil {
		t.Error("the role with an unknown field was dropped")
	}
}

func TestLoadNamesTheFileInItsError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(path, []byte(strings.Replace(minimal, `"name": "minimal",`, ``, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "name: required") {
		t.Errorf("Load = %v, want the path and the problem", err)
	}
	if _, _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestSecretIDsResolveAsSecretsManagerResolvesThem(t *testing.T) {
	s := loadModel(t)
	full := "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared-AbCdEf"
	tests := []struct {
		name, id, account, region string
		found                     bool
	}{
		{"a full ARN from another account", full, "222222222222", "us-east-1", true},
		{"a partial ARN without the suffix", "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared", "222222222222", "us-east-1", true},
		{"a name in the caller's own account", "shared", "111111111111", "us-east-1", true},
		{"a name from another account", "shared", "222222222222", "us-east-1", false},
		{"a name in the wrong region", "shared", "111111111111", "eu-west-1", false},
		{"an ARN with a wrong suffix", "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared-XXXXXX", "111111111111", "us-east-1", false},
		{"an ARN in the wrong region", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:shared-AbCdEf", "111111111111", "us-east-1", false},
		{"a secret in another region than the endpoint's, by its ARN", s.Accounts["111111111111"].Secrets["in-ireland"].ARN, "111111111111", "us-east-1", true},
		{"a secret by its ARN at its region's endpoint", s.Accounts["111111111111"].Secrets["in-ireland"].ARN, "222222222222", "eu-west-1", true},
		{"nothing", "", "111111111111", "us-east-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec, err := s.Secret(tt.id, tt.account, tt.region)
			if tt.found != (err == nil) {
				t.Fatalf("Secret(%q) = %v, %v", tt.id, sec, err)
			}
			if err != nil && (err.Code != "ResourceNotFoundException" || err.Message != "Secrets Manager can't find the specified secret.") {
				t.Errorf("error = %v", err)
			}
		})
	}
}

func TestKeyIDsResolveAsKMSResolvesThem(t *testing.T) {
	s := loadModel(t)
	const id = "1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		name, ref, account, wantCode string
	}{
		{"a key id in the caller's account", id, "111111111111", ""},
		{"a key ARN from another account", "arn:aws:kms:us-east-1:111111111111:key/" + id, "222222222222", ""},
		{"an alias name in the caller's account", "alias/shared", "111111111111", ""},
		{"an alias ARN from another account", "arn:aws:kms:us-east-1:111111111111:alias/shared", "222222222222", ""},
		{"a key id from another account", id, "222222222222", "NotFoundException"},
		{"an alias name from another account", "alias/shared", "222222222222", "NotFoundException"},
		{"an unknown alias", "alias/nope", "111111111111", "NotFoundException"},
		{"garbage", "not-a-key", "111111111111", "NotFoundException"},
		{"a key ARN of another region than the endpoint's", "arn:aws:kms:eu-west-1:111111111111:key/" + id, "111111111111", "NotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := s.Key(tt.ref, tt.account, "us-east-1")
			switch {
			case tt.wantCode == "" && (err != nil || k.ID != id):
				t.Errorf("Key(%q) = %v, %v", tt.ref, k, err)
			case tt.wantCode != "" && (err == nil || err.Code != tt.wantCode):
				t.Errorf("Key(%q) = %v, %v; want %s", tt.ref, k, err, tt.wantCode)
			}
		})
	}
	if _, err := s.Key("arn:aws:kms:eu-west-1:111111111111:key/"+id, "111111111111", "us-east-1"); err == nil || err.Message != "Invalid arn eu-west-1" {
		t.Errorf("another region's key ARN = %v, want KMS's \"Invalid arn eu-west-1\"", err)
	}
	if _, err := s.Key("alias/aws/secretsmanager", "222222222222", "us-east-1"); err == nil {
		t.Error("DescribeKey created an AWS managed key where no secret needed one")
	}
}

func TestRolesPoliciesAndOrganizationsAreFound(t *testing.T) {
	s := loadModel(t)
	if r, err := s.Role("222222222222", "app"); err != nil || r.Name != "app" {
		t.Errorf("Role by name = %v, %v", r, err)
	}
	if r, err := s.Role("", "arn:aws:iam::222222222222:role/service/app"); err != nil || r.Name != "app" {
		t.Errorf("Role by ARN = %v, %v", r, err)
	}
	if _, err := s.Role("", "arn:aws:iam::222222222222:role/app"); err == nil || err.Code != "NoSuchEntity" {
		t.Errorf("Role by an ARN without its path = %v, want NoSuchEntity", err)
	}
	if _, err := s.Role("111111111111", "app"); err == nil || err.Message != "The role with name app cannot be found." {
		t.Errorf("Role in the wrong account = %v", err)
	}
	if r := s.RoleForSession("arn:aws:sts::222222222222:assumed-role/app/s1"); r == nil || r.ARN != "arn:aws:iam::222222222222:role/service/app" {
		t.Errorf("RoleForSession = %v", r)
	}
	if mp, err := s.PolicyVersion("arn:aws:iam::aws:policy/SecretsReader", "v1"); err != nil || !mp.AWSManaged {
		t.Errorf("AWS managed policy v1 = %v, %v", mp, err)
	}
	if _, err := s.PolicyVersion("arn:aws:iam::aws:policy/SecretsReader", "v2"); err == nil || err.Code != "NoSuchEntity" {
		t.Errorf("policy version v2 = %v, want NoSuchEntity", err)
	}
	org, err := s.Organization("222222222222")
	if err != nil || org.ID != "o-abcdef1234" || org.ManagementAccountID != "111111111111" || org.ARN != "arn:aws:organizations::111111111111:organization/o-abcdef1234" {
		t.Errorf("Organization = %+v, %v", org, err)
	}
	if s.SCPsFor("111111111111") != nil || len(s.SCPsFor("222222222222")) != 1 {
		t.Error("SCPs must apply to members and never to the management account")
	}
	if _, err := s.Organization("999999999999"); err == nil || err.Code != "AWSOrganizationsNotInUseException" {
		t.Errorf("Organization outside = %v", err)
	}
	outside, _, perr := Parse([]byte(strings.Replace(minimal, `"111111111111": {`, `"111111111111": {"org_id": "o-zzzzzzzzzz", `, 1)))
	if perr != nil {
		t.Fatal(perr)
	}
	org, _ = outside.Organization("111111111111")
	if org.ManagementInScenario || org.ManagementAccountID == "111111111111" || !regexp.MustCompile(`^[1-9][0-9]{11}$`).MatchString(org.ManagementAccountID) {
		t.Errorf("management account outside the scenario = %+v", org)
	}
	locked := s.Accounts["222222222222"].Roles["locked"]
	if !locked.CallDenied("kms:GetKeyPolicy") || locked.CallDenied("kms:DescribeKey") {
		t.Error("denied_calls not honoured")
	}
}

// FuzzParse checks that no input makes the loader panic, and that whatever loads derives the
// same ids when loaded again.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	if data, err := os.ReadFile(filepath.Join("testdata", "scenarios", "model.json")); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"name": 1, "accounts": [], "check": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, _, err := Parse(data)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("Parse error %v is not a LoadError with problems", err)
			}
			return
		}
		b, _, err := Parse(data)
		if err != nil {
			t.Fatalf("second Parse failed: %v", err)
		}
		for i, sec := range a.Secrets() {
			if other := b.Secrets()[i]; other.ARN != sec.ARN || other.VersionID != sec.VersionID {
				t.Fatalf("secret %s derived differently: %s %s", sec.ARN, other.ARN, other.VersionID)
			}
		}
		for i, k := range a.Keys() {
			if b.Keys()[i].ARN != k.ARN {
				t.Fatalf("key %s derived differently", k.ARN)
			}
		}
	})
}

// BenchmarkLoad measures scenario start-up: reading, decoding, validating and indexing the
// largest shared scenario (the SPEC asks start-up under 50 ms).
func BenchmarkLoad(b *testing.B) {
	var largest string
	var size int64
	for _, f := range sharedScenarioFiles(b) {
		if st, err := os.Stat(f); err == nil && st.Size() > size {
			largest, size = f, st.Size()
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Load(largest); err != nil {
			b.Fatal(err)
		}
	}
}
