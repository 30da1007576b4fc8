package policy

// recordMisses explains a statement that named the principal and action but did not apply, and a
// resource-policy statement that would have applied but for its principal.
func (e *evaluation) recordMisses(pt PolicyType, name string, st *Statement, resourceSide, principalOK, actionOK, resourceOK bool) {
	ref := func() StatementRef { return e.ref(pt, name, st) }
	switch {
	case resourceSide && !principalOK && actionOK && resourceOK && !e.ownAccountOnly(st):
		m := Miss{Statement: ref(), Element: "Principal", Actual: e.principalIdentities()}
		if st.Principal != nil {
			for i := range st.principal {
				m.Expected = append(m.Expected, st.principal[i].raw)
			}
		} else {
			m.Element = "NotPrincipal"
			for i := range st.principal {
				m.Expected = append(m.Expected, st.principal[i].raw)
			}
		}
		if e.condsHold(st) {
			e.res.Misses = append(e.res.Misses, m)
		}
		return
	case !principalOK:
		return
	}
	if !actionOK {
		// Only a resource policy that names this principal explicitly says something useful
		// about a missing action (an identity policy names its principal for every action).
		if resourceSide && st.Principal != nil && !st.Principal.Wildcard && !(len(st.principal) == 1 && st.principal[0].kind == pAny) && resourceOK {
			el := "Action"
			exp := st.Action
			if st.NotAction != nil {
				el, exp = "NotAction", st.NotAction
			}
			e.res.Misses = append(e.res.Misses, Miss{Statement: ref(), Element: el, Expected: exp, Actual: []string{e.req.Action}})
		}
		return
	}
	if !resourceOK {
		el := "Resource"
		exp := st.Resource
		if st.NotResource != nil {
			el, exp = "NotResource", st.NotResource
		}
		e.res.Misses = append(e.res.Misses, Miss{Statement: ref(), Element: el, Expected: exp, Actual: []string{e.req.Resource}})
	}
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.eval(e) != triFalse {
			continue
		}
		actual, _ := e.lookup(c.keyLower)
		e.res.Misses = append(e.res.Misses, Miss{
			Statement: ref(), Element: "Condition", Operator: c.Operator, Key: c.Key,
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

func (e *evaluation) condsHold(st *Statement) bool {
	for i := range st.Conditions {
		if st.Conditions[i].eval(e) == triFalse {
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
