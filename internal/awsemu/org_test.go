package awsemu

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/xsdoctor/xsdoctor/policy"
)

// The organization (SPEC §6 "organization", "vpc_endpoints"; issue 9), through the real SDK
// clients.

const appCredsARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app-creds-ApPcRd"

func orgScenario(t testing.TB) string { return string(mustRead(t, "testdata/organization.json")) }

func policiesFor(t *testing.T, c *organizations.Client, target string, typ orgtypes.PolicyType) []string {
	t.Helper()
	var names []string
	// One policy per page, so every listing of two or more follows NextToken.
	pages := organizations.NewListPoliciesForTargetPaginator(c, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: typ},
		func(o *organizations.ListPoliciesForTargetPaginatorOptions) { o.Limit = 1 })
	n := 0
	for pages.HasMorePages() {
		n++
		out, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListPoliciesForTarget %s %s: %v", target, typ, err)
		}
		for _, p := range out.Policies {
			if p.Type != typ {
				t.Errorf("%s listed under filter %s", aws.ToString(p.Name), typ)
			}
			names = append(names, aws.ToString(p.Name))
		}
	}
	if len(names) > 1 && n != len(names) {
		t.Errorf("%s %s: %d policies in %d pages of one", target, typ, len(names), n)
	}
	return names
}

