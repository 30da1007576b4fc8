// Package door judges the three doors a cross-account GetSecretValue must pass — the KMS key
// policy, the secret's resource policy and the consumer's IAM — from the facts the probe read.
// Check is a pure function: no I/O, no clock (Facts.Now is the time), deterministic output.
//
// Each door is decided in the order SPEC §3 fixes: closed when the facts prove it, unknown when
// a fact that could change the answer was not read, conditional when the answer depends only on
// request context nobody can know offline, else open. Each door is judged on its own side only:
// the key and secret doors assume the consumer's IAM allows, the consumer-iam door assumes the
// owner's policies allow, so a report names every closed door at once, not just the first.
//
// Same-account consumers: within one account an allow in either the identity policy or the
// resource policy suffices, so the secret-policy door is then only about denies (an absent
// policy is fine), and the consumer-iam door counts an allow that the secret policy, or a key
// policy naming the principal directly, gives on its own.
package door

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/xsdoctor/xsdoctor"
)

// Check decides the three doors and the verdict from the facts.
func Check(f xsdoctor.Facts) xsdoctor.Diagnosis {
	c := newCheck(f)
	d := xsdoctor.Diagnosis{
		SchemaVersion: xsdoctor.SchemaVersion,
		Secret:        xsdoctor.SecretSummary{ARN: c.secretARN, Account: c.owner, Region: c.region},
		Consumer:      xsdoctor.ConsumerSummary{Principal: c.principal(), RoleARN: c.roleARN, Account: c.consumer},
		Live:          f.Live,
		Calls:         sortedCalls(f.Calls),
		Findings:      []xsdoctor.Finding{},
		Input:         inputSummary(f.Input),
	}
	switch {
	case c.keyARN != "" || f.Key.Manager != "":
		d.Secret.KMSKey = &xsdoctor.KeySummary{ARN: c.keyName(), Manager: f.Key.Manager, State: f.Key.State}
	case c.awsManaged():
		d.Secret.KMSKey = &xsdoctor.KeySummary{ARN: c.keyName(), Manager: "AWS"}
	}
	d.Secret.Versions = f.Secret.Versions
	if r := f.Secret.PrimaryRegion; r != c.region {
		// DescribeSecret names the primary's region on the primary too; only a replica has
		// another one.
		d.Secret.PrimaryRegion = r
	}
	for _, r := range f.Secret.Replicas {
		d.Secret.Replicas = append(d.Secret.Replicas, xsdoctor.ReplicaSummary{Region: r.Region, KMSKeyID: r.KMSKeyID, Status: r.Status})
	}
	keyDoor := c.keyDoor()
	c.versionFindings(&keyDoor)
	d.Doors = []xsdoctor.Door{keyDoor, c.secretDoor(), c.consumerDoor()}
	c.guardrailFindings(d.Doors)
	c.verifyFixes(&d)
	d.Guardrails = c.guardrailList()
	for i := range d.Doors {
		if d.Doors[i].Findings == nil {
			d.Doors[i].Findings = []xsdoctor.Finding{}
		}
		// A door's state is what its findings' effects make it (SPEC §3), never decided apart.
		d.Doors[i].State = xsdoctor.DoorState(d.Doors[i].Findings)
	}

	if f.Secret.NotFound {
		d.Findings = append(d.Findings, xsdoctor.Finding{
			Code:     xsdoctor.SecretNotFound,
			Effect:   xsdoctor.EffectCloses,
			Summary:  fmt.Sprintf("%s does not exist in account %s (DescribeSecret: ResourceNotFoundException)", c.secretARN, c.owner),
			Detail:   "Check the ARN, its region and its 6-character suffix: the suffix changes when a deleted secret's name is reused.",
			Evidence: []xsdoctor.Evidence{{Source: "secretsmanager:DescribeSecret " + c.secretARN, Note: "ResourceNotFoundException"}},
		})
	}
	if f.Secret.DeletedDate != "" {
		d.Findings = append(d.Findings, xsdoctor.Finding{
			Code:     xsdoctor.SecretPendingDeletion,
			Effect:   xsdoctor.EffectCloses,
			Summary:  fmt.Sprintf("%s is scheduled for deletion (DeletedDate %s); GetSecretValue fails with InvalidRequestException whatever the doors say", c.secretARN, f.Secret.DeletedDate),
			Detail:   "A secret marked for deletion cannot be read until it is restored.",
			Evidence: []xsdoctor.Evidence{{Source: "secretsmanager:DescribeSecret " + c.secretARN, Note: "DeletedDate = " + f.Secret.DeletedDate}},
			Fix: &xsdoctor.Fix{
				Account: c.owner,
				Where:   "secret " + c.secretARN,
				Steps: []string{
					"In account " + c.owner + ", restore the secret before its recovery window ends: aws secretsmanager restore-secret --secret-id " + c.secretARN + ".",
					"If Terraform deleted it (the aws_secretsmanager_secret resource was removed), restore the resource or terraform import it before the next apply, or the deletion is scheduled again.",
				},
			},
		})
	}
	if f.Input.Resolved {
		d.Findings = append(d.Findings, xsdoctor.Finding{
			Code:    xsdoctor.InputNotFullARN,
			Effect:  xsdoctor.EffectInfo,
			Summary: fmt.Sprintf("%q is not a full secret ARN; it was resolved in account %s to %s", f.Input.SecretArg, c.owner, c.secretARN),
			Detail:  "A cross-account caller must pass the full ARN: a name or partial ARN is looked up in the caller's own account and fails with ResourceNotFoundException.",
			Evidence: []xsdoctor.Evidence{{Source: "secretsmanager:DescribeSecret", Expected: c.secretARN, Actual: f.Input.SecretArg,
				Note: "resolved with the owner account's credentials"}},
		})
	}
	if f := c.noCurrentVersion(); f != nil {
		d.Findings = append(d.Findings, *f)
	}
	// Only a key in a third account needs --key-role: the consumer's own account is read anyway.
	if c.keyARN != "" && c.keyAcct != "" && c.owner != "" && c.keyAcct != c.owner && c.keyAcct != c.consumer {
		d.Findings = append(d.Findings, xsdoctor.Finding{
			Code:     xsdoctor.KeyInOtherAccount,
			Effect:   xsdoctor.EffectInfo,
			Summary:  fmt.Sprintf("The key %s is in account %s, neither the secret's account %s nor the consumer's", c.keyARN, c.keyAcct, c.owner),
			Detail:   "The key-policy door is judged in the key's account: GetKeyPolicy only works from there, so pass --key-role for an inspector role in " + c.keyAcct + ".",
			Evidence: []xsdoctor.Evidence{{Source: "secretsmanager:DescribeSecret " + c.secretARN, Note: describeKeyID(f.Secret.KMSKeyID)}},
		})
	}
	for _, af := range sortedAssumeFailures(f.AssumeFailures) {
		d.Findings = append(d.Findings, c.assumeFinding(af))
	}
	if t := c.timeoutFinding(); t != nil {
		d.Findings = append(d.Findings, *t)
	}
	d.Findings = append(d.Findings, c.replicaFindings()...)

	d.Verdict = verdict(d.Doors, d.Findings)
	if c.roleGuessed {
		c.warnGuessedRole(&d)
	}

	if l := f.Live; l != nil {
		if (l.Result == xsdoctor.LiveAllowed && d.Verdict == xsdoctor.StateClosed) ||
			(l.Result == xsdoctor.LiveDenied && d.Verdict == xsdoctor.StateOpen) {
			d.Findings = append(d.Findings, c.liveDisagrees(l, d.Verdict))
		}
	}
	if g := c.residual(d.Verdict); g != nil {
		d.Findings = append(d.Findings, *g)
	}
	c.errorMatch(&d)
	return d
}

