package awsemu

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	ownerSecret = "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared-AbCdEf"
	ownerKey    = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func simulateOne(t *testing.T, s *Scenario, role *Role, in SimulationInput) EvaluationResult {
	t.Helper()
	res, err := s.Simulate(role, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("%d results, want 1", len(res))
	}
	return res[0]
}

func TestSimulationAnswersForTheIdentitySideOfAnotherAccountsSecret(t *testing.T) {
	s := loadModel(t)
	app := s.Accounts["222222222222"].Roles["app"]
	r := simulateOne(t, s, app, SimulationInput{ActionNames: []string{"secretsmanager:GetSecretValue"}, ResourceArns: []string{ownerSecret}})
	if r.EvalDecision != SimAllowed {
		t.Errorf("EvalDecision = %s, want allowed: no resource policy is simulated, so the identity side decides", r.EvalDecision)
	}
	// The allowing statement is the AWS managed policy's only statement.
	wantMatched := []MatchedStatement{{SourcePolicyID: "SecretsReader", SourcePolicyType: "aws-managed", StartLine: 4, StartColumn: 5, EndLine: 8, EndColumn: 6}}
	if diff := cmp.Diff(wantMatched, r.MatchedStatements); diff != "" {
		t.Errorf("MatchedStatements (-want +got):\n%s", diff)
	}
	if r.OrganizationsDecisionDetail == nil || !r.OrganizationsDecisionDetail.AllowedByOrganizations {
		t.Errorf("OrganizationsDecisionDetail = %+v, want allowed (the account is in an organization)", r.OrganizationsDecisionDetail)
	}
	if r.PermissionsBoundaryDecisionDetail == nil || !r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("PermissionsBoundaryDecisionDetail = %+v, want allowed", r.PermissionsBoundaryDecisionDetail)
	}
	if r.EvalDecisionDetails["IAM Policy"] != SimAllowed {
		t.Errorf("EvalDecisionDetails = %v, want the identity side for a cross-account resource", r.EvalDecisionDetails)
	}
	if len(r.ResourceSpecificResults) != 1 || r.ResourceSpecificResults[0].EvalResourceName != ownerSecret || r.ResourceSpecificResults[0].EvalResourceDecision != SimAllowed {
		t.Errorf("ResourceSpecificResults = %+v", r.ResourceSpecificResults)
	}
	if r.MissingContextValues != nil {
		t.Errorf("top-level MissingContextValues = %v, want none for a named resource", r.MissingContextValues)
	}
}

// A role's simulation map replaces EvalDecision and leaves the rest as computed (SPEC §6).
func TestARolesSimulationMapOverridesOnlyEvalDecision(t *testing.T) {
	s := loadModel(t)
	app := s.Accounts["222222222222"].Roles["app"]
	r := simulateOne(t, s, app, SimulationInput{ActionNames: []string{"kms:Decrypt"}, ResourceArns: []string{ownerKey}})
	if r.EvalDecision != SimExplicitDeny {
		t.Errorf("EvalDecision = %s, want the simulation map's explicitDeny", r.EvalDecision)
	}
	if got := r.ResourceSpecificResults[0].EvalResourceDecision; got != SimAllowed {
		t.Errorf("EvalResourceDecision = %s, want the computed allowed", got)
	}
	if len(r.MatchedStatements) != 1 || r.MatchedStatements[0].SourcePolicyID != "decrypt" || r.MatchedStatements[0].SourcePolicyType != "role" {
		t.Errorf("MatchedStatements = %+v, want the inline policy decrypt", r.MatchedStatements)
	}
}