func TestOrganizationsReadAPIsAnswerTheManagementAccountAndDelegatedAdmins(t *testing.T) {
	e := startEmu(t, orgScenario(t), Options{})
	mgmt := e.orgs(e.cfg()) // the operator's account, 999999999999, is the management account
	admin := e.orgs(e.as("arn:aws:iam::333333333333:role/org-reader"))

	roots, err := mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(roots.Roots) != 1 || *roots.Roots[0].Id != "r-root" || *roots.Roots[0].Arn != "arn:aws:organizations::999999999999:root/o-aaaa1111bb/r-root" {
		t.Errorf("ListRoots = %+v", roots.Roots)
	}

	// Up from the consumer account to the root, one parent at a time.
	wantParents := map[string]orgtypes.Parent{
		"222222222222": {Id: aws.String("ou-apps"), Type: orgtypes.ParentTypeOrganizationalUnit},
		"ou-apps":      {Id: aws.String("ou-prod"), Type: orgtypes.ParentTypeOrganizationalUnit},
		"ou-prod":      {Id: aws.String("r-root"), Type: orgtypes.ParentTypeRoot},
		"999999999999": {Id: aws.String("r-root"), Type: orgtypes.ParentTypeRoot},
	}
	for child, want := range wantParents {
		out, err := admin.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String(child)})
		if err != nil {
			t.Fatalf("ListParents %s: %v", child, err)
		}
		if len(out.Parents) != 1 || *out.Parents[0].Id != *want.Id || out.Parents[0].Type != want.Type {
			t.Errorf("ListParents %s = %+v, want %s %s", child, out.Parents, *want.Id, want.Type)
		}
	}
	_, err = admin.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String("444444444444")})
	var cnf *orgtypes.ChildNotFoundException
	if !errors.As(err, &cnf) {
		t.Errorf("an account outside the organization: want ChildNotFoundException, got %v", err)
	}

	for _, tc := range []struct {
		target string
		typ    orgtypes.PolicyType
		want   []string
	}{
		{"r-root", orgtypes.PolicyTypeServiceControlPolicy, []string{"FullAWSAccess"}},
		{"r-root", orgtypes.PolicyTypeResourceControlPolicy, []string{"RCPFullAWSAccess", "DenyOutsideOrg"}},
		{"ou-prod", orgtypes.PolicyTypeServiceControlPolicy, []string{"FullAWSAccess", "RegionLock"}},
		{"ou-allow", orgtypes.PolicyTypeServiceControlPolicy, []string{"AllowSecretsOnly"}},
		{"222222222222", orgtypes.PolicyTypeServiceControlPolicy, []string{"FullAWSAccess"}},
		{"111111111111", orgtypes.PolicyTypeResourceControlPolicy, []string{"RCPFullAWSAccess", "LocalDecryptNeedsClearance"}},
		{"999999999999", orgtypes.PolicyTypeServiceControlPolicy, []string{"FullAWSAccess", "DenyAllSecrets"}},
		{"ou-prod", orgtypes.PolicyTypeTagPolicy, nil},
	} {
		if got := policiesFor(t, admin, tc.target, tc.typ); !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: %v, want %v", tc.target, tc.typ, got, tc.want)
		}
	}

	list, err := mgmt.ListPoliciesForTarget(ctx(t), &organizations.ListPoliciesForTargetInput{TargetId: aws.String("r-root"), Filter: orgtypes.PolicyTypeResourceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range list.Policies {
		out, err := mgmt.DescribePolicy(ctx(t), &organizations.DescribePolicyInput{PolicyId: sum.Id})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := policy.Parse(aws.ToString(out.Policy.Content))
		if err != nil || *out.Policy.PolicySummary.Name != *sum.Name || out.Policy.PolicySummary.AwsManaged != (*sum.Name == "RCPFullAWSAccess") {
			t.Errorf("DescribePolicy %s: %+v (%v)", *sum.Id, out.Policy.PolicySummary, err)
		}
		if *sum.Name == "DenyOutsideOrg" && (doc.Statements[0].Sid != "EnforceOrgIdentities" ||
			!strings.HasPrefix(*sum.Arn, "arn:aws:organizations::999999999999:policy/o-aaaa1111bb/resource_control_policy/p-")) {
			t.Errorf("DenyOutsideOrg: %s %+v", *sum.Arn, doc.Statements)
		}
	}
	_, err = mgmt.DescribePolicy(ctx(t), &organizations.DescribePolicyInput{PolicyId: aws.String("p-nope1234")})
	var pnf *orgtypes.PolicyNotFoundException
	if !errors.As(err, &pnf) {
		t.Errorf("an unknown policy: want PolicyNotFoundException, got %v", err)
	}

	// A member that is neither the management account nor a delegated administrator is refused;
	// an account outside the organization is told it is in none. Both still describe it or not.
	member := e.orgs(e.as("arn:aws:iam::222222222222:role/inspector"))
	_, err = member.ListPoliciesForTarget(ctx(t), &organizations.ListPoliciesForTargetInput{TargetId: aws.String("222222222222"), Filter: orgtypes.PolicyTypeServiceControlPolicy})
	var ade *orgtypes.AccessDeniedException
	if !errors.As(err, &ade) {
		t.Errorf("a plain member: want AccessDeniedException, got %v", err)
	}
	org, err := member.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	if err != nil || *org.Organization.Id != "o-aaaa1111bb" || *org.Organization.MasterAccountId != "999999999999" {
		t.Errorf("DescribeOrganization from a member: %+v %v", org, err)
	}
	outsider := e.orgs(e.as("arn:aws:iam::444444444444:role/partner"))
	_, err = outsider.ListRoots(ctx(t), &organizations.ListRootsInput{})
	wantCode(t, err, "AWSOrganizationsNotInUseException")
	_, err = outsider.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantCode(t, err, "AWSOrganizationsNotInUseException")
}

func TestGetSecretValueAppliesTheOrganizationsGuardrails(t *testing.T) {
	e := startEmu(t, orgScenario(t), Options{})
	cases := []struct {
		name, role, secret, msg string
	}{
		{"an RCP perimeter at the root denies a consumer outside the organization",
			"arn:aws:iam::444444444444:role/partner", appCredsARN, "with an explicit deny in a resource control policy"},
		{"an SCP on a parent OU denies Secrets Manager outside two regions",
			"arn:aws:iam::222222222222:role/app", appCredsARN, "with an explicit deny in a service control policy"},
		{"an allow-list SCP without kms:* lets the secret through and stops the KMS hop",
			"arn:aws:iam::555555555555:role/allowlisted", appCredsARN, MessageKMSNotAllowed},
		{"an SCP attached to the management account does not bind its principals",
			"arn:aws:iam::999999999999:role/mgmt-app", appCredsARN, ""},
		{"an RCP on the key's account caps a customer managed key",
			"arn:aws:iam::111111111111:role/local", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:local-cmk-LoCcMk", MessageKMSNotAllowed},
		{"RCPs do not apply to AWS managed keys",
			"arn:aws:iam::111111111111:role/local", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:local-aws-LoCaWs", ""},
		{"an RCP at the root does not bind the management account's secret and key",
			"arn:aws:iam::444444444444:role/partner", "arn:aws:secretsmanager:us-east-1:999999999999:secret:mgmt-creds-MgMtCr", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			region := strings.Split(tc.secret, ":")[3]
			out, err := e.sm(inRegion(e.as(tc.role), region)).GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(tc.secret)})
			if tc.msg != "" {
				wantCode(t, err, "AccessDeniedException", tc.msg)
				return
			}
			if err != nil || !strings.HasPrefix(aws.ToString(out.SecretString), "canary-") {
				t.Fatalf("want the value, got %v", err)
			}
		})
	}
}

