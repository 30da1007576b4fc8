package door

import (
	"fmt"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
)

// secretDoor decides the secret-policy door: does the secret's resource policy allow the
// consumer secretsmanager:GetSecretValue, with nothing there denying it?
//
// For a consumer in the secret's own account the resource policy is not needed: within one
// account an allow in either the identity policy or the resource policy suffices (IAM User
// Guide, "Policy evaluation logic"). The door then only asks whether the resource policy denies:
// it is closed on an explicit deny and open otherwise, and whether the consumer gets in at all is
// the consumer-iam door's question (which, in the same account, counts a resource-policy allow).
func (c *check) secretDoor() xsdoctor.Door {
	d := xsdoctor.Door{Door: xsdoctor.DoorSecretPolicy}
	s := c.f.Secret
	same := c.sameAccount(c.owner)

	if s.NotFound {
		d.Findings = append(d.Findings, c.secretUnreadable("the secret was not found", nil))
		return d
	}
	sp, why := c.secretPolicy()
	if why != "" && s.DeletedDate != "" {
		why += "; AWS refuses GetResourcePolicy on a secret scheduled for deletion, so restore it first"
	}
	if why != "" {
		d.Findings = append(d.Findings, c.secretUnreadable(why, s.PolicyErr))
		return d
	}
	if af := c.assumeFailure("owner"); af != nil && sp == nil {
		d.Findings = append(d.Findings, c.secretUnreadable("the owner account's inspector role "+af.Role+" could not be assumed ("+af.Code+")", nil))
		return d
	}
	if sp == nil {
		if same {
			return d
		}
		d.Findings = append(d.Findings, xsdoctor.Finding{
			Code:     xsdoctor.SecretPolicyMissing,
			Effect:   xsdoctor.EffectCloses,
			Summary:  fmt.Sprintf("%s has no resource policy, so no principal in another account (%s) can read it", c.secretARN, c.principal()),
			Detail:   "A cross-account GetSecretValue needs an allow in the secret's resource policy as well as in the consumer's IAM.",
			Evidence: []xsdoctor.Evidence{{Source: "secretsmanager:GetResourcePolicy " + c.secretARN, Note: "ResourcePolicy is absent"}},
			Fix:      c.secretPolicyFix("In account "+c.owner+", attach a resource policy to the secret with this statement.", false),
		})
		return d
	}

	res := policy.Evaluate(c.getSecret, policy.Set{
		Identity: []policy.Named{{Name: assumedIdentity, Doc: allowAllIdentity}},
		Resource: sp,
	})
	switch {
	case res.Decision == policy.ExplicitDeny:
		d.Findings = append(d.Findings, c.secretExplicitDeny(res))
		return d
	case res.Decision == policy.ImplicitDeny && !same:
		if f := c.guessedRoleMiss("The secret-policy door", xsdoctor.SecretPolicyUnreadable, res); f != nil {
			d.Findings = append(d.Findings, *f)
			return d
		}
		d.Findings = append(d.Findings, c.secretNoAllow(res))
		return d
	}
	if f := c.unreadFinding("The secret-policy door", xsdoctor.SecretPolicyUnreadable, c.getSecret, res); f != nil {
		d.Findings = append(d.Findings, *f)
		return d
	}
	if f := c.conditionalFinding("The secret-policy door", res); f != nil {
		d.Findings = append(d.Findings, *f)
		return d
	}
	return d
}

func (c *check) secretUnreadable(why string, re *xsdoctor.ReadError) xsdoctor.Finding {
	f := xsdoctor.Finding{
		Code:    xsdoctor.SecretPolicyUnreadable,
		Effect:  xsdoctor.EffectUnknown,
		Summary: fmt.Sprintf("The secret-policy door cannot be decided for %s: %s", c.secretARN, why),
		Detail:  fmt.Sprintf("Give the inspector role in account %s secretsmanager:DescribeSecret and secretsmanager:GetResourcePolicy, and exempt it from any Deny in the secret's policy.", c.owner),
	}
	if re != nil {
		f.Evidence = []xsdoctor.Evidence{{Source: re.Call, Note: readErrText(re)}}
	} else {
		f.Evidence = []xsdoctor.Evidence{{Source: "secret " + c.secretARN, Note: why}}
	}
	return f
}