func TestSCPsAndBoundariesShowInTheirDecisionDetails(t *testing.T) {
	s := loadModel(t)
	app := s.Accounts["222222222222"].Roles["app"]
	withAdmin := SimulationInput{PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}}

	in := withAdmin
	in.ActionNames = []string{"kms:ScheduleKeyDeletion"}
	r := simulateOne(t, s, app, in)
	if r.EvalDecision != SimExplicitDeny || r.OrganizationsDecisionDetail == nil || r.OrganizationsDecisionDetail.AllowedByOrganizations {
		t.Errorf("an SCP deny: EvalDecision %s, OrganizationsDecisionDetail %+v", r.EvalDecision, r.OrganizationsDecisionDetail)
	}
	for _, m := range r.MatchedStatements {
		if m.SourcePolicyType == "" || strings.HasPrefix(m.SourcePolicyID, "scp") {
			t.Errorf("an SCP statement is listed in MatchedStatements: %+v", m)
		}
	}

	in = withAdmin
	in.ActionNames = []string{"iam:GetRole"}
	r = simulateOne(t, s, app, in)
	if r.EvalDecision != SimImplicitDeny || r.PermissionsBoundaryDecisionDetail == nil || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("outside the boundary: EvalDecision %s, PermissionsBoundaryDecisionDetail %+v", r.EvalDecision, r.PermissionsBoundaryDecisionDetail)
	}
	if r.OrganizationsDecisionDetail == nil || !r.OrganizationsDecisionDetail.AllowedByOrganizations {
		t.Errorf("the SCP does not deny iam:GetRole: %+v", r.OrganizationsDecisionDetail)
	}

	// PermissionsBoundaryPolicyInputList replaces the attached boundary.
	in = SimulationInput{ActionNames: []string{"secretsmanager:GetSecretValue"}, ResourceArns: []string{ownerSecret},
		PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`}}
	r = simulateOne(t, s, app, in)
	if r.EvalDecision != SimImplicitDeny || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("a boundary input without secretsmanager: EvalDecision %s, detail %+v", r.EvalDecision, r.PermissionsBoundaryDecisionDetail)
	}

	// The management account is in the organization but no SCP restricts it.
	admin := s.Accounts["111111111111"].Roles["owner-admin"]
	r = simulateOne(t, s, admin, SimulationInput{ActionNames: []string{"kms:ScheduleKeyDeletion"}})
	if r.EvalDecision != SimAllowed || r.OrganizationsDecisionDetail == nil || !r.OrganizationsDecisionDetail.AllowedByOrganizations || r.PermissionsBoundaryDecisionDetail != nil {
		t.Errorf("management account: %+v", r)
	}
}

// The simulator fills nothing in: a condition on aws:PrincipalOrgID fails even though the
// role's account is in that organization, and the key shows in MissingContextValues until a
// ContextEntries member supplies it.
func TestTheSimulatorUsesOnlyTheRequestsContextEntries(t *testing.T) {
	s := loadModel(t)
	app := s.Accounts["222222222222"].Roles["app"]
	in := SimulationInput{
		ActionNames: []string{"secretsmanager:DescribeSecret"},
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Sid":"InOrg","Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":"*",
			"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdef1234"}}}]}`},
	}
	r := simulateOne(t, s, app, in)
	if r.EvalDecision != SimImplicitDeny {
		t.Errorf("without context: EvalDecision %s, want implicitDeny", r.EvalDecision)
	}
	if diff := cmp.Diff([]string{"aws:PrincipalOrgID"}, r.MissingContextValues); diff != "" {
		t.Errorf("MissingContextValues (-want +got):\n%s", diff)
	}
	if r.ResourceSpecificResults != nil || r.EvalResourceName != "*" {
		t.Errorf("resource * must answer at the top level: %+v", r)
	}

	in.ContextEntries = []ContextEntry{{Key: "aws:PrincipalOrgID", Type: "string", Values: []string{"o-abcdef1234"}}}
	r = simulateOne(t, s, app, in)
	if r.EvalDecision != SimAllowed || r.MissingContextValues != nil {
		t.Errorf("with context: EvalDecision %s, missing %v", r.EvalDecision, r.MissingContextValues)
	}
	if len(r.MatchedStatements) != 1 || r.MatchedStatements[0].SourcePolicyID != "PolicyInputList.1" {
		t.Errorf("MatchedStatements = %+v", r.MatchedStatements)
	}
}

