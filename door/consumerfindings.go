package door

import (
	"fmt"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
	"github.com/xsdoctor/xsdoctor/policy"
)

// The consumer-iam door's findings: what closed it, the evidence, and the fix.

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
	// SCPs are changed in the organization's management account; DescribeOrganization tells
	// every member its id (MasterAccountId). Only when that read failed is it named by words.
	acct := first(c.f.Consumer.ManagementAccount, "management account of "+first(c.f.Consumer.OrgID, "the consumer's organization"))
	return xsdoctor.Finding{
		Code:   xsdoctor.IAMSCPDeny,
		Effect: xsdoctor.EffectCloses,
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
		Effect:  xsdoctor.EffectCloses,
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
		Effect:   xsdoctor.EffectCloses,
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
		for _, s := range c.statements(p.Name) {
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
			Code:   xsdoctor.IAMSecretResourceMismatch,
			Effect: xsdoctor.EffectCloses,
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
		Effect:   xsdoctor.EffectCloses,
		Summary:  fmt.Sprintf("No identity policy of %s allows secretsmanager:GetSecretValue on %s", c.roleARN, c.secretARN),
		Detail:   "A cross-account read needs the consumer's own IAM allow as well as the secret's resource policy.",
		Evidence: ev,
		Fix:      c.iamFix("In account "+c.consumer+", add this statement to the role.", c.iamSecretStatement(), "read-cross-account-secret"),
	}
}

// secretNearMiss says why an identity Resource pattern almost names the secret: the name without
// its random suffix, or the right name in the wrong region or account (Secrets Manager User
// Guide, "Troubleshooting": ARNs end in a hyphen and six characters). "" when it is unrelated.
func secretNearMiss(pattern, secret string) string {
	if policy.MatchWildcard(pattern, secret, false) {
		return ""
	}
	p, _ := arn.Split(pattern)
	a, _ := arn.Split(secret)
	if p.Service != "secretsmanager" || a.Service == "" {
		return ""
	}
	base := a.Resource // secret:NAME-XXXXXX
	if i := strings.LastIndex(base, "-"); i > 0 && len(base)-i == 7 {
		base = base[:i]
	}
	suffixless := p.Resource == base
	if !suffixless && !policy.MatchWildcard(p.Resource, a.Resource, false) {
		return "" // another secret
	}
	var what []string
	if suffixless {
		what = append(what, "the secret's name without its 6-character suffix (use "+base+"-?????? or the full ARN)")
	}
	if !policy.MatchWildcard(p.Region, a.Region, false) {
		what = append(what, "region "+p.Region+" instead of "+a.Region)
	}
	if !policy.MatchWildcard(p.Account, a.Account, false) {
		what = append(what, "account "+p.Account+" instead of "+a.Account)
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
		for _, s := range c.statements(p.Name) {
			if !strings.EqualFold(s.Effect, "Allow") || !s.coversAction(action) || s.NotResource {
				continue
			}
			for _, r := range s.Resources {
				if policy.MatchWildcard(r, c.keyARN, false) {
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
				case isKMS(r):
					e.Note = "does not cover the key (check the account and region)"
					other = append(other, e)
				}
			}
		}
	}
	if len(alias) > 0 {
		return xsdoctor.Finding{
			Code:     xsdoctor.IAMKMSAliasResource,
			Effect:   xsdoctor.EffectCloses,
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
		Effect:   xsdoctor.EffectCloses,
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
	if sim == nil || len(res.Conditional) > 0 || len(sim.MissingContext) > 0 {
		// The simulator was not asked the whole question: it lacked context keys it needed
		// (MissingContextValues), so its answer is no disagreement.
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
		Code:   xsdoctor.SimulationDisagrees,
		Effect: xsdoctor.EffectInfo,
		Summary: fmt.Sprintf("iam:SimulatePrincipalPolicy says %s for %s on %s, local evaluation says %s; the local result stands",
			sim.Decision, req.Action, req.Resource, local),
		Detail: "The simulator evaluates only identity policies, the boundary and SCPs with the context it was given; a difference usually means an SCP, a missing context key, or a policy the inspector could not read.",
		Evidence: []xsdoctor.Evidence{
			simEvidence(sim),
			{Source: "local evaluation", Note: fmt.Sprintf("%s on %s: %s", req.Action, req.Resource, local)},
		},
	}
}

// isKMS reports whether a Resource pattern is a KMS ARN.
func isKMS(pattern string) bool {
	a, ok := arn.Split(pattern)
	return ok && a.Service == "kms"
}
