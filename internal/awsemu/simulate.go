package awsemu

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/xsdoctor/xsdoctor/policy"
)

// SimulationInput is an iam:SimulatePrincipalPolicy request, decoded by the wire layer (IAM API
// reference: SimulatePrincipalPolicy).
type SimulationInput struct {
	ActionNames    []string
	ResourceArns   []string // empty means "*"
	ContextEntries []ContextEntry
	// ResourcePolicy, with ResourceOwner and CallerArn, is one resource policy applied to every
	// resource. Empty: the simulator fetches none itself.
	ResourcePolicy string
	ResourceOwner  string
	CallerArn      string
	// PolicyInputList adds identity policies; PermissionsBoundaryPolicyInputList replaces the
	// role's boundary.
	PolicyInputList                    []string
	PermissionsBoundaryPolicyInputList []string
}

// ContextEntry is one ContextEntries member.
type ContextEntry struct {
	Key    string
	Type   string // string, stringList, numeric, boolean, date, ip, binary, …List
	Values []string
}

// Simulation decisions, as IAM spells them.
const (
	SimAllowed      = "allowed"
	SimImplicitDeny = "implicitDeny"
	SimExplicitDeny = "explicitDeny"
)

// EvaluationResult is one EvaluationResults member: one action on one resource.
type EvaluationResult struct {
	EvalActionName                    string
	EvalResourceName                  string
	EvalDecision                      string
	MatchedStatements                 []MatchedStatement
	MissingContextValues              []string // top level only for resource "*"
	OrganizationsDecisionDetail       *OrganizationsDecisionDetail
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail
	EvalDecisionDetails               map[string]string // cross-account simulations only
	ResourceSpecificResults           []ResourceSpecificResult
}

// ResourceSpecificResult is the per-resource part of an EvaluationResult.
type ResourceSpecificResult struct {
	EvalResourceName                  string
	EvalResourceDecision              string
	MatchedStatements                 []MatchedStatement
	MissingContextValues              []string
	EvalDecisionDetails               map[string]string
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail
}

// MatchedStatement locates a statement that determined a result.
type MatchedStatement struct {
	SourcePolicyID   string
	SourcePolicyType string // role, aws-managed, user-managed, resource
	StartLine        int
	StartColumn      int
	EndLine          int
	EndColumn        int
}

// OrganizationsDecisionDetail says whether SCPs allowed the action.
type OrganizationsDecisionDetail struct{ AllowedByOrganizations bool }

// PermissionsBoundaryDecisionDetail says whether the boundary allowed the action.
type PermissionsBoundaryDecisionDetail struct{ AllowedByPermissionsBoundary bool }

// simSource is where a policy the simulator evaluates comes from.
type simSource struct {
	id, typ string
	text    []byte
}

