package door

import (
	"fmt"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
)

// consumerDoor decides the consumer-iam door: do the consumer role's identity policies allow
// secretsmanager:GetSecretValue on the full secret ARN and kms:Decrypt on the key ARN, with no
// permissions boundary, SCP or explicit deny taking that away? SCP text cannot be read from a
// member account, so SCPs are seen only through the simulator's OrganizationsDecisionDetail
// (IAM API reference, SimulatePrincipalPolicy). Local evaluation decides everything else; a
// simulator that disagrees is reported, not obeyed (SPEC §3).
func (c *check) consumerDoor() xsdoctor.Door {
	d := xsdoctor.Door{Door: xsdoctor.DoorConsumerIAM}
	r := c.f.Role

	if re := r.Err; re != nil && re.Call == "iam:GetRole" && re.Code == "NoSuchEntity" {
		d.Findings = append(d.Findings, c.consumerNotFound(re))
		return d
	}
	ids, boundary, problems := c.identity()
	var gaps []string
	var gapErrs []xsdoctor.ReadError
	if af := c.assumeFailure("consumer"); af != nil && len(r.Policies) == 0 && r.Boundary == nil {
		gaps = append(gaps, "the consumer account's inspector role "+af.Role+" could not be assumed ("+af.Code+")")
	}
	if r.Err != nil {
		gaps = append(gaps, readErrText(r.Err))
		gapErrs = append(gapErrs, *r.Err)
	}
	for _, e := range r.PolicyErrs {
		gaps = append(gaps, readErrText(&e))
		gapErrs = append(gapErrs, e)
	}
	gaps = append(gaps, problems...)
	// Gaps in the role's policies make any "no allow" unproven; an unknown key only leaves the
	// kms:Decrypt half undecided, and a missing GetSecretValue allow is still proven.
	policyGaps := len(gaps)

	acts := []consumerAction{c.judge(c.getSecret, ids, boundary)}
	switch {
	case c.awsManaged():
		// The AWS managed key can never be shared; the consumer's kms:Decrypt is judged against
		// the customer managed key the KEY_AWS_MANAGED fix creates, not against this one.
	case c.keyARN != "":
		acts = append(acts, c.judge(c.decrypt, ids, boundary))
	default:
		gaps = append(gaps, "the key ARN is unknown, so kms:Decrypt cannot be evaluated")
	}

	var closed, noAllow, cond, notes []xsdoctor.Finding
	for _, a := range acts {
		closed = append(closed, a.closed...)
		noAllow = append(noAllow, a.noAllow...)
		cond = append(cond, a.conditional...)
		notes = append(notes, a.notes...)
	}
	if c.f.SimulationErr != nil {
		notes = append(notes, xsdoctor.Finding{
			Code:     xsdoctor.SimulationUnavailable,
			Effect:   xsdoctor.EffectInfo,
			Summary:  fmt.Sprintf("iam:SimulatePrincipalPolicy could not be called for %s; local evaluation decided, and SCPs could not be checked", c.roleARN),
			Detail:   "Give the consumer account's inspector iam:SimulatePrincipalPolicy to see SCP and boundary decisions; emulators such as moto do not implement it.",
			Evidence: []xsdoctor.Evidence{{Source: c.f.SimulationErr.Call, Note: readErrText(c.f.SimulationErr)}},
		})
	}

	switch {
	case len(closed) > 0 || len(noAllow) > 0 && policyGaps == 0:
		d.Findings = append(append(closed, noAllow...), notes...)
	case len(gaps) > 0:
		f := xsdoctor.Finding{
			Code:    xsdoctor.IAMUnreadable,
			Effect:  xsdoctor.EffectUnknown,
			Summary: fmt.Sprintf("The consumer-iam door cannot be decided for %s: %s", c.roleARN, strings.Join(gaps, "; ")),
			Detail:  fmt.Sprintf("Give the inspector role in account %s iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy and iam:GetPolicyVersion.", c.consumer),
		}
		for _, e := range gapErrs {
			f.Evidence = append(f.Evidence, xsdoctor.Evidence{Source: e.Call, Note: readErrText(&e)})
		}
		if len(f.Evidence) == 0 {
			f.Evidence = []xsdoctor.Evidence{{Source: "role " + c.roleARN, Note: strings.Join(gaps, "; ")}}
		}
		// The simulator reads every policy itself: its answer is a hint where local evaluation
		// is incomplete, not a disagreement.
		for i := range c.f.Simulations {
			f.Evidence = append(f.Evidence, simEvidence(&c.f.Simulations[i]))
		}
		var kept []xsdoctor.Finding
		for _, n := range notes {
			if n.Code != xsdoctor.SimulationDisagrees {
				kept = append(kept, n)
			}
		}
		d.Findings = append(append([]xsdoctor.Finding{f}, cond...), kept...)
	default:
		d.Findings = append(cond, notes...)
	}
	return d
}

// consumerAction is the verdict on one of the two actions.
type consumerAction struct {
	closed      []xsdoctor.Finding // proven: an explicit deny, an SCP or boundary the simulator saw
	noAllow     []xsdoctor.Finding // no allow among the policies read: proven only when all were read
	conditional []xsdoctor.Finding
	notes       []xsdoctor.Finding
}