func TestEveryActionIsSimulatedOnEveryResource(t *testing.T) {
	s := loadModel(t)
	app := s.Accounts["222222222222"].Roles["app"]
	res, err := s.Simulate(app, SimulationInput{ActionNames: []string{"secretsmanager:GetSecretValue", "kms:Decrypt"}, ResourceArns: []string{ownerSecret, ownerKey}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		got = append(got, r.EvalActionName+" "+r.EvalResourceName+" "+r.ResourceSpecificResults[0].EvalResourceDecision)
	}
	want := []string{
		"secretsmanager:GetSecretValue " + ownerSecret + " allowed",
		"secretsmanager:GetSecretValue " + ownerKey + " allowed",
		"kms:Decrypt " + ownerSecret + " implicitDeny",
		"kms:Decrypt " + ownerKey + " allowed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestAnExplicitDenyListsOnlyTheDenyingStatements(t *testing.T) {
	s := loadModel(t)
	app := s.Accounts["222222222222"].Roles["app"]
	r := simulateOne(t, s, app, SimulationInput{
		ActionNames:     []string{"secretsmanager:GetSecretValue"},
		ResourceArns:    []string{ownerSecret},
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Sid":"NoSecrets","Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}]}`},
	})
	if r.EvalDecision != SimExplicitDeny {
		t.Fatalf("EvalDecision = %s", r.EvalDecision)
	}
	if len(r.MatchedStatements) != 1 || r.MatchedStatements[0].SourcePolicyID != "PolicyInputList.1" {
		t.Errorf("MatchedStatements = %+v, want only the deny", r.MatchedStatements)
	}
}

func TestMalformedSimulationInputIsInvalidInput(t *testing.T) {
	s := loadModel(t)
	app := s.Accounts["222222222222"].Roles["app"]
	for name, in := range map[string]SimulationInput{
		"no actions":            {},
		"a policy that is text": {ActionNames: []string{"kms:Decrypt"}, PolicyInputList: []string{"not json"}},
		"a bad boundary":        {ActionNames: []string{"kms:Decrypt"}, PermissionsBoundaryPolicyInputList: []string{"{"}},
		"a bad resource policy": {ActionNames: []string{"kms:Decrypt"}, ResourcePolicy: "[]"},
	} {
		if _, err := s.Simulate(app, in); err == nil || err.Code != "InvalidInput" {
			t.Errorf("%s: %v, want InvalidInput", name, err)
		}
	}
}

func TestStatementSpansLocateEachStatement(t *testing.T) {
	text := []byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\"},\n    {\n      \"Effect\": \"Deny\"\n    }\n  ]\n}")
	want := [][4]int{{4, 5, 4, 24}, {5, 5, 7, 6}}
	if diff := cmp.Diff(want, statementSpans(text)); diff != "" {
		t.Errorf("array (-want +got):\n%s", diff)
	}
	single := []byte(`{"Statement": {"Effect": "Allow"}}`)
	if diff := cmp.Diff([][4]int{{1, 15, 1, 34}}, statementSpans(single)); diff != "" {
		t.Errorf("single statement (-want +got):\n%s", diff)
	}
	if statementSpans([]byte("nonsense")) != nil {
		t.Error("spans of non-JSON")
	}
}

// Keys that only an SCP needs are not MissingContextValues (IAM API reference: EvaluationResult).
func TestKeysOnlySCPsNeedAreNotListedAsMissing(t *testing.T) {
	data := strings.Replace(minimal, `"111111111111": {`, `"111111111111": {"org_id": "o-zzzzzzzzzz", "scps": [{"Version": "2012-10-17", "Statement": [
		{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}], `, 1)
	data = strings.Replace(data, `"Statement": []}}}}`, `"Statement": [{"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": "*"}]}}}}`, 1)
	s, _, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	r := simulateOne(t, s, s.Accounts["111111111111"].Roles["app"], SimulationInput{ActionNames: []string{"secretsmanager:DescribeSecret"}})
	if r.EvalDecision != SimAllowed || r.MissingContextValues != nil {
		t.Errorf("EvalDecision %s, MissingContextValues %v; want allowed and none", r.EvalDecision, r.MissingContextValues)
	}
}

// With a ResourcePolicy the simulator evaluates both sides; CallerArn is who the resource policy
// sees, and a resource in another account needs that policy to allow.
func TestAResourcePolicyIsEvaluatedForTheCaller(t *testing.T) {
	s := loadModel(t)
	app := s.Accounts["222222222222"].Roles["app"]
	allowApp := `{"Version":"2012-10-17","Statement":[{"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/service/app"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	in := SimulationInput{ActionNames: []string{"secretsmanager:GetSecretValue"}, ResourceArns: []string{ownerSecret},
		ResourcePolicy: allowApp, CallerArn: app.ARN}
	r := simulateOne(t, s, app, in)
	if r.EvalDecision != SimAllowed || r.EvalDecisionDetails["Resource Policy"] != SimAllowed {
		t.Errorf("resource policy naming the caller: %s %v", r.EvalDecision, r.EvalDecisionDetails)
	}
	var types []string
	for _, m := range r.MatchedStatements {
		types = append(types, m.SourcePolicyType)
	}
	if !strings.Contains(strings.Join(types, ","), "resource") {
		t.Errorf("MatchedStatements types %v lack the resource policy", types)
	}
	in.CallerArn = "arn:aws:iam::222222222222:role/locked"
	r = simulateOne(t, s, app, in)
	if r.EvalDecision != SimImplicitDeny || r.EvalDecisionDetails["Resource Policy"] != SimImplicitDeny {
		t.Errorf("resource policy naming someone else: %s %v", r.EvalDecision, r.EvalDecisionDetails)
	}
}

func TestAPolicyAttachedAndUsedAsBoundaryIsListedOnce(t *testing.T) {
	s, _, err := Parse([]byte(`{"name": "boundary-twice", "accounts": {"222222222222": {
		"policies": {"readers": {"document": {"Version": "2012-10-17", "Statement": [
			{"Sid": "Read", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}},
		"roles": {"app": {"managed_policies": ["arn:aws:iam::222222222222:policy/readers"],
			"permissions_boundary": "arn:aws:iam::222222222222:policy/readers"}}}},
		"check": {"secret": "arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbCdEf", "consumer": "arn:aws:iam::222222222222:role/app"}}`))
	if err != nil {
		t.Fatal(err)
	}
	r := simulateOne(t, s, s.Accounts["222222222222"].Roles["app"], SimulationInput{ActionNames: []string{"kms:Decrypt"}, ResourceArns: []string{ownerKey}})
	if r.EvalDecision != SimAllowed || len(r.MatchedStatements) != 1 {
		t.Errorf("EvalDecision %s, MatchedStatements %+v: want allowed with the statement once", r.EvalDecision, r.MatchedStatements)
	}
}