// Simulate answers SimulatePrincipalPolicy for role the way IAM's simulator does (SPEC §6
// "Authorization and simulation", aws-semantics §4.4): it evaluates the role's identity policies,
// its permissions boundary and its account's SCPs (one level plus the implicit FullAWSAccess),
// with only the context the request supplies — nothing is filled in from the scenario, and keys
// a policy needed but did not get are listed in MissingContextValues. It fetches no resource
// policy: for a resource in another account with no ResourcePolicy, EvalDecision is the
// identity-side decision. A role's simulation map then replaces EvalDecision for its actions.
func (s *Scenario) Simulate(role *Role, in SimulationInput) ([]EvaluationResult, *AWSError) {
	if len(in.ActionNames) == 0 {
		return nil, &AWSError{Code: CodeInvalidInput, Message: "ActionNames must contain at least one action."}
	}
	sources := map[string]simSource{}
	identity := s.roleIdentityPolicies(role)
	for _, n := range identity {
		if mp := s.policies[n.Name]; mp != nil {
			typ := "user-managed"
			if mp.AWSManaged {
				typ = "aws-managed"
			}
			sources[n.Name] = simSource{id: mp.Name, typ: typ, text: mp.Document.Text}
		} else {
			sources[n.Name] = simSource{id: n.Name, typ: "role", text: role.InlinePolicies[n.Name].Text}
		}
	}
	for i, text := range in.PolicyInputList {
		doc, err := policy.Parse(text)
		if err != nil {
			return nil, &AWSError{Code: CodeInvalidInput, Message: "PolicyInputList." + itoa(i+1) + ": " + err.Error()}
		}
		name := "PolicyInputList." + itoa(i+1)
		identity = append(identity, policy.Named{Name: name, Doc: doc})
		sources[name] = simSource{id: name, typ: "none", text: []byte(text)}
	}
	var boundary *policy.Named
	if len(in.PermissionsBoundaryPolicyInputList) > 0 {
		doc, err := policy.Parse(in.PermissionsBoundaryPolicyInputList[0])
		if err != nil {
			return nil, &AWSError{Code: CodeInvalidInput, Message: "PermissionsBoundaryPolicyInputList.1: " + err.Error()}
		}
		boundary = &policy.Named{Name: "PermissionsBoundaryPolicyInputList.1", Doc: doc}
	} else if mp := s.policies[role.PermissionsBoundary]; mp != nil {
		n := mp.Document.Named(mp.ARN)
		boundary = &n
	}
	var resourcePolicy *policy.Named
	if in.ResourcePolicy != "" {
		doc, err := policy.Parse(in.ResourcePolicy)
		if err != nil {
			return nil, &AWSError{Code: CodeInvalidInput, Message: "ResourcePolicy: " + err.Error()}
		}
		resourcePolicy = &policy.Named{Name: "ResourcePolicy", Doc: doc}
		sources["ResourcePolicy"] = simSource{id: "ResourcePolicy", typ: "resource", text: []byte(in.ResourcePolicy)}
	}
	scps := s.scpSet(role.Account)
	// With a scenario organization the simulator applies the SCP hierarchy from the root to the
	// role's account; it evaluates no RCPs (aws-semantics §4.4).
	scpLevels := s.Org.Hierarchy(role.Account, PolicyTypeSCP)
	// OrganizationsDecisionDetail appears only for an account in an organization.
	inOrg := s.OrgID(role.Account) != ""

	ctx := map[string][]string{}
	for _, e := range in.ContextEntries {
		// The simulator ignores keys given without values (IAM User Guide: "Testing IAM policies
		// with the IAM policy simulator").
		if e.Key != "" && len(e.Values) > 0 {
			ctx[e.Key] = append(ctx[e.Key], e.Values...)
		}
	}
	resources := in.ResourceArns
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	principal := policy.Principal{ARN: role.ARN, Account: role.Account, Type: policy.Role, RoleARN: role.ARN, UniqueID: role.ID}
	if in.CallerArn != "" {
		// "You simulate calling the API operations as Bob, as if Bob had David's policies"
		// (IAM API reference: SimulatePrincipalPolicy, CallerArn): the caller is who resource
		// policies see; the policies stay the source's.
		principal = policy.Principal{ARN: in.CallerArn, Account: accountOf(in.CallerArn)}
		if r := s.RoleForSession(in.CallerArn); r != nil {
			principal.Type, principal.RoleARN, principal.UniqueID = policy.Role, r.ARN, r.ID
		}
	}

	var out []EvaluationResult
	for _, action := range in.ActionNames {
		for _, resource := range resources {
			// Without a resource policy the simulator answers for the identity side alone: the
			// resource is treated as the caller's own (and for kms: actions no key policy is
			// judged), so the cross-account rule cannot turn it into a deny.
			owner := role.Account
			if resourcePolicy != nil {
				owner = firstNonEmpty(in.ResourceOwner, accountOf(resource), role.Account)
			}
			req := policy.Request{Principal: principal, Action: action, Resource: resource, ResourceAccount: owner, Context: ctx}
			set := policy.Set{Identity: identity, Boundary: boundary, SCPs: scps, SCPLevels: scpLevels, Resource: resourcePolicy}
			r := policy.Evaluate(req, set)
			res := EvaluationResult{EvalActionName: action, EvalResourceName: resource, EvalDecision: simDecision(r.Decision)}
			res.MatchedStatements = matchedStatements(r, sources)
			missing := missingContextValues(r, ctx)
			if inOrg {
				scp := typeOutcome(r, policy.TypeSCP)
				res.OrganizationsDecisionDetail = &OrganizationsDecisionDetail{AllowedByOrganizations: scp != policy.OutcomeDeny && scp != policy.OutcomeNoMatch}
			}
			if boundary != nil {
				res.PermissionsBoundaryDecisionDetail = &PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: typeOutcome(r, policy.TypeBoundary) == policy.OutcomeAllow}
			}
			crossAccount := resource != "*" && accountOf(resource) != "" && accountOf(resource) != role.Account
			if crossAccount && typeOutcome(r, policy.TypeSCP) != policy.OutcomeDeny {
				res.EvalDecisionDetails = map[string]string{"IAM Policy": simDecision(identityDecision(r))}
				if resourcePolicy != nil {
					res.EvalDecisionDetails["Resource Policy"] = simDecision(outcomeDecision(typeOutcome(r, policy.TypeResource)))
				}
			}
			if resource == "*" {
				res.MissingContextValues = missing
			} else {
				res.ResourceSpecificResults = []ResourceSpecificResult{{
					EvalResourceName:                  resource,
					EvalResourceDecision:              res.EvalDecision,
					MatchedStatements:                 res.MatchedStatements,
					MissingContextValues:              missing,
					EvalDecisionDetails:               res.EvalDecisionDetails,
					PermissionsBoundaryDecisionDetail: res.PermissionsBoundaryDecisionDetail,
				}}
			}
			if d, ok := lookupFold(role.Simulation, action); ok {
				res.EvalDecision = d
			}
			out = append(out, res)
		}
	}
	return out, nil
}

func simDecision(d policy.Decision) string {
	switch d {
	case policy.Allow:
		return SimAllowed
	case policy.ExplicitDeny:
		return SimExplicitDeny
	}
	return SimImplicitDeny
}

func typeOutcome(r policy.Result, t policy.PolicyType) policy.Outcome {
	for _, tr := range r.Types {
		if tr.Type == t {
			return tr.Outcome
		}
	}
	return policy.OutcomeAbsent
}

