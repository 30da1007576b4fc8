package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Marshal renders a document as indented JSON in a canonical form: Statement as a list, every
// list element as a list, condition values as lists of strings. Parse(Marshal(d)) describes the
// same policy as d.
func Marshal(d *Document) ([]byte, error) {
	out := docJSON{Version: d.Version, ID: d.ID, Statement: make([]stmtJSON, len(d.Statements))}
	for i := range d.Statements {
		out.Statement[i] = d.Statements[i].toJSON()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("marshal policy: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// StatementJSON returns the statement at index (1-based, as in StatementRef.Index) as indented
// JSON, for quoting in evidence; "" when there is no such statement.
func (d *Document) StatementJSON(index int) string {
	if d == nil || index < 1 || index > len(d.Statements) {
		return ""
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d.Statements[index-1].toJSON()); err != nil {
		return ""
	}
	return strings.TrimRight(buf.String(), "\n")
}

type docJSON struct {
	Version   string     `json:"Version,omitempty"`
	ID        string     `json:"Id,omitempty"`
	Statement []stmtJSON `json:"Statement"`
}

type stmtJSON struct {
	Sid          string                         `json:"Sid,omitempty"`
	Effect       string                         `json:"Effect"`
	Principal    any                            `json:"Principal,omitempty"`
	NotPrincipal any                            `json:"NotPrincipal,omitempty"`
	Action       []string                       `json:"Action,omitempty"`
	NotAction    []string                       `json:"NotAction,omitempty"`
	Resource     []string                       `json:"Resource,omitempty"`
	NotResource  []string                       `json:"NotResource,omitempty"`
	Condition    map[string]map[string][]string `json:"Condition,omitempty"`
}

func (st *Statement) toJSON() stmtJSON {
	out := stmtJSON{
		Sid: st.Sid, Effect: st.Effect,
		Action: st.Action, NotAction: st.NotAction,
		Resource: st.Resource, NotResource: st.NotResource,
		Principal: st.Principal.toJSON(), NotPrincipal: st.NotPrincipal.toJSON(),
	}
	if len(st.Conditions) > 0 {
		out.Condition = map[string]map[string][]string{}
		for _, c := range st.Conditions {
			if out.Condition[c.Operator] == nil {
				out.Condition[c.Operator] = map[string][]string{}
			}
			out.Condition[c.Operator][c.Key] = c.Values
		}
	}
	return out
}

func (pr *Principals) toJSON() any {
	if pr == nil {
		return nil
	}
	if pr.Wildcard {
		return "*"
	}
	m := map[string][]string{}
	for k, v := range map[string][]string{"AWS": pr.AWS, "Service": pr.Service, "Federated": pr.Federated, "CanonicalUser": pr.CanonicalUser} {
		if len(v) > 0 {
			m[k] = v
		}
	}
	return m
}
