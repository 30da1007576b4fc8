package policy

import "strings"

// Evaluate decides req against set following AWS's policy evaluation logic (IAM User Guide,
// "Policy evaluation logic" and "Cross-account policy evaluation logic"; AWS KMS Developer
// Guide, "Key policies" and "Grants in AWS KMS"):
//
//  1. An explicit Deny in any policy wins.
//  2. SCPs (with their implicit FullAWSAccess), the permissions boundary and the session policy
//     cap the identity side: it allows only when an identity policy allows and each of them
//     present allows too.
//  3. Cross-account (the principal's account differs from the resource's), both the identity
//     side and the resource side (resource policy, or a KMS grant) must allow.
//  4. In one account a resource-policy Allow can suffice on its own: naming the session, an IAM
//     user or everyone ("*") it grants directly; naming the role ARN it is still capped by an
//     implicit deny in the boundary or session policy; naming the account it only delegates to
//     IAM, so an identity Allow is needed.
//  5. For kms: actions the key policy must allow, directly or through a statement allowing the
//     key's account (which delegates to IAM, so the identity side must then allow too): "Unlike
//     other AWS resource policies, an AWS KMS key policy does not automatically give permission
//     to the account" (KMS, "Default key policy"). When the set carries no key policy (Resource
//     nil) the key policy is not judged and the identity side decides.
//  6. RCPs (the resource's organization) carry an implicit RCPFullAWSAccess, so, like SCPs,
//     they can only deny.
//  7. SCP and RCP hierarchies (Set.SCPLevels, Set.RCPLevels): every level must allow, a deny at
//     any level denies; FullAWSAccess counts only where attached, RCPFullAWSAccess everywhere;
//     the exemptions of org.go apply (management account, service-linked roles, AWS managed
//     keys).
//  8. A role's trust policy, like a key policy, must allow sts:AssumeRole* even within one
//     account (rule 5 applies to it: naming the account delegates to IAM).
//  9. sts:GetCallerIdentity needs no permission and cannot be denied: it is always allowed.
//  10. A VPC endpoint policy (Set.Endpoint) must allow as well, and its Deny denies.
//
// Every statement that applied is reported, never only the first; near misses and conditions on
// unknown keys are reported too (see Result).
func Evaluate(req Request, set Set) Result {
	// The evaluation lives on the stack; the result's slices are its only allocations in the
	// usual case.
	var e evaluation
	e.init(req, set)
	buf := new(resultBuf)
	e.res.Matched = buf.matched[:0]
	e.collect = true
	perm := e.run()
	res := e.res
	res.Decision = perm.decision
	buf.types = perm.types
	res.Types = buf.types[:]
	if e.sawUnknown && perm.decision == Allow {
		// The permissive reading assumed every unknown condition in favour of access; if the
		// strict reading does not allow, access depends on them. (When even the permissive
		// reading denies, access is denied whatever they are: nothing is conditional.)
		e.collect, e.strict = false, true
		if strict := e.run(); strict.decision == Allow {
			res.Conditional = nil
		}
	} else {
		res.Conditional = nil
	}
	if e.isCallerIdentity() {
		// "No permissions are required to perform this operation. If an administrator attaches a
		// policy to your identity that explicitly denies access to the sts:GetCallerIdentity
		// action, you can still perform this operation" (AWS STS API Reference,
		// GetCallerIdentity). The statements that applied stay in Matched as evidence.
		res.Decision, res.Conditional = Allow, nil
	}
	return res
}

func (e *evaluation) isCallerIdentity() bool {
	return strings.EqualFold(e.action, "sts:GetCallerIdentity")
}

// resultBuf backs a Result's slices in their usual sizes with one allocation; appends past it
// reallocate as usual.
type resultBuf struct {
	types   [8]TypeResult
	matched [4]StatementRef
}