func outcomeDecision(o policy.Outcome) policy.Decision {
	switch o {
	case policy.OutcomeAllow:
		return policy.Allow
	case policy.OutcomeDeny:
		return policy.ExplicitDeny
	}
	return policy.ImplicitDeny
}

// identityDecision is what the identity side alone decided.
func identityDecision(r policy.Result) policy.Decision {
	for _, t := range []policy.PolicyType{policy.TypeIdentity, policy.TypeBoundary, policy.TypeSCP} {
		if typeOutcome(r, t) == policy.OutcomeDeny {
			return policy.ExplicitDeny
		}
	}
	if typeOutcome(r, policy.TypeIdentity) != policy.OutcomeAllow {
		return policy.ImplicitDeny
	}
	for _, t := range []policy.PolicyType{policy.TypeBoundary, policy.TypeSCP} {
		if typeOutcome(r, t) == policy.OutcomeNoMatch {
			return policy.ImplicitDeny
		}
	}
	return policy.Allow
}

// matchedStatements lists the statements that determined the result, as the simulator does: on
// an explicit deny only the denying statements, otherwise the allowing ones; SCP and boundary
// statements are never listed (aws-semantics §4.3).
func matchedStatements(r policy.Result, sources map[string]simSource) []MatchedStatement {
	want := "Allow"
	if r.Decision == policy.ExplicitDeny {
		want = "Deny"
	}
	var out []MatchedStatement
	// A managed policy that is also the permissions boundary matches once per policy type; the
	// simulator lists a statement once.
	seen := map[string]bool{}
	for _, ref := range r.Matched {
		src, ok := sources[ref.Policy]
		if !ok || !strings.EqualFold(ref.Effect, want) {
			continue
		}
		if k := src.id + "#" + itoa(ref.Index); seen[k] {
			continue
		} else {
			seen[k] = true
		}
		m := MatchedStatement{SourcePolicyID: src.id, SourcePolicyType: src.typ}
		if spans := statementSpans(src.text); ref.Index >= 1 && ref.Index <= len(spans) {
			sp := spans[ref.Index-1]
			m.StartLine, m.StartColumn, m.EndLine, m.EndColumn = sp[0], sp[1], sp[2], sp[3]
		}
		out = append(out, m)
	}
	return out
}

// missingContextValues lists the condition keys that identity and resource policy statements
// needed but the request did not supply, sorted.
func missingContextValues(r policy.Result, ctx map[string][]string) []string {
	seen := map[string]bool{}
	for _, m := range r.Misses {
		if m.Element != "Condition" || m.Key == "" || len(m.Actual) > 0 || hasFold(ctx, m.Key) {
			continue
		}
		// Keys SCPs need are not listed (IAM API reference: EvaluationResult).
		if t := m.Statement.Type; t != policy.TypeIdentity && t != policy.TypeResource {
			continue
		}
		// IfExists operators and Null checks are satisfied by an absent key: not missing.
		if strings.HasSuffix(m.Operator, "IfExists") || m.Operator == "Null" {
			continue
		}
		seen[m.Key] = true
	}
	for _, u := range r.Conditional {
		if !hasFold(ctx, u.Key) {
			seen[u.Key] = true
		}
	}
	out := slices.Sorted(maps.Keys(seen))
	if len(out) == 0 {
		return nil
	}
	return out
}

func hasFold(ctx map[string][]string, key string) bool {
	_, ok := lookupFold(ctx, key)
	return ok
}

func lookupFold[V any](m map[string]V, key string) (V, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// statementSpans returns, for each statement of a policy text in order, its start line, start
// column, end line and end column (1-based; the end is just past the closing brace), which is
// how MatchedStatements locates statements.
func statementSpans(text []byte) [][4]int {
	dec := json.NewDecoder(bytes.NewReader(text))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := t.(string)
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil
		}
		if key != "Statement" {
			continue
		}
		// Skip the colon and spaces to the value itself.
		for start < int64(len(text)) && (text[start] == ':' || isSpace(text[start])) {
			start++
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '{' {
			return [][4]int{span(text, int(start), int(start)+len(raw))}
		}
		var spans [][4]int
		inner := json.NewDecoder(bytes.NewReader(raw))
		if _, err := inner.Token(); err != nil {
			return nil
		}
		for inner.More() {
			off := int(inner.InputOffset())
			var elem json.RawMessage
			if err := inner.Decode(&elem); err != nil {
				return spans
			}
			for off < len(raw) && (raw[off] == ',' || isSpace(raw[off])) {
				off++
			}
			spans = append(spans, span(text, int(start)+off, int(start)+off+len(elem)))
		}
		return spans
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func span(text []byte, from, to int) [4]int {
	l1, c1 := position(text, from)
	l2, c2 := position(text, to)
	return [4]int{l1, c1, l2, c2}
}

func position(text []byte, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(text); i++ {
		if text[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func itoa(i int) string { return strconv.Itoa(i) }

// accountOf returns the account field of an ARN ("" when it has none, as for S3 or "*").
func accountOf(arn string) string {
	p, _ := parseARN(arn)
	return p.Account
}
