package door

import (
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
)

// The organization of the guardrail tests: the owner under ou-prod, the consumer under ou-apps
// (a child of ou-prod), the management account 999999999999 under the root.
const (
	orgID   = "o-7fq2k9xw3m"
	mgmt    = "999999999999"
	fullSCP = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`
	fullRCP = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}`
)

const perimeterRCP = `{"Version": "2012-10-17", "Statement": [{"Sid": "EnforceIdentityPerimeter", "Effect": "Deny", "Principal": "*",
  "Action": ["secretsmanager:*", "kms:*"], "Resource": "*",
  "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-7fq2k9xw3m"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}`

const regionLockSCP = `{"Version": "2012-10-17", "Statement": [{"Sid": "DenyOutsideEU", "Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*",
  "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}]}`

const allowListSCP = `{"Version": "2012-10-17", "Statement": [{"Sid": "AllowedServices", "Effect": "Allow", "Action": ["secretsmanager:*", "s3:*"], "Resource": "*"}]}`

// orgFacts is an org reader's view of the organization: every account of the test a member,
// FullAWSAccess and RCPFullAWSAccess on every level.
func orgFacts() *xsdoctor.Org {
	lv := func(target, kind string) xsdoctor.OrgLevel {
		return xsdoctor.OrgLevel{Target: target, Kind: kind, SCPs: []string{"p-FullAWSAccess"}, RCPs: []string{"p-RCPFullAWSAccess"}}
	}
	return &xsdoctor.Org{
		Reader: "arn:aws:iam::999999999999:role/org-reader", ID: orgID, ManagementAccount: mgmt,
		Accounts: []xsdoctor.OrgAccount{
			{ID: owner, Member: true, Levels: []xsdoctor.OrgLevel{lv("r-root", "ROOT"), lv("ou-prod", "ORGANIZATIONAL_UNIT"), lv(owner, "ACCOUNT")}},
			{ID: consumer, Member: true, Levels: []xsdoctor.OrgLevel{lv("r-root", "ROOT"), lv("ou-prod", "ORGANIZATIONAL_UNIT"), lv("ou-apps", "ORGANIZATIONAL_UNIT"), lv(consumer, "ACCOUNT")}},
		},
		Policies: []xsdoctor.OrgPolicy{
			{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Type: xsdoctor.PolicyTypeSCP, AWSManaged: true, Document: fullSCP},
			{ID: "p-RCPFullAWSAccess", Name: "RCPFullAWSAccess", Type: xsdoctor.PolicyTypeRCP, AWSManaged: true, Document: fullRCP},
		},
	}
}

// attach adds a policy to a target on every path that passes through it.
func attach(o *xsdoctor.Org, target, id, name, ptype, document string) {
	o.Policies = append(o.Policies, xsdoctor.OrgPolicy{ID: id, Name: name, Type: ptype, Document: document})
	for i := range o.Accounts {
		for j := range o.Accounts[i].Levels {
			lv := &o.Accounts[i].Levels[j]
			if lv.Target != target {
				continue
			}
			if ptype == xsdoctor.PolicyTypeRCP {
				lv.RCPs = append(lv.RCPs, id)
			} else {
				lv.SCPs = append(lv.SCPs, id)
			}
		}
	}
}

// detachFull removes FullAWSAccess from a target (an allow-list strategy).
func detachFull(o *xsdoctor.Org, target string) {
	for i := range o.Accounts {
		for j := range o.Accounts[i].Levels {
			lv := &o.Accounts[i].Levels[j]
			if lv.Target == target {
				lv.SCPs = lv.SCPs[1:]
			}
		}
	}
}

// outsider makes the consumer an account of another organization.
func outsider(f *xsdoctor.Facts) {
	f.Consumer.OrgID = "o-partner0001"
	f.Org.Accounts = f.Org.Accounts[:1]
	f.Org.Accounts = append(f.Org.Accounts, xsdoctor.OrgAccount{ID: consumer, Member: false})
}