// evaluation is the per-request state: the normalized principal, the action, the context
// (looked up case-insensitively) and the reading of unknown keys.
type evaluation struct {
	req             Request
	set             Set
	w               who
	action          string // as requested; matched case-insensitively
	isKMS           bool
	isAssumeRole    bool   // sts:AssumeRole, sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity
	target          string // the SCP/RCP level being evaluated, for StatementRef.Target
	resourceAccount string
	resParts        [6]string // the request's resource ARN, split once
	resOK           bool
	strict          bool // unknown conditions read against access (second pass)
	collect         bool // record Matched, Misses, Conditional
	sawUnknown      bool
	unresolved      bool   // a policy variable had no value: the statement is invalid
	res             Result // what the collecting pass records

	// The context: the request's keys and the implied ones, in ctxArr (no allocation) or, for
	// a large context, in ctxMore. Implied values live in implied and are handed out as
	// one-element slices of it; nothing stores those slices, so the evaluation stays on the
	// stack.
	ctxArr  [12]ctxEntry
	nctx    int
	ctxMore []ctxEntry
	implied [3]string
	nimply  int
}

// verdict is the outcome of one pass.
type verdict struct {
	decision Decision
	types    [8]TypeResult
}

// typeTally is what one policy type contributed.
type typeTally struct {
	present bool
	exempt  bool // SCPs or RCPs given that do not apply (Result.Exempt)
	allow   bool
	deny    bool
	// resource side: how the principal was named by an applying Allow
	direct   bool // session, user, "*", NotPrincipal, service, other account, grant
	viaRole  bool // the role ARN (or its unique id): capped by boundary/session implicit deny
	viaOwner bool // the resource's own account: delegates to IAM
}

func (t typeTally) outcome() Outcome {
	switch {
	case !t.present:
		return OutcomeAbsent
	case t.exempt:
		return OutcomeExempt
	case t.deny:
		return OutcomeDeny
	case t.allow:
		return OutcomeAllow
	}
	return OutcomeNoMatch
}

func (e *evaluation) run() verdict {
	var id, rp, gr, pb, scp, sess, rcp, ep typeTally

	id.present = len(e.set.Identity) > 0
	for i := range e.set.Identity {
		e.policy(TypeIdentity, &e.set.Identity[i], &id, false)
	}
	if e.set.Resource != nil && e.set.Resource.Doc != nil {
		rp.present = true
		e.policy(TypeResource, e.set.Resource, &rp, true)
	}
	if e.isKMS && len(e.set.Grants) > 0 {
		gr.present = true
		e.grants(&gr)
	}
	if e.set.Boundary != nil && e.set.Boundary.Doc != nil {
		pb.present = true
		e.policy(TypeBoundary, e.set.Boundary, &pb, false)
	}
	e.guardrail(TypeSCP, e.set.SCPs, e.set.SCPLevels, &scp)
	if e.set.Session != nil && e.set.Session.Doc != nil {
		sess.present = true
		e.policy(TypeSession, e.set.Session, &sess, false)
	}
	// RCPs name their principals like resource policies ("Principal": "*").
	e.guardrail(TypeRCP, e.set.RCPs, e.set.RCPLevels, &rcp)
	if e.set.Endpoint != nil && e.set.Endpoint.Doc != nil {
		ep.present = true
		e.policy(TypeEndpoint, e.set.Endpoint, &ep, true)
	}

	v := verdict{types: [8]TypeResult{
		{TypeIdentity, id.outcome()}, {TypeResource, rp.outcome()}, {TypeGrant, gr.outcome()},
		{TypeBoundary, pb.outcome()}, {TypeSCP, scp.outcome()}, {TypeSession, sess.outcome()},
		{TypeRCP, rcp.outcome()}, {TypeEndpoint, ep.outcome()},
	}}
	if id.deny || rp.deny || pb.deny || scp.deny || sess.deny || rcp.deny || ep.deny {
		v.decision = ExplicitDeny
		return v
	}
	scpOK := !scp.present || scp.exempt || scp.allow
	capsOK := (!pb.present || pb.allow) && (!sess.present || sess.allow)
	identity := id.allow && capsOK && scpOK
	sameAccount := e.w.account == e.resourceAccount

	// The resource side: the resource policy and, for kms:, grants.
	direct := rp.direct || gr.direct
	viaRole := rp.viaRole
	viaOwner := rp.viaOwner || gr.viaOwner
	allow := false
	switch {
	case e.w.typ == Service:
		// A service principal has no identity policies of its own: the resource policy decides
		// (IAM User Guide, "AWS service principals").
		allow = rp.allow || gr.allow
	case !sameAccount:
		// "The request is allowed only if both evaluations return a decision of Allow."
		allow = identity && (rp.allow || gr.allow)
	case (e.isKMS || e.isAssumeRole) && rp.present:
		// Key policy or role trust policy: "role trust policies and KMS key policies are
		// exceptions" where the resource-based policy must allow even within one account (IAM
		// User Guide, "Policy evaluation logic"). Direct grants count (a role ARN still capped
		// by boundary/session policy); naming the account only makes IAM policies count.
		allow = scpOK && ((viaOwner && identity) || direct || (viaRole && capsOK))
	default:
		allow = scpOK && (identity || direct || (viaRole && capsOK))
	}
	// A VPC endpoint policy filters every request through the endpoint: it must allow too.
	allow = allow && (!ep.present || ep.allow)
	if allow {
		v.decision = Allow
	} else {
		v.decision = ImplicitDeny
	}
	return v
}

