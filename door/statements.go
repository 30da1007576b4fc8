package door

import (
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"

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

// rawStatements returns the statements of a policy text; nil when it does not parse (the engine
// reports parse errors, this is only for explanations).
func rawStatements(text string) []rawStatement {
	text = strings.TrimSpace(text)
	if text != "" && !strings.HasPrefix(text, "{") {
		// IAM returns policy documents URL-encoded (IAM API reference, GetRolePolicy).
		if dec, err := url.QueryUnescape(text); err == nil {
			text = dec
		}
	}
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil || len(doc.Statement) == 0 {
		return nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(doc.Statement, &raws); err != nil {
		raws = []json.RawMessage{doc.Statement} // a single statement object
	}
	out := make([]rawStatement, 0, len(raws))
	for i, r := range raws {
		var s struct {
			Sid          string
			Effect       string
			Principal    json.RawMessage
			NotPrincipal json.RawMessage
			Action       json.RawMessage
			NotAction    json.RawMessage
			Resource     json.RawMessage
			NotResource  json.RawMessage
			Condition    map[string]map[string]json.RawMessage
		}
		if err := json.Unmarshal(r, &s); err != nil {
			continue
		}
		st := rawStatement{Index: i + 1, Sid: s.Sid, Effect: s.Effect, Raw: r}
		if len(s.NotPrincipal) > 0 {
			st.NotPrincipal = true
			st.Principals = principalValues(s.NotPrincipal)
		} else {
			st.Principals = principalValues(s.Principal)
		}
		st.Actions, st.NotAction = pick(s.Action, s.NotAction)
		st.Resources, st.NotResource = pick(s.Resource, s.NotResource)
		if len(s.Condition) > 0 {
			st.Condition = map[string]map[string][]string{}
			for op, kv := range s.Condition {
				st.Condition[op] = map[string][]string{}
				for k, v := range kv {
					st.Condition[op][k] = strings1(v)
				}
			}
		}
		out = append(out, st)
	}
	return out
}

func pick(pos, neg json.RawMessage) ([]string, bool) {
	if len(neg) > 0 {
		return strings1(neg), true
	}
	return strings1(pos), false
}

// strings1 reads a JSON string, number, bool or list of them as strings.
func strings1(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		var one any
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		list = []any{one}
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case nil:
		default:
			b, _ := json.Marshal(x)
			out = append(out, string(b))
		}
	}
	return out
}

func principalValues(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return []string{star}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return strings1(m["AWS"])
}

// uniqueIDPattern matches a principal that IAM shows as a unique id because the entity it named
// was deleted (IAM User Guide, "AWS JSON policy elements: Principal", unique IDs).
var uniqueIDPattern = regexp.MustCompile(`^A(ROA|IDA)[A-Z0-9]{12,}$`)

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
