package door

import (
	"encoding/json"
	"sort"

	"github.com/xsdoctor/xsdoctor/policy"
)

// rawStatement is a policy statement read leniently from the policy text, for the questions the
// engine's Result does not answer: whom an Allow names, which resources an identity statement
// almost matches, which principals are dangling unique ids. Deciding is policy.Evaluate's job;
// this only explains.
type rawStatement struct {
	Index        int // 1-based
	Sid          string
	Effect       string
	Principals   []string // Principal.AWS values, "*" for Principal "*"
	NotPrincipal bool
	Actions      []string
	NotAction    bool
	Resources    []string
	NotResource  bool
	Condition    map[string]map[string][]string // operator → key → values
	Raw          json.RawMessage
}

// rawStatements returns the statements of a parsed policy in the form the explanations use; nil
// for a policy that was not parsed (the engine reports parse errors, this is only for
// explanations).
func rawStatements(doc *policy.Document) []rawStatement {
	if doc == nil {
		return nil
	}
	out := make([]rawStatement, 0, len(doc.Statements))
	for _, s := range doc.Statements {
		st := rawStatement{Index: s.Index, Sid: s.Sid, Effect: s.Effect, Raw: json.RawMessage(s.Text)}
		if s.NotPrincipal != nil {
			st.NotPrincipal = true
			st.Principals = awsPrincipals(s.NotPrincipal)
		} else {
			st.Principals = awsPrincipals(s.Principal)
		}
		st.Actions, st.NotAction = pick(s.Action, s.NotAction)
		st.Resources, st.NotResource = pick(s.Resource, s.NotResource)
		for _, c := range s.Conditions {
			if st.Condition == nil {
				st.Condition = map[string]map[string][]string{}
			}
			if st.Condition[c.Operator] == nil {
				st.Condition[c.Operator] = map[string][]string{}
			}
			st.Condition[c.Operator][c.Key] = c.Values
		}
		out = append(out, st)
	}
	return out
}

func pick(pos, neg []string) ([]string, bool) {
	if neg != nil {
		return neg, true
	}
	return pos, false
}

// awsPrincipals lists a Principal element's AWS values, "*" for "Principal": "*".
func awsPrincipals(p *policy.Principals) []string {
	switch {
	case p == nil:
		return nil
	case p.Wildcard:
		return []string{"*"}
	}
	return p.AWS
}

// coversAction says whether the statement's Action (or NotAction) covers action.
func (s rawStatement) coversAction(action string) bool {
	hit := false
	for _, a := range s.Actions {
		if policy.MatchWildcard(a, action, true) {
			hit = true
			break
		}
	}
	if s.NotAction {
		return !hit
	}
	return hit
}

// coversResource says whether the statement's Resource (or NotResource) covers arn.
func (s rawStatement) coversResource(arn string) bool {
	hit := false
	for _, r := range s.Resources {
		if policy.MatchWildcard(r, arn, false) {
			hit = true
			break
		}
	}
	if s.NotResource {
		return !hit
	}
	return hit
}

// namesPrincipal says whether an (Allow) statement's Principal names the consumer: "*", its
// account (root ARN or bare id), its role ARN, its session ARN, or its role's unique id.
func (s rawStatement) namesPrincipal(c consumerIDs) bool {
	if s.NotPrincipal {
		return false
	}
	for _, p := range s.Principals {
		if c.matches(p) {
			return true
		}
	}
	return false
}

// consumerIDs are the strings a Principal element may use to name the consumer.
type consumerIDs struct {
	Partition, Account, RoleARN, SessionARN, RoleID string
}

func (c consumerIDs) matches(p string) bool {
	switch {
	case p == "*":
		return true
	case c.Account != "" && (p == c.Account || p == "arn:"+c.Partition+":iam::"+c.Account+":root"):
		return true
	case c.RoleARN != "" && p == c.RoleARN:
		return true
	case c.SessionARN != "" && p == c.SessionARN:
		return true
	case c.RoleID != "" && p == c.RoleID:
		return true
	}
	return false
}

// conditionKeys lists "Operator key" pairs of a statement in a stable order.
func (s rawStatement) conditionKeys() []string {
	var out []string
	for op, kv := range s.Condition {
		for k := range kv {
			out = append(out, op+" "+k)
		}
	}
	sort.Strings(out)
	return out
}
