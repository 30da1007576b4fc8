package policy

// Near misses (Result.Misses): a statement that names the principal and the action but fails on
// its resource or a condition says which and with what values; a resource-policy statement that
// would have applied but for its Principal says whom it names; an explicit principal whose
// statement lacks the action says which actions it has.

func namesPrincipalExplicitly(st *Statement) bool {
	return st.Principal != nil && !st.Principal.Wildcard && !(len(st.principal) == 1 && st.principal[0].kind == pAny)
}

func (e *evaluation) actionMiss(pt PolicyType, name string, st *Statement) {
	el, exp := "Action", st.Action
	if st.NotAction != nil {
		el, exp = "NotAction", st.NotAction
	}
	e.res.Misses = append(e.res.Misses, Miss{Statement: e.ref(pt, name, st), Element: el, Expected: exp, Actual: []string{e.req.Action}})
}

func (e *evaluation) principalMiss(pt PolicyType, name string, st *Statement) {
	m := Miss{Statement: e.ref(pt, name, st), Element: "Principal", Actual: e.principalIdentities()}
	if st.Principal == nil {
		m.Element = "NotPrincipal"
	}
	for i := range st.principal {
		m.Expected = append(m.Expected, st.principal[i].raw)
	}
	e.res.Misses = append(e.res.Misses, m)
}

func (e *evaluation) resourceAndConditionMisses(pt PolicyType, name string, st *Statement, resourceOK bool) {
	if !resourceOK {
		el, exp := "Resource", st.Resource
		if st.NotResource != nil {
			el, exp = "NotResource", st.NotResource
		}
		e.res.Misses = append(e.res.Misses, Miss{Statement: e.ref(pt, name, st), Element: el, Expected: exp, Actual: []string{e.req.Resource}})
	}
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.eval(e) != triFalse {
			continue
		}
		actual, _ := e.lookup(c.keyLower)
		e.res.Misses = append(e.res.Misses, Miss{
			Statement: e.ref(pt, name, st), Element: "Condition", Operator: c.Operator, Key: c.Key,
			Expected: c.expected(e), Actual: append([]string(nil), actual...),
		})
	}
}

// ownAccountOnly reports whether a statement names only the resource's own account: the
// statement that delegates to IAM, which never was meant for another principal, so not a near
// miss worth reporting.
func (e *evaluation) ownAccountOnly(st *Statement) bool {
	if st.Principal == nil || len(st.principal) == 0 {
		return false
	}
	for i := range st.principal {
		if en := &st.principal[i]; en.kind != pAccount || en.account != e.resourceAccount {
			return false
		}
	}
	return true
}

// principalIdentities lists the ways the principal can be named, for a Principal miss.
func (e *evaluation) principalIdentities() []string {
	out := []string{e.w.arn}
	if e.w.hasRole() && e.w.role() != e.w.arn {
		out = append(out, e.w.role())
	}
	if e.w.uniqueID != "" {
		out = append(out, e.w.uniqueID)
	}
	if e.w.account != "" {
		out = append(out, e.w.account)
	}
	return out
}