// judge evaluates one request on the consumer's side.
func (c *check) judge(req policy.Request, ids []policy.Named, boundary *policy.Named) consumerAction {
	var a consumerAction
	kms := req.Action == "kms:Decrypt"
	resource := &policy.Named{Name: assumedResource, Doc: allowAllResource}
	res := policy.Evaluate(req, policy.Set{Identity: ids, Boundary: boundary, Resource: resource})
	local := res.Decision

	// Within one account the resource side can allow on its own: a secret policy, or a key
	// policy naming the principal (not the account root) (IAM User Guide, "Policy evaluation
	// logic"; AWS KMS Developer Guide, "Key policies").
	sameAcct := (!kms && c.sameAccount(c.owner)) || (kms && c.sameAccount(c.keyAcct))
	if local == policy.ImplicitDeny && sameAcct {
		set := policy.Set{Identity: ids, Boundary: boundary}
		if kms {
			set.Resource, _ = c.keyPolicy()
			set.Grants = c.grants()
		} else {
			set.Resource, _ = c.secretPolicy()
		}
		if set.Resource != nil {
			if r2 := policy.Evaluate(req, set); r2.Decision == policy.Allow {
				res, local = r2, policy.Allow
			}
		}
	}

	sim := c.simulation(req)
	if c.scpFromSimulator(sim) {
		// Without the SCP text the simulator's answer stands; with it, the text decides
		// (guardrails.go).
		a.closed = append(a.closed, c.scpDeny(req, sim))
	}
	if sim != nil && sim.AllowedByBoundary != nil && !*sim.AllowedByBoundary && !c.boundaryBlocks(req, ids, boundary, res) {
		a.closed = append(a.closed, c.boundaryDeny(req, sim, boundary, nil))
	}

	switch local {
	case policy.ExplicitDeny:
		a.closed = append(a.closed, c.iamExplicitDeny(req, res, boundary))
	case policy.ImplicitDeny:
		switch {
		case c.boundaryBlocks(req, ids, boundary, res):
			a.noAllow = append(a.noAllow, c.boundaryDeny(req, sim, boundary, &res))
		case kms:
			a.noAllow = append(a.noAllow, c.iamNoKMS(res, ids))
		default:
			a.noAllow = append(a.noAllow, c.iamNoSecret(res, ids))
		}
	default:
		if f := c.unreadFinding("The consumer-iam door ("+req.Action+")", xsdoctor.IAMUnreadable, req, res); f != nil {
			a.conditional = append(a.conditional, *f)
		} else if f := c.conditionalFinding("The consumer-iam door ("+req.Action+")", res); f != nil {
			a.conditional = append(a.conditional, *f)
		}
	}

	if f := c.compareSimulation(req, sim, local, res); f != nil {
		a.notes = append(a.notes, *f)
	}
	return a
}

// simulation returns the simulator's result for the request's action and resource.
func (c *check) simulation(req policy.Request) *xsdoctor.Simulation {
	var fallback *xsdoctor.Simulation
	for i := range c.f.Simulations {
		s := &c.f.Simulations[i]
		if !strings.EqualFold(s.Action, req.Action) {
			continue
		}
		if s.Resource == req.Resource {
			return s
		}
		if fallback == nil && (s.Resource == "" || s.Resource == "*") {
			fallback = s
		}
	}
	return fallback
}

// grantAllows says whether a grant lets the consumer decrypt in Secrets Manager's request.
func (c *check) grantAllows() bool {
	if len(c.f.Key.Grants) == 0 {
		return false
	}
	res := policy.Evaluate(c.decrypt, policy.Set{
		Identity: []policy.Named{{Name: assumedIdentity, Doc: allowAllIdentity}},
		Grants:   c.grants(),
	})
	for _, m := range res.Matched {
		if m.Type == policy.TypeGrant && strings.EqualFold(m.Effect, "Allow") {
			return res.Decision == policy.Allow
		}
	}
	return false
}

// boundaryBlocks says whether the boundary is what denies: without it the identity policies
// allow (IAM User Guide, "Permissions boundaries for IAM entities").
func (c *check) boundaryBlocks(req policy.Request, ids []policy.Named, boundary *policy.Named, res policy.Result) bool {
	if boundary == nil || res.Decision == policy.Allow {
		return false
	}
	for _, m := range res.Matched {
		if m.Type == policy.TypeBoundary && strings.EqualFold(m.Effect, "Deny") {
			return true
		}
	}
	without := policy.Evaluate(req, policy.Set{Identity: ids, Resource: &policy.Named{Name: assumedResource, Doc: allowAllResource}})
	return res.Decision == policy.ImplicitDeny && without.Decision == policy.Allow
}

// consumerNotFound is CONSUMER_NOT_FOUND: GetRole answered NoSuchEntity, so no role of that name
// exists in the consumer account and nothing can read the secret as it (IAM API reference,
// GetRole). It closes consumer-iam; granting the inspector more would change nothing.
func (c *check) consumerNotFound(re *xsdoctor.ReadError) xsdoctor.Finding {
	return xsdoctor.Finding{
		Code:     xsdoctor.ConsumerNotFound,
		Effect:   xsdoctor.EffectCloses,
		Summary:  fmt.Sprintf("The consumer role %s does not exist in account %s (iam:GetRole: NoSuchEntity)", c.roleARN, c.consumer),
		Detail:   "Check the role name in --consumer against the workload's real role, e.g. the ARN in the AccessDenied message. A role deleted and re-created under the same name is a new principal: resource policies that named the old one hold its unique id.",
		Evidence: []xsdoctor.Evidence{{Source: "iam:GetRole " + c.f.Role.Name, Note: readErrText(re)}},
		Fix: &xsdoctor.Fix{
			Account: c.consumer,
			Where:   "the consumer principal " + c.principal(),
			Steps: []string{
				"Run xsdoctor again with --consumer set to the principal the AccessDenied message names (the workload's real role).",
				"If the role was deleted, re-create it in account " + c.consumer + " (or restore the Terraform that defines it), then re-save the secret and key policies that name it: they still hold the deleted role's unique id.",
			},
		},
	}
}