func TestTheSimulatorAppliesTheSCPHierarchy(t *testing.T) {
	e := startEmu(t, orgScenario(t), Options{})
	region := []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:RequestedRegion"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{"us-east-1"}}}
	cases := []struct {
		name, caller, role, action string
		allowed                    bool
	}{
		{"the region lock on the parent OU", "arn:aws:iam::222222222222:role/inspector", "arn:aws:iam::222222222222:role/app", "secretsmanager:GetSecretValue", false},
		{"the allow-list has no kms:*", "arn:aws:iam::555555555555:role/allowlisted", "arn:aws:iam::555555555555:role/allowlisted", "kms:Decrypt", false},
		{"the allow-list has secretsmanager:*", "arn:aws:iam::555555555555:role/allowlisted", "arn:aws:iam::555555555555:role/allowlisted", "secretsmanager:GetSecretValue", true},
		{"the management account is not bound", "arn:aws:iam::999999999999:role/org-admin", "arn:aws:iam::999999999999:role/mgmt-app", "secretsmanager:GetSecretValue", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.iam(e.as(tc.caller)).SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String(tc.role), ActionNames: []string{tc.action},
				ResourceArns: []string{appCredsARN}, ContextEntries: region})
			if err != nil {
				t.Fatal(err)
			}
			r := out.EvaluationResults[0]
			if r.OrganizationsDecisionDetail == nil || r.OrganizationsDecisionDetail.AllowedByOrganizations != tc.allowed {
				t.Fatalf("OrganizationsDecisionDetail = %+v, want AllowedByOrganizations %v", r.OrganizationsDecisionDetail, tc.allowed)
			}
			if (r.EvalDecision == iamtypes.PolicyEvaluationDecisionTypeAllowed) != tc.allowed {
				t.Errorf("EvalDecision = %s", r.EvalDecision)
			}
		})
	}
}

func TestDescribeVpcEndpointsSpeaksEC2sQueryProtocol(t *testing.T) {
	e := startEmu(t, withOrgFaults(t, `[{"call": "ec2:DescribeVpcEndpoints", "error": "ThrottlingException", "times": 1}]`), Options{})
	cfg := e.as("arn:aws:iam::222222222222:role/inspector")
	client := ec2.NewFromConfig(cfg)
	var got []ec2types.VpcEndpoint
	pages := ec2.NewDescribeVpcEndpointsPaginator(client, &ec2.DescribeVpcEndpointsInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("one throttle (RequestLimitExceeded) is retried away; got %v", err)
		}
		got = append(got, out.VpcEndpoints...)
	}
	if len(got) != 2 {
		t.Fatalf("us-east-1 has two endpoints in the consumer account, got %d", len(got))
	}
	sm := got[0]
	if *sm.VpcEndpointId != "vpce-0abc1234def567890" || *sm.ServiceName != "com.amazonaws.us-east-1.secretsmanager" ||
		sm.VpcEndpointType != ec2types.VpcEndpointTypeInterface || *sm.VpcId != "vpc-0a1b2c3d" || *sm.OwnerId != "222222222222" ||
		sm.CreationTimestamp == nil || !sm.CreationTimestamp.Equal(Epoch) {
		t.Errorf("endpoint = %+v", sm)
	}
	doc, err := policy.Parse(aws.ToString(sm.PolicyDocument))
	if err != nil || doc.Statements[0].Principal == nil {
		t.Errorf("PolicyDocument %q: %v", aws.ToString(sm.PolicyDocument), err)
	}
	def, err := policy.Parse(aws.ToString(got[1].PolicyDocument))
	if err != nil || len(def.Statements) != 1 || !slices.Equal(def.Statements[0].Action, []string{"*"}) {
		t.Errorf("an endpoint without a policy has the full-access default: %q (%v)", aws.ToString(got[1].PolicyDocument), err)
	}

	filtered, err := client.DescribeVpcEndpoints(ctx(t), &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{
		{Name: aws.String("service-name"), Values: []string{"com.amazonaws.us-east-1.secretsmanager"}},
		{Name: aws.String("vpc-endpoint-type"), Values: []string{"Interface"}}}})
	if err != nil || len(filtered.VpcEndpoints) != 1 || *filtered.VpcEndpoints[0].VpcEndpointId != "vpce-0abc1234def567890" {
		t.Errorf("filtered by service name: %+v %v", filtered, err)
	}
	eu, err := ec2.NewFromConfig(inRegion(cfg, "eu-west-1")).DescribeVpcEndpoints(ctx(t), &ec2.DescribeVpcEndpointsInput{})
	if err != nil || len(eu.VpcEndpoints) != 1 || *eu.VpcEndpoints[0].ServiceName != "com.amazonaws.eu-west-1.secretsmanager" {
		t.Errorf("eu-west-1 lists its own endpoint: %+v %v", eu, err)
	}
	_, err = client.DescribeVpcEndpoints(ctx(t), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0000000000000000f"}})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound", "vpce-0000000000000000f")
	owner, err := ec2.NewFromConfig(e.as("arn:aws:iam::111111111111:role/inspector")).DescribeVpcEndpoints(ctx(t), &ec2.DescribeVpcEndpointsInput{})
	if err != nil || len(owner.VpcEndpoints) != 0 {
		t.Errorf("another account sees none of them: %+v %v", owner, err)
	}

	// EC2's error shape and codes: a denied call is 403 UnauthorizedOperation.
	_, err = ec2.NewFromConfig(e.as("arn:aws:iam::222222222222:role/restricted")).DescribeVpcEndpoints(ctx(t), &ec2.DescribeVpcEndpointsInput{})
	var re *awshttp.ResponseError
	if wantCode(t, err, "UnauthorizedOperation", "You are not authorized to perform this operation.", "ec2:DescribeVpcEndpoints"); !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Errorf("denied: %v", err)
	}
}

