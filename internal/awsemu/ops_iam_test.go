package awsemu

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// decodeIAMDocument decodes a document as xsdoctor must: URL-decoded (PathUnescape, so a "+"
// stays a "+") unless it is already raw JSON, as moto returns GetPolicyVersion (wire.md).
func decodeIAMDocument(t *testing.T, s string) map[string]any {
	t.Helper()
	if !strings.HasPrefix(s, "{") {
		var err error
		if s, err = url.PathUnescape(s); err != nil {
			t.Fatalf("not URL-encoded: %v", err)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("not a JSON document: %v: %s", err, s)
	}
	return doc
}

func TestGetRoleReturnsTheRoleWithAnEncodedTrustPolicy(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	c := e.iam(e.as(inspectorARN, "ext-1234"))
	out, err := c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("inspector")})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Role
	if *r.Arn != inspectorARN || *r.Path != "/ops/" || *r.RoleId != RoleID(ownerAcct, "inspector") || *r.RoleName != "inspector" ||
		r.CreateDate == nil || !r.CreateDate.Equal(Epoch) || aws.ToInt32(r.MaxSessionDuration) != 3600 {
		t.Errorf("Role = %+v", r)
	}
	if r.PermissionsBoundary == nil || *r.PermissionsBoundary.PermissionsBoundaryArn != "arn:aws:iam::111111111111:policy/boundary" ||
		r.PermissionsBoundary.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("PermissionsBoundary = %+v", r.PermissionsBoundary)
	}
	if len(r.Tags) != 2 || *r.Tags[0].Key != "env" || *r.Tags[1].Value != "platform" {
		t.Errorf("Tags = %+v", r.Tags)
	}
	raw := *r.AssumeRolePolicyDocument
	if strings.ContainsAny(raw, "{\" +") || !strings.HasPrefix(raw, "%7B%22") {
		t.Errorf("AssumeRolePolicyDocument is not URL-encoded: %s", raw)
	}
	doc := decodeIAMDocument(t, raw)
	stmt := doc["Statement"].([]any)[0].(map[string]any)
	if stmt["Principal"].(map[string]any)["AWS"] != "arn:aws:iam::999999999999:root" ||
		stmt["Condition"].(map[string]any)["StringEquals"].(map[string]any)["sts:ExternalId"] != "ext-1234" {
		t.Errorf("trust policy = %v", doc)
	}

	_, err = c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("app")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("a role of another account by name: want NoSuchEntityException, got %v", err)
	}
	wantCode(t, err, "NoSuchEntity", "The role with name app cannot be found.")
	_, err = c.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String(inspectorARN)})
	wantCode(t, err, "ValidationError", "roleName")
}

