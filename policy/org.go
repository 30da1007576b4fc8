package policy

import "strings"

// Organization guardrails: SCP and RCP hierarchies and the exemptions AWS applies to them.
//
// "For a permission to be allowed for a specific account, there must be an explicit Allow
// statement at every level from the root through each OU in the direct path to the account
// (including the target account itself)"; a Deny at any of those levels denies (AWS
// Organizations User Guide, "SCP evaluation"). RCPs are evaluated the same way, but
// RCPFullAWSAccess is attached to the root, every OU and every account and cannot be detached,
// so only their Deny statements restrict (AWS Organizations User Guide, "RCP evaluation").

// guardrail evaluates the SCPs (one implied-FullAWSAccess level and/or a hierarchy) or the RCPs
// into t, or records why they do not apply.
func (e *evaluation) guardrail(pt PolicyType, flat []Named, h *Hierarchy, t *typeTally) {
	if len(flat) == 0 && h == nil {
		return
	}
	t.present = true
	if reason := e.exemption(pt, h); reason != "" {
		t.exempt = true
		if e.collect {
			e.res.Exempt = append(e.res.Exempt, Exemption{Type: pt, Reason: reason})
		}
		return
	}
	resourceSide := pt == TypeRCP
	// What FullAWSAccess or RCPFullAWSAccess allows when it is implied.
	implied, impliedName := "FullAWSAccess", "FullAWSAccess"
	if pt == TypeRCP {
		implied, impliedName = "RCPFullAWSAccess", "RCPFullAWSAccess"
	}
	t.allow = true
	if len(flat) > 0 {
		// One level with the implied full-access policy (SPEC §7 `scps`, `rcps`): it allows
		// everything, so these policies can only deny.
		for i := range flat {
			e.policy(pt, &flat[i], t, resourceSide)
		}
		if e.collect {
			e.res.Matched = append(e.res.Matched, StatementRef{Type: pt, Policy: impliedName, Sid: implied, Index: 1, Effect: "Allow"})
		}
	}
	if h == nil {
		return
	}
	for i := range h.Levels {
		lv := &h.Levels[i]
		lt := typeTally{present: true}
		e.target = lv.Target
		for j := range lv.Policies {
			e.policy(pt, &lv.Policies[j], &lt, resourceSide)
		}
		if pt == TypeRCP {
			lt.allow = true
			if e.collect {
				e.res.Matched = append(e.res.Matched, StatementRef{Type: pt, Policy: impliedName, Sid: implied, Index: 1, Effect: "Allow", Target: lv.Target})
			}
		}
		e.target = ""
		// Every level must allow; a deny at any level denies. The other levels are still
		// evaluated, so every denying level and statement is reported.
		t.deny = t.deny || lt.deny
		t.allow = t.allow && lt.allow
		if e.collect {
			e.res.Levels = append(e.res.Levels, LevelResult{Type: pt, Target: lv.Target, Outcome: lt.outcome()})
		}
	}
}

// exemption says why the SCPs or RCPs do not apply to this request, or "".
func (e *evaluation) exemption(pt PolicyType, h *Hierarchy) ExemptReason {
	switch {
	case h != nil && h.Management:
		// "SCPs don't affect users or roles in the management account"; "RCPs don't affect
		// resources in the management account" (AWS Organizations User Guide, "Service control
		// policies", "Resource control policies").
		return ExemptManagementAccount
	case e.w.serviceLinked():
		// "SCPs don't affect service-linked roles"; RCPs do not apply to them either (AWS
		// Organizations User Guide, "Service control policies", "Resource control policies").
		return ExemptServiceLinkedRole
	case pt == TypeRCP && e.set.AWSManagedKey:
		// "Resource control policies in your organization do not apply to AWS managed keys"
		// (AWS KMS Developer Guide, "Resource control policies in AWS KMS").
		return ExemptAWSManagedKey
	}
	return ""
}

// serviceLinked reports whether the principal is a service-linked role or one of its sessions:
// such roles live under the path /aws-service-role/ and their names begin with
// AWSServiceRoleFor (IAM User Guide, "Using service-linked roles"). A session ARN carries no
// path, so without the role ARN the name decides.
func (w *who) serviceLinked() bool {
	if !w.hasRole() {
		return false
	}
	if w.roleARN != "" {
		if parts, ok := arnParts(w.roleARN); ok && strings.HasPrefix(parts[5], "role/aws-service-role/") {
			return true
		}
	}
	return strings.HasPrefix(w.roleName, "AWSServiceRoleFor")
}