func guardrailCases() []doorCase {
	return []doorCase{
		{
			name: "an identity-perimeter RCP on the owner's OU closes both owner doors for a consumer outside the organization",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				outsider(f)
				attach(f.Org, "ou-prod", "p-perimeter", "DenyOutsideOrg", xsdoctor.PolicyTypeRCP, perimeterRCP)
			},
			doors: [3]xsdoctor.State{closed, closed, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.KeyRCPDeny, xsdoctor.SecretRCPDeny},
			evidence: []wantEvidence{
				{code: xsdoctor.SecretRCPDeny, sid: "EnforceIdentityPerimeter", index: 1},
				{code: xsdoctor.KeyRCPDeny, sid: "EnforceIdentityPerimeter", index: 1},
			},
			fixHas: map[xsdoctor.Code][]string{
				xsdoctor.SecretRCPDeny: {mgmt, "DenyOutsideOrg", "ou-prod", "aws:PrincipalAccount", consumer, "StringNotEqualsIfExists"},
			},
		},
		{
			name: "the same perimeter lets in a consumer of the same organization",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				attach(f.Org, "ou-prod", "p-perimeter", "DenyOutsideOrg", xsdoctor.PolicyTypeRCP, perimeterRCP)
			},
			doors:  [3]xsdoctor.State{open, open, open},
			absent: []xsdoctor.Code{xsdoctor.KeyRCPDeny, xsdoctor.SecretRCPDeny},
		},
		{
			name: "an owner that is the management account is not bound by the root's RCP",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				outsider(f)
				f.Org.ManagementAccount = owner
				attach(f.Org, "r-root", "p-perimeter", "DenyOutsideOrg", xsdoctor.PolicyTypeRCP, perimeterRCP)
			},
			doors:  [3]xsdoctor.State{open, open, open},
			absent: []xsdoctor.Code{xsdoctor.KeyRCPDeny, xsdoctor.SecretRCPDeny},
		},
		{
			name: "an SCP on the consumer's parent OU denies Secrets Manager outside two regions",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				attach(f.Org, "ou-prod", "p-regions", "NoSecretsOutsideEU", xsdoctor.PolicyTypeSCP, regionLockSCP)
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes:    []xsdoctor.Code{xsdoctor.IAMSCPDeny, xsdoctor.SimulationDisagrees},
			evidence: []wantEvidence{{code: xsdoctor.IAMSCPDeny, sid: "DenyOutsideEU", index: 1, condition: ""}},
			fixHas: map[xsdoctor.Code][]string{
				xsdoctor.IAMSCPDeny: {mgmt, "NoSecretsOutsideEU", "ou-prod", "ArnNotLike", "aws:PrincipalArn", roleARN},
			},
		},
		{
			name: "an allow-list SCP without kms:* where FullAWSAccess is detached closes the KMS hop",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				detachFull(f.Org, "ou-apps")
				attach(f.Org, "ou-apps", "p-allowlist", "AllowListApps", xsdoctor.PolicyTypeSCP, allowListSCP)
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.IAMSCPDeny},
			fixHas: map[xsdoctor.Code][]string{
				xsdoctor.IAMSCPDeny: {mgmt, "ou-apps", "kms:Decrypt", "FullAWSAccess"},
			},
		},
		{
			name: "a consumer in the management account is not bound by an SCP",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				f.Org.ManagementAccount = consumer
				attach(f.Org, "r-root", "p-regions", "NoSecretsOutsideEU", xsdoctor.PolicyTypeSCP, regionLockSCP)
			},
			doors:  [3]xsdoctor.State{open, open, open},
			absent: []xsdoctor.Code{xsdoctor.IAMSCPDeny},
		},
		{
			name: "an SCP that could not be read never proves a level without an allow",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				detachFull(f.Org, "ou-apps")
				attach(f.Org, "ou-apps", "p-allowlist", "AllowListApps", xsdoctor.PolicyTypeSCP, "")
				f.Org.Policies[len(f.Org.Policies)-1].Err = denied("organizations:DescribePolicy", "organizations:DescribePolicy")
			},
			doors:  [3]xsdoctor.State{open, open, open},
			codes:  []xsdoctor.Code{xsdoctor.ResidualGuardrails},
			absent: []xsdoctor.Code{xsdoctor.IAMSCPDeny},
		},
		{
			name: "a consumer in another organization keeps the simulator's SCP answer and its SCPs are named as unread",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				outsider(f)
				f.Simulations[0].AllowedByOrganizations = no()
				f.Simulations[0].Decision = "implicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.IAMSCPDeny},
		},
		{
			name: "the SCP text decides over a simulator that says an SCP denies",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				f.Simulations[0].AllowedByOrganizations = no()
				f.Simulations[0].Decision = "implicitDeny"
			},
			doors:  [3]xsdoctor.State{open, open, open},
			codes:  []xsdoctor.Code{xsdoctor.SimulationDisagrees},
			absent: []xsdoctor.Code{xsdoctor.IAMSCPDeny},
		},
		{
			name: "without the SCP text the simulator's SCP answer still closes the door",
			mutate: func(f *xsdoctor.Facts) {
				f.Simulations[0].AllowedByOrganizations = no()
				f.Simulations[0].Decision = "implicitDeny"
			},
			doors: [3]xsdoctor.State{open, open, closed}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.IAMSCPDeny},
		},
		{
			name: "a VPC endpoint policy admitting only another role makes the consumer door conditional",
			mutate: func(f *xsdoctor.Facts) {
				f.VPCEndpoints = &xsdoctor.VPCEndpoints{Account: consumer, Region: "us-east-1", Endpoints: []xsdoctor.VPCEndpoint{{
					ID: "vpce-0abc1234", VPC: "vpc-0123", Service: "com.amazonaws.us-east-1.secretsmanager",
					Policy: doc(`{"Sid": "OnlyBatch", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/batch"}, "Action": "secretsmanager:*", "Resource": "*"}`),
				}}}
			},
			doors: [3]xsdoctor.State{open, open, cond}, exit: 3,
			codes: []xsdoctor.Code{xsdoctor.IAMVPCEPolicyDeny},
			fixHas: map[xsdoctor.Code][]string{
				xsdoctor.IAMVPCEPolicyDeny: {"vpce-0abc1234", roleARN, "secretsmanager:GetSecretValue"},
			},
		},
		{
			name: "a VPC endpoint with the default policy changes nothing",
			mutate: func(f *xsdoctor.Facts) {
				f.VPCEndpoints = &xsdoctor.VPCEndpoints{Account: consumer, Region: "us-east-1", Endpoints: []xsdoctor.VPCEndpoint{{
					ID: "vpce-0abc1234", VPC: "vpc-0123", Service: "com.amazonaws.us-east-1.secretsmanager"}}}
			},
			doors:  [3]xsdoctor.State{open, open, open},
			absent: []xsdoctor.Code{xsdoctor.IAMVPCEPolicyDeny},
		},
		{
			name: "a VPC endpoint policy that allows only calls through itself lets the consumer in",
			mutate: func(f *xsdoctor.Facts) {
				f.VPCEndpoints = &xsdoctor.VPCEndpoints{Account: consumer, Region: "us-east-1", Endpoints: []xsdoctor.VPCEndpoint{{
					ID: "vpce-0abc1234", VPC: "vpc-0123", Service: "com.amazonaws.us-east-1.secretsmanager",
					Policy: doc(`{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0abc1234"}}}`),
				}}}
			},
			doors:  [3]xsdoctor.State{open, open, open},
			absent: []xsdoctor.Code{xsdoctor.IAMVPCEPolicyDeny},
		},
	}
}

