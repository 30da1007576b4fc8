package door

import (
	"fmt"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
)

// assumeFailure returns the recorded AssumeRole failure for an inspector purpose.
func (c *check) assumeFailure(purpose string) *xsdoctor.AssumeFailure {
	for i := range c.f.AssumeFailures {
		if c.f.AssumeFailures[i].Purpose == purpose {
			return &c.f.AssumeFailures[i]
		}
	}
	return nil
}

// sidList names the statements of the evidence for a summary: ` (statement "Sid", #2)`.
func sidList(ev []xsdoctor.Evidence) string {
	var parts []string
	seen := map[string]bool{}
	for _, e := range ev {
		if e.Index == 0 && e.Sid == "" {
			continue
		}
		p := fmt.Sprintf("#%d", e.Index)
		if e.Sid != "" {
			p = fmt.Sprintf("#%d %q", e.Index, e.Sid)
		}
		if !seen[p] {
			seen[p] = true
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	word := "statement "
	if len(parts) > 1 {
		word = "statements "
	}
	return " (" + word + strings.Join(parts, ", ") + ")"
}

// firstDeny finds the raw statement behind the first Deny evidence on policy name.
func (c *check) firstDeny(name string, ev []xsdoctor.Evidence) (rawStatement, bool) {
	stmts := c.statements(name)
	for _, e := range ev {
		if e.Policy != name {
			continue
		}
		for _, s := range stmts {
			if s.Index == e.Index {
				return s, true
			}
		}
	}
	return rawStatement{}, false
}

// lookup returns a request's values for a condition key (names are case-insensitive).
func lookup(req policy.Request, key string) ([]string, bool) {
	for k, v := range req.Context {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// rawConditionMisses is the fallback explanation of a condition mismatch when the engine gives
// no near misses: Allow statements that cover the action and name the consumer but carry
// conditions, with each condition's expected values beside the request's actual ones. A
// condition whose plain string match is satisfied is left out when another one is not.
func (c *check) rawConditionMisses(name, action string, req policy.Request) []xsdoctor.Evidence {
	var out []xsdoctor.Evidence
	for _, s := range c.statements(name) {
		if !strings.EqualFold(s.Effect, "Allow") || !s.coversAction(action) || !s.namesPrincipal(c.ids) || len(s.Condition) == 0 {
			continue
		}
		var all, failing []xsdoctor.Evidence
		for _, ok := range s.conditionKeys() {
			op, key, _ := strings.Cut(ok, " ")
			want := s.Condition[op][key]
			got, present := lookup(req, key)
			e := c.rawEvidence(name, s, "")
			e.Condition = ok
			e.Expected = strings.Join(want, ", ")
			e.Actual = strings.Join(got, ", ")
			if !present {
				e.Actual = "(absent from the request)"
			}
			all = append(all, e)
			if !plainlySatisfied(op, want, got, present) {
				failing = append(failing, e)
			}
		}
		if len(failing) > 0 {
			out = append(out, failing...)
		} else {
			out = append(out, all...)
		}
	}
	return sortEvidence(out)
}

// plainlySatisfied is a conservative check of the common string and ARN operators, used only to
// pick which conditions to show.
func plainlySatisfied(op string, want, got []string, present bool) bool {
	base := strings.TrimSuffix(op, "IfExists")
	if !present {
		return strings.HasSuffix(op, "IfExists")
	}
	fold := strings.HasSuffix(base, "IgnoreCase")
	base = strings.TrimSuffix(base, "IgnoreCase")
	switch base {
	case "StringEquals", "StringLike", "ArnEquals", "ArnLike":
		for _, w := range want {
			for _, g := range got {
				if policy.MatchWildcard(w, g, fold) {
					return true
				}
			}
		}
		return false
	}
	return false
}

// whoIsAllowed lists the Allow statements of a resource policy that cover action, with the
// principals they name, so a reader sees whom the policy trusts instead of the consumer.
func (c *check) whoIsAllowed(name, action string) []xsdoctor.Evidence {
	var out []xsdoctor.Evidence
	for _, s := range c.statements(name) {
		if !strings.EqualFold(s.Effect, "Allow") || !s.coversAction(action) {
			continue
		}
		who := strings.Join(s.Principals, ", ")
		if s.NotPrincipal {
			who = "everyone but " + who
		}
		note := "allows " + action + " to " + who
		for _, p := range s.Principals {
			if policy.IsUniqueID(p) {
				note += " (" + p + " is the unique id of a deleted role or user)"
			}
		}
		if s.namesPrincipal(c.ids) {
			note += " (names the consumer, but did not apply: see its Condition/Resource)"
		} else {
			note += ", not " + c.principal()
		}
		out = append(out, c.rawEvidence(name, s, note))
	}
	if len(out) == 0 {
		out = append(out, xsdoctor.Evidence{Source: c.sources[name], Policy: name, Note: "no statement allows " + action})
	}
	return out
}