// verdict applies SPEC §3 to the doors' states and the effects of the top-level findings: closed
// when a door is closed or a top-level finding closes (a precondition that blocks the read); else
// unknown when a door is unknown or conditional, or a top-level finding is unknown; else open.
func verdict(doors []xsdoctor.Door, top []xsdoctor.Finding) xsdoctor.State {
	states := []xsdoctor.State{xsdoctor.DoorState(top)}
	for _, d := range doors {
		states = append(states, d.State)
	}
	v := xsdoctor.StateOpen
	for _, s := range states {
		switch s {
		case xsdoctor.StateClosed:
			return xsdoctor.StateClosed
		case xsdoctor.StateUnknown, xsdoctor.StateConditional:
			v = xsdoctor.StateUnknown
		}
	}
	return v
}

func (c *check) assumeFinding(af xsdoctor.AssumeFailure) xsdoctor.Finding {
	doors := map[string]string{
		"owner":    "the secret-policy door (and the key-policy door when the key is in the owner account) is unknown",
		"consumer": "the consumer-iam door is unknown",
		"key":      "the key-policy door is unknown",
	}[af.Purpose]
	if doors == "" {
		doors = "the " + af.Purpose + " step was skipped"
	}
	return xsdoctor.Finding{
		Code:     xsdoctor.AssumeRoleFailed,
		Effect:   xsdoctor.EffectUnknown,
		Summary:  fmt.Sprintf("Could not assume %s in account %s for the %s side: %s; %s", af.Role, af.Account, af.Purpose, readErrText(withoutAccount(assumeReadError(&af))), doors),
		Detail:   c.advice("Check the role's trust policy names the caller (and --external-id when it requires one), and that the caller may sts:AssumeRole it.", assumeReadError(&af)),
		Evidence: []xsdoctor.Evidence{{Source: "sts:AssumeRole " + af.Role, Note: strings.TrimSpace(af.Code + " " + af.Message)}},
	}
}

