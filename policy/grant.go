package policy

import "strings"

// grants evaluates KMS grants: a grant whose grantee is the principal (its role ARN, its
// session, or its account), that lists the operation and whose encryption-context constraints
// hold, allows on the resource side (KMS Developer Guide, "Grants in AWS KMS", grant
// constraints).
func (e *evaluation) grants(t *typeTally) {
	op := e.req.Action[len("kms:"):]
	for i := range e.set.Grants {
		g := &e.set.Grants[i]
		ref := StatementRef{Type: TypeGrant, Policy: g.ID, Sid: g.Name, Index: i + 1, Effect: "Allow"}
		if ref.Policy == "" {
			ref.Policy = g.Name
		}
		en := awsPrincipalEntry(g.GranteePrincipal)
		if !en.matches(&e.w) {
			continue
		}
		opOK := false
		for _, o := range g.Operations {
			if strings.EqualFold(o, op) {
				opOK = true
				break
			}
		}
		if !opOK {
			if e.collect {
				e.res.Misses = append(e.res.Misses, Miss{Statement: ref, Element: "Action", Expected: g.Operations, Actual: []string{e.req.Action}})
			}
			continue
		}
		if ok, miss := e.grantConstraints(g, ref); !ok {
			if e.collect {
				e.res.Misses = append(e.res.Misses, miss...)
			}
			continue
		}
		t.allow = true
		if en.kind == pAccount && e.w.account == e.resourceAccount {
			// A grant to the key's own account only lets that account's IAM policies count, as
			// the key policy's account statement does.
			t.viaOwner = true
		} else {
			t.direct = true
		}
		if e.collect {
			e.res.Matched = append(e.res.Matched, ref)
		}
	}
}

// encryptionContext collects the request's kms:EncryptionContext:<name> keys.
func (e *evaluation) encryptionContext() map[string]string {
	const prefix = "kms:encryptioncontext:"
	out := map[string]string{}
	for _, c := range e.context() {
		if len(c.key) > len(prefix) && strings.EqualFold(c.key[:len(prefix)], prefix) && len(c.vals) == 1 {
			out[c.key[len(prefix):]] = c.vals[0]
		}
	}
	return out
}

func (e *evaluation) grantConstraints(g *Grant, ref StatementRef) (bool, []Miss) {
	if len(g.EncryptionContextEquals) == 0 && len(g.EncryptionContextSubset) == 0 {
		return true, nil
	}
	ec := e.encryptionContext()
	var misses []Miss
	check := func(name string, want map[string]string, equals bool) {
		for _, k := range keysOf(want) {
			if got, ok := ec[k]; !ok || got != want[k] {
				m := Miss{Statement: ref, Element: "Condition", Operator: name, Key: "kms:EncryptionContext:" + k, Expected: []string{want[k]}}
				if ok {
					m.Actual = []string{got}
				}
				misses = append(misses, m)
			}
		}
		if equals {
			for _, k := range keysOf(ec) {
				if _, ok := want[k]; !ok {
					misses = append(misses, Miss{Statement: ref, Element: "Condition", Operator: name, Key: "kms:EncryptionContext:" + k, Actual: []string{ec[k]}})
				}
			}
		}
	}
	if len(g.EncryptionContextEquals) > 0 {
		check("EncryptionContextEquals", g.EncryptionContextEquals, true)
	}
	if len(g.EncryptionContextSubset) > 0 {
		check("EncryptionContextSubset", g.EncryptionContextSubset, false)
	}
	return len(misses) == 0, misses
}