func TestRolePolicyListsPaginateAndDocumentsAreEncoded(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	c := e.iam(e.as(inspectorARN, "ext-1234"))

	before := e.count("ListRolePolicies")
	var names []string
	p := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: aws.String("inspector")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, out.PolicyNames...)
	}
	if strings.Join(names, ",") != "a-secrets,b-keys,c-iam" || e.count("ListRolePolicies")-before != 2 {
		t.Errorf("inline policies %v in %d pages", names, e.count("ListRolePolicies")-before)
	}

	before = e.count("ListAttachedRolePolicies")
	var attached []string
	ap := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("inspector")})
	for ap.HasMorePages() {
		out, err := ap.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.AttachedPolicies {
			attached = append(attached, *a.PolicyName+"="+*a.PolicyArn)
		}
	}
	want := "boundary=arn:aws:iam::111111111111:policy/boundary,read-keys=arn:aws:iam::111111111111:policy/team/read-keys,SecretsReadOnly=arn:aws:iam::aws:policy/SecretsReadOnly"
	if strings.Join(attached, ",") != want || e.count("ListAttachedRolePolicies")-before != 2 {
		t.Errorf("attached %v in %d pages", attached, e.count("ListAttachedRolePolicies")-before)
	}
	one, err := c.ListAttachedRolePolicies(ctx(t), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("inspector"), PathPrefix: aws.String("/team/")})
	if err != nil || len(one.AttachedPolicies) != 1 || one.IsTruncated {
		t.Errorf("PathPrefix filter: %+v %v", one, err)
	}

	rp, err := c.GetRolePolicy(ctx(t), &iam.GetRolePolicyInput{RoleName: aws.String("inspector"), PolicyName: aws.String("b-keys")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(*rp.PolicyDocument, "%20") || strings.ContainsAny(*rp.PolicyDocument, " +{") {
		t.Errorf("PolicyDocument must be RFC 3986 encoded with %%20 for spaces: %s", *rp.PolicyDocument)
	}
	if doc := decodeIAMDocument(t, *rp.PolicyDocument); doc["Statement"].([]any)[0].(map[string]any)["Action"] != "kms:GetKeyPolicy" {
		t.Errorf("GetRolePolicy document = %v", doc)
	}
	_, err = c.GetRolePolicy(ctx(t), &iam.GetRolePolicyInput{RoleName: aws.String("inspector"), PolicyName: aws.String("nope")})
	wantCode(t, err, "NoSuchEntity", "The role policy with name nope cannot be found.")

	_, err = c.ListRolePolicies(ctx(t), &iam.ListRolePoliciesInput{RoleName: aws.String("inspector"), Marker: aws.String("forged")})
	wantCode(t, err, "ValidationError")
}

func TestManagedPoliciesAreReadFromTheirAccountOrFromAWS(t *testing.T) {
	for _, raw := range []bool{false, true} {
		e := startEmu(t, wireScenario, Options{RawPolicyVersionDocuments: raw})
		c := e.iam(e.as(inspectorARN, "ext-1234"))
		for _, arn := range []string{"arn:aws:iam::111111111111:policy/team/read-keys", "arn:aws:iam::aws:policy/SecretsReadOnly"} {
			gp, err := c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
			if err != nil {
				t.Fatal(err)
			}
			pol := gp.Policy
			if *pol.Arn != arn || *pol.DefaultVersionId != "v1" || !strings.HasPrefix(*pol.PolicyId, "ANPA") || aws.ToInt32(pol.AttachmentCount) != 1 {
				t.Errorf("GetPolicy(%s) = %+v", arn, pol)
			}
			gv, err := c.GetPolicyVersion(ctx(t), &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.DefaultVersionId})
			if err != nil {
				t.Fatal(err)
			}
			text := *gv.PolicyVersion.Document
			if raw != strings.HasPrefix(text, "{") {
				t.Errorf("RawPolicyVersionDocuments=%v but Document = %.40s…", raw, text)
			}
			if doc := decodeIAMDocument(t, text); doc["Version"] != "2012-10-17" || !gv.PolicyVersion.IsDefaultVersion {
				t.Errorf("GetPolicyVersion = %v", doc)
			}
		}
		boundary, err := c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/boundary")})
		if err != nil || aws.ToInt32(boundary.Policy.PermissionsBoundaryUsageCount) != 1 {
			t.Errorf("boundary usage: %+v %v", boundary, err)
		}
		_, err = c.GetPolicyVersion(ctx(t), &iam.GetPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/SecretsReadOnly"), VersionId: aws.String("v2")})
		wantCode(t, err, "NoSuchEntity")
		_, err = c.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/nope")})
		var nse *iamtypes.NoSuchEntityException
		if !errors.As(err, &nse) {
			t.Errorf("missing policy: want NoSuchEntityException, got %v", err)
		}
		// Another account's customer managed policy cannot be read: IAM has no resource policies.
		_, err = e.iam(e.as(appARN)).GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::111111111111:policy/boundary")})
		wantCode(t, err, "AccessDenied", "iam:GetPolicy")
	}
}

func TestDeniedCallsRefuseIAMReadsWithTheQueryCode(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	_, err := e.iam(e.as("arn:aws:iam::111111111111:role/restricted")).GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("inspector")})
	wantCode(t, err, "AccessDenied", "iam:GetRole on resource: "+inspectorARN)
}