func withOrgFaults(t testing.TB, faults string) string {
	s := orgScenario(t)
	i := strings.LastIndex(s, `"check"`)
	return s[:i] + `"faults": ` + faults + ",\n  " + s[i:]
}

func TestOrganizationMistakesAreLoadErrors(t *testing.T) {
	base := orgScenario(t)
	cases := []struct{ name, from, to, want string }{
		{"an OU whose parent does not exist", `"ou-apps": {"parent": "ou-prod"}`, `"ou-apps": {"parent": "ou-nope"}`, `organization.ous.ou-apps.parent: "ou-nope" is neither the root`},
		{"OUs that are each other's parent", `"ou-prod": {"parent": "r-root", "name": "prod"}`, `"ou-prod": {"parent": "ou-apps", "name": "prod"}`, "organization.ous.ou-apps.parent: the OU is its own ancestor"},
		{"an attachment to a target that does not exist", `"ou-allow": ["AllowSecretsOnly"]`, `"ou-gone": ["AllowSecretsOnly"]`, `organization.attachments.ou-gone: "ou-gone" is not the root`},
		{"an attachment of a policy nobody defines", `"ou-allow": ["AllowSecretsOnly"]`, `"ou-allow": ["Nope"]`, "organization.attachments.ou-allow[0]: no policy Nope"},
		{"a policy type Organizations lacks", `"type": "RESOURCE_CONTROL_POLICY"`, `"type": "RCP"`, `organization.policies.DenyOutsideOrg.type: "RCP" is not`},
		{"a delegated administrator outside the organization", `"delegated_admins": ["333333333333"]`, `"delegated_admins": ["444444444444"]`, "organization.delegated_admins[0]: 444444444444 is not a member account"},
		{"an account's org_id beside the organization", `"roles": {"org-reader": {}}`, `"org_id": "o-bbbbbbbbbb", "roles": {"org-reader": {}}`, "accounts.333333333333: organization replaces org_id"},
		{"a policy named like an AWS managed one", `"DenyAllSecrets": {`, `"FullAWSAccess": {`, "FullAWSAccess is AWS managed"},
		{"a VPC endpoint without a service", `"service": "kms", `, ``, "accounts.222222222222.vpc_endpoints[1].service: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(base, tc.from, tc.to, 1)
			if data == base {
				t.Fatalf("%q not found", tc.from)
			}
			_, _, err := Parse([]byte(data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a load error containing %q", err, tc.want)
			}
		})
	}
}