func (c *check) secretExplicitDeny(res policy.Result) xsdoctor.Finding {
	ev := c.matched(res, "Deny", policy.TypeResource)
	f := xsdoctor.Finding{
		Code:     xsdoctor.SecretPolicyExplicitDeny,
		Effect:   xsdoctor.EffectCloses,
		Summary:  fmt.Sprintf("The resource policy of %s explicitly denies %s secretsmanager:GetSecretValue%s", c.secretARN, c.principal(), sidList(ev)),
		Detail:   "An explicit deny wins over every allow. If the Deny is a data perimeter (aws:PrincipalOrgID, aws:SourceVpce), the consumer is outside it: widen the perimeter or exempt the consumer.",
		Evidence: c.withConditions(secretPolicyName, ev, c.getSecret),
	}
	if s, ok := c.firstDeny(secretPolicyName, ev); ok {
		f.Fix = c.denyExemptionFix(c.owner, "resource policy of "+c.secretARN, "the secret's resource policy", s,
			fixCondition{Op: "ArnNotLike", Key: "aws:PrincipalArn", Values: []string{c.roleARN}},
			"In account "+c.owner+", stop the Deny applying to "+c.roleARN+".")
	}
	return f
}

// withConditions adds each matched statement's conditions, expected vs actual, to its evidence.
func (c *check) withConditions(name string, ev []xsdoctor.Evidence, req policy.Request) []xsdoctor.Evidence {
	stmts := c.statements(name)
	var out []xsdoctor.Evidence
	for _, e := range ev {
		added := false
		for _, s := range stmts {
			if e.Policy != name || s.Index != e.Index {
				continue
			}
			for _, ok := range s.conditionKeys() {
				op, key, _ := strings.Cut(ok, " ")
				got, present := lookup(req, key)
				x := e
				x.Condition = ok
				x.Expected = strings.Join(s.Condition[op][key], ", ")
				x.Actual = strings.Join(got, ", ")
				if !present {
					x.Actual = "(absent from the request)"
				}
				out = append(out, x)
				added = true
			}
		}
		if !added {
			out = append(out, e)
		}
	}
	return sortEvidence(out)
}

// secretNoAllow explains an implicit deny by the secret policy: a dangling unique-id principal, a
// statement naming the consumer whose condition failed, or nothing naming the consumer.
func (c *check) secretNoAllow(res policy.Result) xsdoctor.Finding {
	var stale []xsdoctor.Evidence
	for _, s := range c.statements(secretPolicyName) {
		if !strings.EqualFold(s.Effect, "Allow") || !s.coversAction("secretsmanager:GetSecretValue") {
			continue
		}
		for _, p := range s.Principals {
			if policy.IsUniqueID(p) && p != c.f.Role.ID && c.staleWouldAdmit(s.Index) {
				e := c.rawEvidence(secretPolicyName, s, "Principal "+p+" is a unique id: the role or user it named was deleted, and IAM can no longer map it back to an ARN")
				e.Expected = c.roleARN
				if c.f.Role.ID != "" {
					e.Expected += " (RoleId " + c.f.Role.ID + ")"
				}
				e.Actual = p
				stale = append(stale, e)
			}
		}
	}
	if len(stale) > 0 {
		return xsdoctor.Finding{
			Code:   xsdoctor.SecretPolicyStalePrincipal,
			Effect: xsdoctor.EffectCloses,
			Summary: fmt.Sprintf("The resource policy of %s allows a deleted principal %s%s; a re-created %s is a different principal",
				c.secretARN, stale[0].Actual, sidList(stale), c.roleARN),
			Detail:   "IAM stores a role ARN in a resource policy as the role's unique id; once the role is deleted the policy keeps the id and never matches the new role of the same name. Put the role ARN back in the policy.",
			Evidence: stale,
			Fix:      c.secretPolicyFix("In account "+c.owner+", replace the dangling principal with the role ARN (re-save the policy with this statement).", true),
		}
	}
	miss := c.misses(res, conditionMiss, policy.TypeResource)
	if len(miss) == 0 && len(res.Misses) == 0 {
		miss = c.rawConditionMisses(secretPolicyName, "secretsmanager:GetSecretValue", c.getSecret)
	}
	if len(miss) > 0 {
		return xsdoctor.Finding{
			Code:   xsdoctor.SecretPolicyConditionMismatch,
			Effect: xsdoctor.EffectCloses,
			Summary: fmt.Sprintf("The resource policy of %s names %s for GetSecretValue%s, but its condition does not match the request",
				c.secretARN, c.consumerNamed(), sidList(miss)),
			Evidence: miss,
			Fix:      c.secretPolicyFix("In account "+c.owner+", correct the condition (expected vs actual in the evidence), or add this statement.", true),
		}
	}
	return xsdoctor.Finding{
		Code:     xsdoctor.SecretPolicyNoAllow,
		Effect:   xsdoctor.EffectCloses,
		Summary:  fmt.Sprintf("No statement in the resource policy of %s allows %s secretsmanager:GetSecretValue", c.secretARN, c.principal()),
		Evidence: append(c.whoIsAllowed(secretPolicyName, "secretsmanager:GetSecretValue"), c.misses(res, []string{"Action", "NotAction"}, policy.TypeResource)...),
		Fix:      c.secretPolicyFix("In account "+c.owner+", add this statement to the secret's resource policy.", true),
	}
}