func TestSimulatePrincipalPolicyEvaluatesTheRoleAndPaginates(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	c := e.iam(e.as(inspectorARN, "ext-1234"))
	before := e.count("SimulatePrincipalPolicy")
	p := iam.NewSimulatePrincipalPolicyPaginator(c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(inspectorARN),
		ActionNames:     []string{"kms:GetKeyPolicy", "secretsmanager:DescribeSecret", "s3:GetObject"},
		ResourceArns:    []string{sharedARN},
		ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:SecureTransport"),
			ContextKeyType: iamtypes.ContextKeyTypeEnumBoolean, ContextKeyValues: []string{"true"}}},
	})
	results := map[string]iamtypes.EvaluationResult{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.EvaluationResults {
			results[*r.EvalActionName] = r
		}
	}
	if len(results) != 3 || e.count("SimulatePrincipalPolicy")-before != 2 {
		t.Fatalf("%d results in %d pages, want 3 in 2", len(results), e.count("SimulatePrincipalPolicy")-before)
	}
	describe := results["secretsmanager:DescribeSecret"]
	if describe.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || len(describe.MatchedStatements) == 0 ||
		*describe.MatchedStatements[0].SourcePolicyId != "a-secrets" || describe.MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeRole ||
		describe.MatchedStatements[0].StartPosition == nil || describe.MatchedStatements[0].StartPosition.Line == 0 {
		t.Errorf("DescribeSecret = %+v %+v", describe.EvalDecision, describe.MatchedStatements)
	}
	if describe.PermissionsBoundaryDecisionDetail == nil || !describe.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary ||
		describe.OrganizationsDecisionDetail == nil || !describe.OrganizationsDecisionDetail.AllowedByOrganizations {
		t.Errorf("decision details = %+v %+v", describe.PermissionsBoundaryDecisionDetail, describe.OrganizationsDecisionDetail)
	}
	if len(describe.ResourceSpecificResults) != 1 || *describe.ResourceSpecificResults[0].EvalResourceName != sharedARN {
		t.Errorf("ResourceSpecificResults = %+v", describe.ResourceSpecificResults)
	}
	s3 := results["s3:GetObject"]
	if s3.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny || s3.PermissionsBoundaryDecisionDetail == nil ||
		s3.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("s3:GetObject (no statement allows it, nor the boundary) = %s %+v", s3.EvalDecision, s3.PermissionsBoundaryDecisionDetail)
	}

	_, err := c.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:sts::111111111111:assumed-role/inspector/test"), ActionNames: []string{"kms:Decrypt"}})
	wantCode(t, err, "InvalidInput", "Invalid Entity Arn")
	_, err = c.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::111111111111:role/nope"), ActionNames: []string{"kms:Decrypt"}})
	wantCode(t, err, "NoSuchEntity")
}

func TestSimulationMapOverridesOnlyEvalDecision(t *testing.T) {
	scenario := strings.Replace(wireScenario, `"restricted": {`, `"restricted": {"simulation": {"kms:Decrypt": "explicitDeny"}, `, 1)
	e := startEmu(t, scenario, Options{})
	c := e.iam(e.cfg())
	_, err := c.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::111111111111:role/restricted"), ActionNames: []string{"kms:Decrypt"}})
	// The operator's account is not 111111111111: IAM reads are account-scoped.
	wantCode(t, err, "AccessDenied")
	c = e.iam(e.as(inspectorARN, "ext-1234"))
	out, err := c.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::111111111111:role/restricted"), ActionNames: []string{"kms:Decrypt", "kms:Encrypt"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeExplicitDeny ||
		out.EvaluationResults[1].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("decisions = %s, %s", out.EvaluationResults[0].EvalDecision, out.EvaluationResults[1].EvalDecision)
	}
}

func TestDescribeOrganizationAnswersFromTheCallersAccount(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	out, err := e.orgs(e.as(appARN)).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	o := out.Organization
	if *o.Id != "o-bbbbbbbbbb" || o.FeatureSet != orgtypes.OrganizationFeatureSetAll || len(*o.MasterAccountId) != 12 ||
		*o.Arn != "arn:aws:organizations::"+*o.MasterAccountId+":organization/o-bbbbbbbbbb" {
		t.Errorf("Organization = %+v", o)
	}
	_, err = e.orgs(e.as(soloARN)).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	if !errors.As(err, &notInUse) {
		t.Errorf("an account in no organization: want AWSOrganizationsNotInUseException, got %v", err)
	}
}
