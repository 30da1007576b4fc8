package policy

import (
	"fmt"
	"slices"
	"strconv"
)

// Building documents from values: the fixes xsdoctor prints are policy statements and whole
// documents made here and rendered by Marshal, never JSON written by hand. A built Document is
// compiled exactly as Parse compiles one (it is Parse of its Marshal), so it can be evaluated
// to check that a fix does what it says.

// Build returns a compiled document (Version 2012-10-17) holding statements in order. Index,
// Line and Text of the given statements are ignored; the result's are its own.
func Build(statements ...Statement) (*Document, error) {
	return build(&Document{Version: Version2012}, statements)
}

// WithStatements returns a new document: d's statements, none removed, followed by add. A
// statement whose Sid is already used in d gets a numbered Sid instead (Sids must be unique
// within a key policy: AWS KMS Developer Guide, "Key policy elements").
func (d *Document) WithStatements(add ...Statement) (*Document, error) {
	sids := map[string]bool{}
	for _, st := range d.Statements {
		sids[st.Sid] = true
	}
	all := slices.Clone(d.Statements)
	for _, st := range add {
		if st.Sid != "" && sids[st.Sid] {
			base := st.Sid
			for n := 2; sids[st.Sid]; n++ {
				st.Sid = base + strconv.Itoa(n)
			}
		}
		sids[st.Sid] = true
		all = append(all, st)
	}
	return build(d, all)
}

// Replacing returns a new document with the statement at index (1-based, as StatementRef.Index)
// replaced by st, every other statement kept in place.
func (d *Document) Replacing(index int, st Statement) (*Document, error) {
	if index < 1 || index > len(d.Statements) {
		return nil, fmt.Errorf("replace statement %d: the policy has %d statements", index, len(d.Statements))
	}
	all := slices.Clone(d.Statements)
	all[index-1] = st
	return build(d, all)
}

// WithCondition returns a copy of st with values added under operator and key: to the existing
// condition when st has one with the same operator and key, else as a new one. Conditions in a
// statement are ANDed (IAM User Guide, "Condition"), so on a Deny this narrows what it denies.
func (st Statement) WithCondition(operator, key string, values ...string) Statement {
	st.Conditions = slices.Clone(st.Conditions)
	for i := range st.Conditions {
		if c := &st.Conditions[i]; c.Operator == operator && c.Key == key {
			c.Values = append(slices.Clone(c.Values), values...)
			return st
		}
	}
	st.Conditions = append(st.Conditions, Condition{Operator: operator, Key: key, Values: slices.Clone(values)})
	return st
}

func build(like *Document, statements []Statement) (*Document, error) {
	d := &Document{Version: like.Version, ID: like.ID, Statements: statements}
	if d.Version == "" {
		d.Version = Version2012
	}
	text, err := Marshal(d)
	if err != nil {
		return nil, err
	}
	out, err := Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("built policy does not parse: %w", err)
	}
	return out, nil
}

// CoversAction reports whether the statement's Action (or NotAction) element covers action,
// wildcards and case as AWS matches them.
func (st *Statement) CoversAction(action string) bool {
	hit := false
	for _, m := range st.actions {
		if m.match(action) {
			hit = true
			break
		}
	}
	if st.NotAction != nil {
		return !hit
	}
	return hit
}

// NamesPrincipal reports whether the statement's Principal element names p, as the evaluation
// matches it (its ARN, role, account, unique id or "*"). A NotPrincipal statement names nobody.
func (st *Statement) NamesPrincipal(p Principal) bool {
	if st.Principal == nil {
		return false
	}
	w := normalizePrincipal(p)
	for i := range st.principal {
		if st.principal[i].matches(&w) {
			return true
		}
	}
	return false
}