// orgPathSecretPolicy admits principals under ou-prod only, by their org path.
const orgPathSecretPolicy = `{"Version": "2012-10-17", "Statement": [{"Sid": "ProdOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
  "Action": "secretsmanager:GetSecretValue", "Resource": "*",
  "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-7fq2k9xw3m/r-root/ou-prod/*"}}}]}`

func orgPathCases() []doorCase {
	return []doorCase{
		{
			name: "with the org reader aws:PrincipalOrgPaths is known and a policy on it is judged",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				f.Secret.Policy = orgPathSecretPolicy
			},
			doors:  [3]xsdoctor.State{open, open, open},
			absent: []xsdoctor.Code{xsdoctor.DoorConditional},
		},
		{
			name: "with the org reader a consumer outside the OU is refused by its path",
			mutate: func(f *xsdoctor.Facts) {
				f.Org = orgFacts()
				f.Org.Accounts[1].Levels[1].Target = "ou-sandbox"
				f.Org.Accounts[1].Levels = append(f.Org.Accounts[1].Levels[:2], f.Org.Accounts[1].Levels[3:]...)
				f.Secret.Policy = orgPathSecretPolicy
			},
			doors: [3]xsdoctor.State{open, closed, open}, exit: 1,
			codes: []xsdoctor.Code{xsdoctor.SecretPolicyConditionMismatch},
		},
		{
			name: "without the org reader aws:PrincipalOrgPaths is unknown, never absent",
			mutate: func(f *xsdoctor.Facts) {
				f.Secret.Policy = orgPathSecretPolicy
			},
			doors: [3]xsdoctor.State{open, cond, open}, exit: 3,
			codes: []xsdoctor.Code{xsdoctor.DoorConditional},
		},
	}
}

