package probe

import (
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

// catalogue is a scenario of the repository's own catalogue (scenarios/).
func catalogue(name string) string { return "../scenarios/" + name + ".json" }

// orgOptions are the scenario's options with its check.org_role.
func (e *emu) orgOptions() Options {
	o := e.options()
	o.OrgRole = e.sc.Check.OrgRole
	return o
}

func orgAccount(t *testing.T, f xsdoctor.Facts, id string) xsdoctor.OrgAccount {
	t.Helper()
	if f.Org == nil {
		t.Fatal("no org facts")
	}
	for _, a := range f.Org.Accounts {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("account %s not in the org facts: %+v", id, f.Org.Accounts)
	return xsdoctor.OrgAccount{}
}

func targets(a xsdoctor.OrgAccount) string {
	var ts []string
	for _, lv := range a.Levels {
		ts = append(ts, lv.Target)
	}
	return strings.Join(ts, " ")
}

func TestTheOrgReaderReadsEveryLevelFromTheRootAndEachPolicyOnce(t *testing.T) {
	isolate(t)
	e := startEmu(t, catalogue("org-scp-parent-ou-denies-secrets-outside-two-regions"), awsemu.Options{})
	f := e.gather(e.orgOptions())
	if f.Org.Err != nil || f.Org.ID != "o-payments01" || f.Org.ManagementAccount != "999999999999" {
		t.Fatalf("org = %+v", f.Org)
	}
	consumer := orgAccount(t, f, "222222222222")
	if !consumer.Member || targets(consumer) != "r-root ou-workloads ou-apps 222222222222" {
		t.Errorf("consumer path = %q (member %t), want root first down to the account", targets(consumer), consumer.Member)
	}
	if owner := orgAccount(t, f, "111111111111"); targets(owner) != "r-root ou-workloads 111111111111" {
		t.Errorf("owner path = %q", targets(owner))
	}
	var regionLock *xsdoctor.OrgPolicy
	for i, p := range f.Org.Policies {
		if p.Err != nil || p.Document == "" {
			t.Errorf("policy %s not read: %+v", p.ID, p.Err)
		}
		if p.Name == "NoSecretsOutsideEU" {
			regionLock = &f.Org.Policies[i]
		}
	}
	if regionLock == nil || regionLock.Type != xsdoctor.PolicyTypeSCP || !strings.Contains(regionLock.Document, "aws:RequestedRegion") {
		t.Fatalf("the region-lock SCP was not read: %+v", f.Org.Policies)
	}
	for _, lv := range consumer.Levels {
		attached := strings.Join(lv.SCPs, " ")
		if lv.Target == "ou-workloads" != strings.Contains(attached, regionLock.ID) {
			t.Errorf("level %s lists SCPs %q", lv.Target, attached)
		}
	}
	describes := 0
	for _, n := range callNames(f) {
		if n == "organizations:DescribePolicy" {
			describes++
		}
	}
	if describes != len(f.Org.Policies) {
		t.Errorf("%d DescribePolicy calls for %d policies: each policy is read once", describes, len(f.Org.Policies))
	}
	if d := e.duplicates(); len(d) > 0 {
		t.Errorf("requests made twice: %v", d)
	}
}

func TestAnAccountOutsideTheOrganizationHasNoLevels(t *testing.T) {
	isolate(t)
	e := startEmu(t, catalogue("org-rcp-perimeter-denies-outside-consumer"), awsemu.Options{})
	f := e.gather(e.orgOptions())
	if c := orgAccount(t, f, "222222222222"); c.Member || len(c.Levels) > 0 || c.Err != nil {
		t.Errorf("consumer outside the organization = %+v, want a non-member with no levels", c)
	}
	if o := orgAccount(t, f, "111111111111"); !o.Member || targets(o) != "r-root ou-prod 111111111111" {
		t.Errorf("owner = %+v", o)
	}
}

func TestWithoutTheOrgReaderNothingIsReadFromOrganizations(t *testing.T) {
	isolate(t)
	e := startEmu(t, catalogue("org-rcp-perimeter-unread-without-org-access"), awsemu.Options{})
	f := e.gather(e.options())
	if f.Org != nil {
		t.Errorf("org facts without --org-role: %+v", f.Org)
	}
	for _, n := range callNames(f) {
		if n == "organizations:ListParents" || n == "organizations:ListPoliciesForTarget" || n == "organizations:DescribePolicy" {
			t.Errorf("called %s without --org-role", n)
		}
	}
}

func TestAnOrgReaderOutsideTheManagementAccountRecordsWhatItCouldNotRead(t *testing.T) {
	isolate(t)
	e := startEmu(t, catalogue("org-rcp-perimeter-denies-outside-consumer"), awsemu.Options{})
	o := e.orgOptions()
	o.OrgRole = "arn:aws:iam::111111111111:role/xsdoctor-inspector" // a member account: Organizations refuses
	f := e.gather(o)
	owner := orgAccount(t, f, "111111111111")
	if owner.Err == nil || owner.Err.Call != "organizations:ListParents" || owner.Err.Action != "organizations:ListParents" {
		t.Errorf("owner path error = %+v, want the ListParents denial with the action to grant", owner.Err)
	}
}

func TestTheConsumersSecretsManagerEndpointsAreReadWithTheirPolicies(t *testing.T) {
	isolate(t)
	e := startEmu(t, catalogue("vpce-policy-admits-only-another-role"), awsemu.Options{})
	f := e.gather(e.options())
	v := f.VPCEndpoints
	if v == nil || v.Err != nil || v.Account != "222222222222" || len(v.Endpoints) != 1 {
		t.Fatalf("vpc endpoints = %+v", v)
	}
	ep := v.Endpoints[0]
	if ep.ID != "vpce-0a1b2c3d4e5f60718" || ep.VPC != "vpc-0f1e2d3c4b5a69788" || ep.Service != "com.amazonaws.us-east-1.secretsmanager" ||
		!strings.Contains(ep.Policy, "role/batch") {
		t.Errorf("endpoint = %+v", ep)
	}
}

func TestOrgReadsAddNoRoundTripToTheCriticalPath(t *testing.T) {
	isolate(t)
	depth := func(withOrg bool) int {
		sc, _, err := awsemu.Load("../bench/testdata/org-reader-latency-50ms.json")
		if err != nil {
			t.Fatal(err)
		}
		sc.Faults = []awsemu.Fault{{Call: "*", LatencyMS: 25}}
		e := startEmuScenario(t, sc, awsemu.Options{PageSize: 100})
		o := e.options()
		if withOrg {
			o.OrgRole = sc.Check.OrgRole
		}
		f := e.gather(o)
		if withOrg && (f.Org == nil || len(f.Org.Policies) == 0) {
			t.Fatalf("the org reader read nothing: %+v", f.Org)
		}
		return e.depth()
	}
	without, with := depth(false), depth(true)
	if with > without {
		t.Errorf("the org reads made the critical path %d round trips, %d without them", with, without)
	}
	t.Logf("critical path: %d round trips without the org reader, %d with it", without, with)
}
