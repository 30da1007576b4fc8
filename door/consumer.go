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
			Summary:  fmt.Sprintf("iam:SimulatePrincipalPolicy could not be called for %s; local evaluation decided, and SCPs could not be checked", c.roleARN),
			Detail:   "Give the consumer account's inspector iam:SimulatePrincipalPolicy to see SCP and boundary decisions; emulators such as moto do not implement it.",
			Evidence: []xsdoctor.Evidence{{Source: c.f.SimulationErr.Call, Note: readErrText(c.f.SimulationErr)}},
		})
	}

	switch {
	case len(closed) > 0 || len(noAllow) > 0 && len(gaps) == 0:
		d.State = xsdoctor.StateClosed
		d.Findings = append(append(closed, noAllow...), notes...)
	case len(gaps) > 0:
		d.State = xsdoctor.StateUnknown
		f := xsdoctor.Finding{
			Code:    xsdoctor.IAMUnreadable,
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
	case len(cond) > 0:
		d.State = xsdoctor.StateConditional
		d.Findings = append(cond, notes...)
	default:
		d.State = xsdoctor.StateOpen
		d.Findings = notes
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
	if sim != nil && sim.AllowedByOrganizations != nil && !*sim.AllowedByOrganizations {
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
		if f := c.conditionalFinding("The consumer-iam door ("+req.Action+")", res); f != nil {
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

func simEvidence(sim *xsdoctor.Simulation) xsdoctor.Evidence {
	e := xsdoctor.Evidence{
		Source: "iam:SimulatePrincipalPolicy",
		Note:   fmt.Sprintf("%s on %s: EvalDecision %s", sim.Action, sim.Resource, sim.Decision),
	}
	if sim.AllowedByOrganizations != nil {
		e.Note += fmt.Sprintf(", AllowedByOrganizations %t", *sim.AllowedByOrganizations)
	}
	if sim.AllowedByBoundary != nil {
		e.Note += fmt.Sprintf(", AllowedByPermissionsBoundary %t", *sim.AllowedByBoundary)
	}
	for _, m := range sim.Matched {
		e.Note += "; matched " + m.SourcePolicyID
		if m.SourcePolicyType != "" {
			e.Note += " (" + m.SourcePolicyType + ")"
		}
	}
	if len(sim.MissingContext) > 0 {
		e.Note += "; missing context " + strings.Join(sortedStrings(sim.MissingContext), ", ")
	}
	return e
}

func (c *check) scpDeny(req policy.Request, sim *xsdoctor.Simulation) xsdoctor.Finding {
	// SCPs are changed in the organization's management account, whose id a member account
	// cannot see; name the organization instead.
	acct := "management account of " + first(c.f.Consumer.OrgID, "the consumer's organization")
	return xsdoctor.Finding{
		Code: xsdoctor.IAMSCPDeny,
		Summary: fmt.Sprintf("A service control policy of %s's organization denies %s on %s",
			c.roleARN, req.Action, req.Resource),
		Detail:   "SCP text cannot be read from a member account; the simulator's OrganizationsDecisionDetail says an SCP blocks the call. Data-perimeter SCPs on aws:ResourceOrgID commonly block secrets owned by another organization.",
		Evidence: []xsdoctor.Evidence{simEvidence(sim)},
		Fix: &xsdoctor.Fix{
			Account: acct,
			Where:   "service control policies attached to account " + c.consumer + " or its OUs",
			Steps: []string{
				"Ask the organization's administrators (aws organizations list-policies-for-target --target-id " + c.consumer + " --filter SERVICE_CONTROL_POLICY) which SCP denies " + req.Action + ".",
				"Add an exception for this resource to the denying statement, e.g. a condition ArnNotLike aws:PrincipalArn " + c.roleARN + ", or add the owner's organization (" + first(c.f.Owner.OrgID, "account "+c.owner) + ") to the perimeter's allowed values.",
			},
		},
	}
}

func (c *check) boundaryDeny(req policy.Request, sim *xsdoctor.Simulation, boundary *policy.Named, res *policy.Result) xsdoctor.Finding {
	name := ""
	if boundary != nil {
		name = boundary.Name
	}
	f := xsdoctor.Finding{
		Code:    xsdoctor.IAMBoundaryDeny,
		Summary: fmt.Sprintf("The permissions boundary %s of %s does not allow %s on %s", first(name, "(unread)"), c.roleARN, req.Action, req.Resource),
		Detail:  "Effective permissions are the intersection of the identity policies and the boundary: the identity policies allow the action, the boundary does not.",
	}
	if res != nil {
		f.Evidence = append(f.Evidence, c.matched(*res, "Allow", policy.TypeIdentity)...)
	}
	if boundary != nil {
		f.Evidence = append(f.Evidence, xsdoctor.Evidence{Source: c.sources[name], Policy: name, Note: "no statement allows " + req.Action + " on " + req.Resource})
	}
	if sim != nil {
		f.Evidence = append(f.Evidence, simEvidence(sim))
	}
	st := c.iamSecretStatement()
	if req.Action == "kms:Decrypt" {
		st = c.iamKMSStatement()
	}
	st.Sid = "Boundary" + st.Sid
	if boundary == nil {
		// The simulator saw a boundary the probe could not read.
		f.Fix = &xsdoctor.Fix{
			Account:   c.consumer,
			Where:     "permissions boundary of " + c.roleARN,
			Statement: st.JSON(),
			Terraform: "# Account " + c.consumer + ": the permissions boundary attached to " + c.roleARN + "\n" +
				st.policyDocument("permissions_boundary", "keep the existing statements of the boundary"),
			Steps: []string{
				"Find the boundary: aws iam get-role --role-name " + c.f.Role.Name + " --query Role.PermissionsBoundary.",
				"Add the statement to it (aws iam create-policy-version --set-as-default), or detach the boundary if it is not required.",
			},
		}
	}
	if boundary != nil {
		f.Fix = &xsdoctor.Fix{
			Account:   c.consumer,
			Where:     "permissions boundary " + name,
			Statement: st.JSON(),
			Terraform: "# Account " + c.consumer + ": the permissions boundary " + name + "\n" +
				st.policyDocument("permissions_boundary", "keep the existing statements of the boundary") +
				"\nresource \"aws_iam_policy\" \"permissions_boundary\" {\n  # ... existing arguments ...\n  policy = data.aws_iam_policy_document.permissions_boundary.json\n}\n",
			Steps: []string{
				"In account " + c.consumer + ", add the statement to the boundary policy " + name + " (aws iam create-policy-version --policy-arn " + name + " --policy-document file://boundary.json --set-as-default).",
				"A boundary is usually shared by many roles: check with its owners that widening it is acceptable.",
			},
		}
	}
	return f
}

func (c *check) iamExplicitDeny(req policy.Request, res policy.Result, boundary *policy.Named) xsdoctor.Finding {
	ev := c.matched(res, "Deny", policy.TypeIdentity, policy.TypeBoundary)
	code := xsdoctor.IAMExplicitDeny
	where := "identity policy"
	for _, e := range ev {
		if boundary != nil && e.Policy == boundary.Name {
			code, where = xsdoctor.IAMBoundaryDeny, "permissions boundary"
		}
	}
	f := xsdoctor.Finding{
		Code:     code,
		Summary:  fmt.Sprintf("A %s of %s explicitly denies %s on %s%s", where, c.roleARN, req.Action, req.Resource, sidList(ev)),
		Detail:   "An explicit deny wins over every allow.",
		Evidence: ev,
	}
	if len(ev) > 0 {
		if s, ok := c.firstDeny(ev[0].Policy, ev); ok {
			cond := fixCondition{Op: "StringNotEquals", Key: "secretsmanager:SecretId", Values: []string{c.secretARN}}
			if req.Action == "kms:Decrypt" {
				cond = fixCondition{Op: "StringNotEquals", Key: "kms:EncryptionContext:SecretARN", Values: []string{c.secretARN}}
			}
			f.Fix = c.denyExemptionFix(c.consumer, where+" "+ev[0].Policy+" of "+c.roleARN, ev[0].Policy, s, cond,
				"In account "+c.consumer+", stop the Deny applying to "+req.Action+" for this secret.")
		}
	}
	return f
}

// iamNoSecret explains why no identity statement allows GetSecretValue on the full ARN.
func (c *check) iamNoSecret(res policy.Result, ids []policy.Named) xsdoctor.Finding {
	const action = "secretsmanager:GetSecretValue"
	var near []xsdoctor.Evidence
	for _, p := range ids {
		for _, s := range rawStatements(c.policyText(p.Name)) {
			if !strings.EqualFold(s.Effect, "Allow") || !s.coversAction(action) || s.NotResource {
				continue
			}
			for _, r := range s.Resources {
				if why := secretNearMiss(r, c.secretARN); why != "" {
					e := c.rawEvidence(p.Name, s, why)
					e.Condition = "Resource"
					e.Expected = c.secretARN
					e.Actual = r
					near = append(near, e)
				}
			}
		}
	}
	if len(near) > 0 {
		return xsdoctor.Finding{
			Code: xsdoctor.IAMSecretResourceMismatch,
			Summary: fmt.Sprintf("%s allows GetSecretValue on %s%s, which does not match the secret's full ARN %s",
				c.roleARN, near[0].Actual, sidList(near), c.secretARN),
			Detail:   "A secret's ARN ends with a hyphen and 6 random characters; name it exactly, or as name-?????? in the right region and account.",
			Evidence: sortEvidence(near),
			Fix:      c.iamFix("In account "+c.consumer+", allow GetSecretValue on the full secret ARN (or correct the Resource of the statement in the evidence).", c.iamSecretStatement(), "read-cross-account-secret"),
		}
	}
	ev := c.misses(res, append(conditionMiss, otherMiss...), policy.TypeIdentity)
	if len(ev) == 0 {
		ev = []xsdoctor.Evidence{{Source: "identity policies of " + c.roleARN, Note: fmt.Sprintf("%d policies read; none allows %s on %s", len(ids), action, c.secretARN)}}
	}
	return xsdoctor.Finding{
		Code:     xsdoctor.IAMNoSecretAllow,
		Summary:  fmt.Sprintf("No identity policy of %s allows secretsmanager:GetSecretValue on %s", c.roleARN, c.secretARN),
		Detail:   "A cross-account read needs the consumer's own IAM allow as well as the secret's resource policy.",
		Evidence: ev,
		Fix:      c.iamFix("In account "+c.consumer+", add this statement to the role.", c.iamSecretStatement(), "read-cross-account-secret"),
	}
}

// secretNearMiss says why an identity Resource pattern almost names the secret: the name without
// its random suffix, or the right name in the wrong region or account (Secrets Manager User
// Guide, "Troubleshooting": ARNs end in a hyphen and six characters). "" when it is unrelated.
func secretNearMiss(pattern, arn string) string {
	if globMatch(pattern, arn, false) {
		return ""
	}
	p, a := parseARN(pattern), parseARN(arn)
	if p.service != "secretsmanager" || a.service == "" {
		return ""
	}
	base := a.resource // secret:NAME-XXXXXX
	if i := strings.LastIndex(base, "-"); i > 0 && len(base)-i == 7 {
		base = base[:i]
	}
	suffixless := p.resource == base
	if !suffixless && !globMatch(p.resource, a.resource, false) {
		return "" // another secret
	}
	var what []string
	if suffixless {
		what = append(what, "the secret's name without its 6-character suffix (use "+base+"-?????? or the full ARN)")
	}
	if !globMatch(p.region, a.region, false) {
		what = append(what, "region "+p.region+" instead of "+a.region)
	}
	if !globMatch(p.account, a.account, false) {
		what = append(what, "account "+p.account+" instead of "+a.account)
	}
	if len(what) == 0 {
		return ""
	}
	return "names " + strings.Join(what, "; ")
}

// iamNoKMS explains why no identity statement allows kms:Decrypt on the key ARN.
func (c *check) iamNoKMS(res policy.Result, ids []policy.Named) xsdoctor.Finding {
	const action = "kms:Decrypt"
	var alias, other []xsdoctor.Evidence
	for _, p := range ids {
		for _, s := range rawStatements(c.policyText(p.Name)) {
			if !strings.EqualFold(s.Effect, "Allow") || !s.coversAction(action) || s.NotResource {
				continue
			}
			for _, r := range s.Resources {
				if globMatch(r, c.keyARN, false) {
					continue
				}
				e := c.rawEvidence(p.Name, s, "")
				e.Condition = "Resource"
				e.Expected = c.keyARN
				e.Actual = r
				switch {
				case strings.Contains(r, ":alias/") || strings.HasPrefix(r, "alias/"):
					e.Note = "an alias ARN in Resource matches the alias, never the key Decrypt is authorized against"
					alias = append(alias, e)
				case !strings.HasPrefix(r, "arn:"):
					e.Note = "a key id or alias name is not an ARN and never matches"
					alias = append(alias, e)
				case parseARN(r).service == "kms":
					e.Note = "does not cover the key (check the account and region)"
					other = append(other, e)
				}
			}
		}
	}
	if len(alias) > 0 {
		return xsdoctor.Finding{
			Code:     xsdoctor.IAMKMSAliasResource,
			Summary:  fmt.Sprintf("%s allows kms:Decrypt on %s%s, an alias or key id; Decrypt is authorized against the key ARN %s", c.roleARN, alias[0].Actual, sidList(alias), c.keyARN),
			Detail:   "In an IAM policy a KMS key must be named by its key ARN; an alias ARN applies to the alias, not the key. To use aliases, allow arn:aws:kms:" + c.region + ":" + c.keyAcct + ":key/* with a kms:ResourceAliases condition.",
			Evidence: sortEvidence(alias),
			Fix:      c.iamFix("In account "+c.consumer+", name the key ARN instead of the alias.", c.iamKMSStatement(), "decrypt-cross-account-secret"),
		}
	}
	ev := append(other, c.misses(res, append(conditionMiss, otherMiss...), policy.TypeIdentity)...)
	if len(ev) == 0 {
		ev = []xsdoctor.Evidence{{Source: "identity policies of " + c.roleARN, Note: fmt.Sprintf("%d policies read; none allows %s on %s", len(ids), action, c.keyARN)}}
	}
	detail := "Secrets Manager decrypts with the caller's own permissions: a cross-account reader needs kms:Decrypt on the key ARN in its IAM policy, even when the key policy names it."
	if c.grantAllows() {
		// Whether a cross-account grant stands in for the grantee's IAM permission is not
		// settled (aws-semantics §2.8, VERIFY-LIVE); like the emulator, this tool requires both.
		detail += " A KMS grant on the key names the role; a grant opens the key side, but do not rely on it to replace the role's own IAM permission."
	}
	return xsdoctor.Finding{
		Code:     xsdoctor.IAMNoKMSAllow,
		Summary:  fmt.Sprintf("No identity policy of %s allows kms:Decrypt on %s", c.roleARN, c.keyARN),
		Detail:   detail,
		Evidence: sortEvidence(ev),
		Fix:      c.iamFix("In account "+c.consumer+", add this statement to the role.", c.iamKMSStatement(), "decrypt-cross-account-secret"),
	}
}

// compareSimulation reports SIMULATION_DISAGREES when the simulator's decision differs from the
// local one. A conditional local answer, or a simulator that named missing context, is not
// compared: the simulator fills in nothing it was not given.
func (c *check) compareSimulation(req policy.Request, sim *xsdoctor.Simulation, local policy.Decision, res policy.Result) *xsdoctor.Finding {
	if sim == nil || len(res.Conditional) > 0 {
		return nil
	}
	if sim.AllowedByOrganizations != nil && !*sim.AllowedByOrganizations ||
		sim.AllowedByBoundary != nil && !*sim.AllowedByBoundary {
		return nil // reported as IAM_SCP_DENY or IAM_BOUNDARY_DENY
	}
	simDecision := map[string]policy.Decision{
		"allowed": policy.Allow, "implicitDeny": policy.ImplicitDeny, "explicitDeny": policy.ExplicitDeny,
	}[sim.Decision]
	if simDecision == policy.ImplicitDeny && len(sim.Matched) > 0 && local == policy.Allow {
		// For a resource in another account with no ResourcePolicy the simulator may answer
		// implicitDeny for the missing resource side while listing the identity statements
		// that allow: that is the identity side allowing (aws-semantics §4.4, VERIFY-LIVE 1).
		simDecision = policy.Allow
	}
	if simDecision == "" || simDecision == local {
		return nil
	}
	return &xsdoctor.Finding{
		Code: xsdoctor.SimulationDisagrees,
		Summary: fmt.Sprintf("iam:SimulatePrincipalPolicy says %s for %s on %s, local evaluation says %s; the local result stands",
			sim.Decision, req.Action, req.Resource, local),
		Detail: "The simulator evaluates only identity policies, the boundary and SCPs with the context it was given; a difference usually means an SCP, a missing context key, or a policy the inspector could not read.",
		Evidence: []xsdoctor.Evidence{
			simEvidence(sim),
			{Source: "local evaluation", Note: fmt.Sprintf("%s on %s: %s", req.Action, req.Resource, local)},
		},
	}
}