func TestGuardrails(t *testing.T) {
	for _, tc := range append(guardrailCases(), orgPathCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			f := working()
			tc.mutate(&f)
			d := Check(f)
			var got [3]xsdoctor.State
			for i, id := range xsdoctor.Doors {
				got[i] = doorOf(d, id).State
			}
			if got != tc.doors {
				t.Errorf("doors = %v, want %v\n%s", got, tc.doors, dump(t, d))
			}
			if want := verdictFor[tc.exit]; d.Verdict != want {
				t.Errorf("verdict = %s, want %s", d.Verdict, want)
			}
			for _, c := range tc.codes {
				if _, ok := findCode(d, c); !ok {
					t.Errorf("finding %s missing; have %v", c, codes(d))
				}
			}
			for _, c := range tc.absent {
				if _, ok := findCode(d, c); ok {
					t.Errorf("finding %s present, want absent; have %v", c, codes(d))
				}
			}
			for _, w := range tc.evidence {
				if f, ok := findCode(d, w.code); ok && !hasEvidence(f.Evidence, w) {
					t.Errorf("%s: no evidence like %+v in %+v", w.code, w, f.Evidence)
				}
			}
			for c, subs := range tc.fixHas {
				f, ok := findCode(d, c)
				if !ok || f.Fix == nil {
					t.Errorf("%s has no fix", c)
					continue
				}
				text := f.Fix.Account + "\n" + f.Fix.Where + "\n" + f.Fix.Statement + "\n" + f.Fix.Terraform + "\n" + strings.Join(f.Fix.Steps, "\n")
				for _, s := range subs {
					if !strings.Contains(text, s) {
						t.Errorf("%s fix lacks %q:\n%s", c, s, text)
					}
				}
			}
			checkShape(t, d)
		})
	}
}

func TestTheSCPsOfAnotherOrganizationAreNamedAsUnread(t *testing.T) {
	f := working()
	f.Org = orgFacts()
	outsider(&f)
	d := Check(f)
	g, ok := findCode(d, xsdoctor.ResidualGuardrails)
	if !ok {
		t.Fatalf("no RESIDUAL_GUARDRAILS: %v", codes(d))
	}
	text := ""
	for _, e := range g.Evidence {
		text += e.Note + "\n"
	}
	if !strings.Contains(text, "service control policies of the organization account "+consumer+" belongs to (o-partner0001)") {
		t.Errorf("RESIDUAL_GUARDRAILS does not name the consumer organization's SCPs:\n%s", text)
	}
}

func TestTheReportListsEveryGuardrailThatApplies(t *testing.T) {
	f := working()
	f.Org = orgFacts()
	attach(f.Org, "ou-prod", "p-perimeter", "DenyOutsideOrg", xsdoctor.PolicyTypeRCP, perimeterRCP)
	f.VPCEndpoints = &xsdoctor.VPCEndpoints{Account: consumer, Region: "us-east-1", Endpoints: []xsdoctor.VPCEndpoint{{ID: "vpce-0abc1234", Service: "com.amazonaws.us-east-1.secretsmanager"}}}
	d := Check(f)
	want := map[string]bool{
		"SERVICE_CONTROL_POLICY p-FullAWSAccess ou-apps":     true,
		"SERVICE_CONTROL_POLICY p-FullAWSAccess " + consumer: true,
		"RESOURCE_CONTROL_POLICY p-perimeter ou-prod":        true,
		"VPC_ENDPOINT_POLICY vpce-0abc1234 vpce-0abc1234":    true,
	}
	for _, g := range d.Guardrails {
		if !g.Read {
			t.Errorf("%+v: every policy was read", g)
		}
		delete(want, g.Type+" "+g.ID+" "+g.Target)
	}
	if len(want) > 0 {
		t.Errorf("guardrails lack %v; have %+v", want, d.Guardrails)
	}
}

func TestWithoutOrgAccessResidualGuardrailsSaysWhatWasNotReadAndHow(t *testing.T) {
	f := working()
	d := Check(f)
	g, ok := findCode(d, xsdoctor.ResidualGuardrails)
	if !ok {
		t.Fatalf("no RESIDUAL_GUARDRAILS: %v", codes(d))
	}
	text := ""
	for _, e := range g.Evidence {
		text += e.Source + " " + e.Note + "\n"
	}
	for _, want := range []string{"resource control policies above account " + owner, "--org-role", "ec2:DescribeVpcEndpoints"} {
		if !strings.Contains(text, want) {
			t.Errorf("RESIDUAL_GUARDRAILS lacks %q:\n%s", want, text)
		}
	}
	if len(d.Guardrails) != 0 {
		t.Errorf("nothing was read, so no guardrail is listed: %+v", d.Guardrails)
	}
}