// policy evaluates every statement of one policy into the tally.
func (e *evaluation) policy(pt PolicyType, n *Named, t *typeTally, resourceSide bool) {
	if n.Doc == nil {
		return
	}
	for i := range n.Doc.Statements {
		st := &n.Doc.Statements[i]
		applies, kind := e.statement(pt, n.Name, st, resourceSide)
		if !applies {
			continue
		}
		if st.deny {
			t.deny = true
			continue
		}
		t.allow = true
		if !resourceSide {
			continue
		}
		switch kind {
		case pRole:
			t.viaRole = true
		case pAccount:
			if e.w.account == e.resourceAccount {
				t.viaOwner = true
			} else {
				t.direct = true
			}
		default:
			t.direct = true
		}
	}
}

func (e *evaluation) ref(pt PolicyType, name string, st *Statement) StatementRef {
	return StatementRef{Type: pt, Policy: name, Sid: st.Sid, Index: st.Index, Line: st.Line, Effect: st.Effect, Target: e.target}
}

// statement decides whether one statement applies. For resource policies it also says how the
// principal was named (the most direct way, when several entries match).
func (e *evaluation) statement(pt PolicyType, name string, st *Statement, resourceSide bool) (bool, principalKind) {
	kind := pAny
	principalOK := true
	if resourceSide {
		principalOK, kind = e.principalMatch(st)
	}
	// Near misses are Allow statements that almost applied: a Deny that did not fire is not
	// something to fix.
	nearMiss := e.collect && !st.deny
	if !e.actionMatch(st) {
		if nearMiss && principalOK && resourceSide && namesPrincipalExplicitly(st) && e.resourceMatch(st) {
			e.actionMiss(pt, name, st)
		}
		return false, kind
	}
	resourceOK := e.resourceMatch(st)
	if !principalOK {
		if nearMiss && resourceOK && !e.ownAccountOnly(st) && !e.anyKnownFalse(st) {
			e.principalMiss(pt, name, st)
		}
		return false, kind
	}
	if !resourceOK && !e.collect {
		return false, kind
	}
	condOK, unknowns := e.conditions(st, resourceOK)
	applies := resourceOK && condOK
	if !e.collect {
		return applies, kind
	}
	if applies {
		e.res.Matched = append(e.res.Matched, e.ref(pt, name, st))
	} else if nearMiss {
		e.resourceAndConditionMisses(pt, name, st, resourceOK)
	}
	if resourceOK && unknowns > 0 && !e.anyKnownFalse(st) {
		for i := range st.Conditions {
			c := &st.Conditions[i]
			if e.isUnknown(c.keyLower) {
				e.res.Conditional = append(e.res.Conditional, Unknowable{Statement: e.ref(pt, name, st), Operator: c.Operator, Key: c.Key, Values: c.Values})
			}
		}
	}
	return applies, kind
}