func (c *check) liveDisagrees(l *xsdoctor.Live, v xsdoctor.State) xsdoctor.Finding {
	f := xsdoctor.Finding{
		Code:     xsdoctor.LiveDisagrees,
		Effect:   xsdoctor.EffectInfo,
		Summary:  fmt.Sprintf("The live GetSecretValue as %s was %s, but the verdict is %s", c.principal(), l.Result, v),
		Evidence: []xsdoctor.Evidence{{Source: "live secretsmanager:GetSecretValue", Note: strings.TrimSpace(l.Result + " " + l.ErrorCode + " " + l.Reason)}},
	}
	if l.Result == xsdoctor.LiveDenied {
		f.Detail = "Something no read-only API shows denied the read: an RCP, a session policy, a VPC endpoint policy, or an AWSCURRENT version still encrypted under an older key (write a new version after changing the key). The doors are left as the policies show them."
	} else {
		f.Detail = "The read succeeded although a door looks closed: a fact the probe read may be stale (eventual consistency), or a grant or policy was changed during the run. The doors are left as the policies show them."
	}
	return f
}

// residual names what no read-only API shows (aws-semantics §1.4, §1.6, §1.7): RCPs on the
// owner's or key's organization, session policies, VPC endpoint policies. Reported when every
// door is open, or when the accounts are in different organizations.
func (c *check) residual(v xsdoctor.State) *xsdoctor.Finding {
	f := c.f
	differentOrgs := f.Owner.OrgID != "" && f.Consumer.OrgID != "" && f.Owner.OrgID != f.Consumer.OrgID ||
		f.Owner.OrgID != "" && f.Consumer.NoOrg
	if v != xsdoctor.StateOpen && !differentOrgs {
		return nil
	}
	ev := c.unreadGuardrails()
	if differentOrgs {
		ev = append(ev, xsdoctor.Evidence{Source: "organizations:DescribeOrganization",
			Note: fmt.Sprintf("owner organization %s, consumer organization %s: data-perimeter SCPs and RCPs on aws:PrincipalOrgID / aws:ResourceOrgID would block this read", f.Owner.OrgID, first(f.Consumer.OrgID, "(none)"))})
	}
	ev = append(ev, xsdoctor.Evidence{Source: "session policies", Note: "a session policy passed when the workload assumes " + c.roleARN + " can narrow its permissions and is invisible to IAM APIs"})
	if e := c.endpointsUnread(); e != nil {
		ev = append(ev, *e)
	}
	return &xsdoctor.Finding{
		Code:     xsdoctor.ResidualGuardrails,
		Effect:   xsdoctor.EffectInfo,
		Summary:  "Guardrails that were not read can still deny this read: " + residualKinds(ev),
		Detail:   "If the read still fails with every door open, the error text names the policy type (\"... in a resource control policy\").",
		Evidence: ev,
	}
}

// warnGuessedRole adds a step to every fix that names a role ARN derived without its path.
func (c *check) warnGuessedRole(d *xsdoctor.Diagnosis) {
	step := "Check the role ARN " + c.roleARN + ": it was derived from the session ARN because iam:GetRole could not be read, and a role with a path (e.g. /service/ or /aws-reserved/sso.amazonaws.com/) has it between role/ and the name."
	for i := range d.Doors {
		for j := range d.Doors[i].Findings {
			if fx := d.Doors[i].Findings[j].Fix; fx != nil && strings.Contains(fx.Statement+fx.Terraform+strings.Join(fx.Steps, " "), c.roleARN) {
				fx.Steps = append(fx.Steps, step)
			}
		}
	}
}

func sortedCalls(calls []xsdoctor.Call) []xsdoctor.Call {
	out := append([]xsdoctor.Call{}, calls...) // never nil: the report always lists calls
	slices.SortStableFunc(out, xsdoctor.CompareCalls)
	return out
}

func sortedAssumeFailures(in []xsdoctor.AssumeFailure) []xsdoctor.AssumeFailure {
	out := append([]xsdoctor.AssumeFailure{}, in...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Purpose != out[j].Purpose {
			return out[i].Purpose < out[j].Purpose
		}
		return out[i].Role < out[j].Role
	})
	return out
}

// inputSummary is what the user gave, for the report's "input".
func inputSummary(in xsdoctor.Input) xsdoctor.InputSummary {
	return xsdoctor.InputSummary{
		Secret: in.SecretArg, Consumer: in.ConsumerArg, Region: in.Region,
		OwnerRole: in.OwnerRole, ConsumerRole: in.ConsumerRole, KeyRole: in.KeyRole,
		OwnerProfile: in.OwnerProfile, ConsumerProfile: in.ConsumerProfile,
		OrgRole: in.OrgRole, OrgProfile: in.OrgProfile,
		Error: in.Error,
	}
}

// residualKinds names the kinds of guardrail the evidence lists, for the summary.
func residualKinds(ev []xsdoctor.Evidence) string {
	var kinds []string
	add := func(k string) {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	for _, e := range ev {
		switch {
		case strings.Contains(e.Source+e.Note, "service control polic"):
			add("service control policies")
		case strings.Contains(e.Source+e.Note, "resource control polic"):
			add("resource control policies")
		case strings.HasPrefix(e.Source, "session"):
			add("session policies")
		case strings.Contains(e.Source, "VPC endpoint") || strings.Contains(e.Source, "ec2:"):
			add("VPC endpoint policies")
		}
	}
	return strings.Join(kinds, ", ")
}
