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

// firstDeny finds the statement behind the first Deny evidence on policy name, with the parsed
// policy it belongs to; nil when there is none.
func (c *check) firstDeny(name string, ev []xsdoctor.Evidence) (*policy.Document, *policy.Statement) {
	doc := c.parsed[name].doc
	if doc == nil {
		return nil, nil
	}
	for _, e := range ev {
		if e.Policy == name && e.Index >= 1 && e.Index <= len(doc.Statements) {
			return doc, &doc.Statements[e.Index-1]
		}
	}
	return nil, nil
}

// allowsFor lists the Allow statements of policy name that cover action.
func (c *check) allowsFor(name, action string) []*policy.Statement {
	doc := c.parsed[name].doc
	if doc == nil {
		return nil
	}
	var out []*policy.Statement
	for i := range doc.Statements {
		if st := &doc.Statements[i]; strings.EqualFold(st.Effect, "Allow") && st.CoversAction(action) {
			out = append(out, st)
		}
	}
	return out
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

// lookup returns a request's values for a condition key (names are case-insensitive).
func lookup(req policy.Request, key string) ([]string, bool) {
	for k, v := range req.Context {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// whoIsAllowed lists the Allow statements of a resource policy that cover action, with the
// principals they name, so a reader sees whom the policy trusts instead of the consumer.
func (c *check) whoIsAllowed(name string, req policy.Request) []xsdoctor.Evidence {
	action := req.Action
	var out []xsdoctor.Evidence
	for _, s := range c.allowsFor(name, action) {
		principals := awsPrincipals(s.Principal)
		who := strings.Join(principals, ", ")
		if s.NotPrincipal != nil {
			principals = awsPrincipals(s.NotPrincipal)
			who = "everyone but " + strings.Join(principals, ", ")
		}
		note := "allows " + action + " to " + who
		for _, p := range principals {
			if policy.IsUniqueID(p) {
				note += " (" + p + " is the unique id of a deleted role or user)"
			}
		}
		if s.NamesPrincipal(req.Principal) {
			note += " (names the consumer, but did not apply: see its Condition/Resource)"
		} else {
			note += ", not " + c.principal()
		}
		out = append(out, c.stmtEvidence(name, s, note))
	}
	if len(out) == 0 {
		out = append(out, xsdoctor.Evidence{Source: c.sources[name], Policy: name, Note: "no statement allows " + action})
	}
	return out
}