// anyKnownFalse reports whether a condition with a known key fails (then unknown ones do not
// matter for this statement).
func (e *evaluation) anyKnownFalse(st *Statement) bool {
	for i := range st.Conditions {
		if st.Conditions[i].eval(e) == triFalse {
			return true
		}
	}
	return false
}

func (e *evaluation) principalMatch(st *Statement) (bool, principalKind) {
	switch {
	case st.Principal != nil:
		best, found := pAccount, false
		for i := range st.principal {
			en := &st.principal[i]
			if !en.matches(&e.w) {
				continue
			}
			k := en.kind
			if k == pUniqueID {
				k = pRole
				if e.w.typ == User {
					k = pUser
				}
			}
			if !found || directness(k) > directness(best) {
				best = k
			}
			found = true
		}
		return found, best
	case st.NotPrincipal != nil:
		// "The NotPrincipal element with a Deny effect will always deny any IAM principal that
		// has a permissions boundary policy attached" (IAM User Guide, "Permissions boundaries").
		if st.Effect == "Deny" && e.set.Boundary != nil && e.set.Boundary.Doc != nil {
			return true, pAny
		}
		if st.deny {
			return !notPrincipalExempts(st.principal, &e.w), pAny
		}
		// With Allow, NotPrincipal grants to every principal except those listed (IAM User
		// Guide, "AWS JSON policy elements: NotPrincipal"), so it never lets in a principal it
		// names, nor the sessions of a role it names, nor the principals of an account it names.
		return !notPrincipalNames(st.principal, &e.w), pAny
	}
	// A resource policy statement without Principal names nobody.
	return false, pAny
}

// directness ranks how a resource policy names the principal: naming the session, the user or
// everyone grants directly; the role ARN is capped by boundary and session policy; the account
// only delegates.
func directness(k principalKind) int {
	switch k {
	case pAccount:
		return 0
	case pRole:
		return 1
	}
	return 2
}

func (e *evaluation) actionMatch(st *Statement) bool {
	hit := false
	for _, m := range st.actions {
		if m.match(e.action) {
			hit = true
			break
		}
	}
	if st.NotAction != nil {
		return !hit
	}
	return hit
}

func (e *evaluation) resourceMatch(st *Statement) bool {
	hit := false
	e.unresolved = false
	for _, vm := range st.resources {
		if vm.tmpl == nil {
			if vm.arn.matchSplit(e.req.Resource, &e.resParts, e.resOK) {
				hit = true
				break
			}
			continue
		}
		if vm.matchValue(e, e.req.Resource) {
			hit = true
			break
		}
	}
	if e.unresolved && !hit {
		// A Resource or NotResource value whose variable has no value invalidates the statement
		// (IAM User Guide, "Policy variables").
		e.unresolved = false
		return false
	}
	if st.NotResource != nil {
		return !hit
	}
	return hit
}

// conditions evaluates the Condition block. Unknown conditions are read in favour of access in
// the permissive pass (true in Allow, false in Deny) and against it in the strict pass.
func (e *evaluation) conditions(st *Statement, rest bool) (bool, int) {
	unknowns := 0
	ok := true
	for i := range st.Conditions {
		switch st.Conditions[i].eval(e) {
		case triFalse:
			ok = false
			if !e.collect {
				return false, unknowns
			}
		case triUnknown:
			unknowns++
			if rest {
				e.sawUnknown = true
			}
			favour := st.Effect == "Allow"
			if e.strict {
				favour = !favour
			}
			if !favour {
				ok = false
			}
		}
	}
	return ok, unknowns
}
