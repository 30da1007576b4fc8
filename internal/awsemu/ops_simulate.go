package awsemu

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// iam:SimulatePrincipalPolicy (IAM API reference: SimulatePrincipalPolicy). The wire layer reads
// the request and writes the SimulatePolicyResponse; the scenario model's Simulate evaluates.

func (s *server) simulatePrincipalPolicy(c *call, f form) (any, *apiError) {
	source := f.get("PolicySourceArn")
	if source == "" {
		return nil, validationError(c.svc, "policySourceArn")
	}
	actions := f.list("ActionNames")
	if len(actions) == 0 {
		return nil, validationError(c.svc, "actionNames")
	}
	// The simulator takes an IAM user, group or role; an assumed-role session is not an IAM
	// entity ("Invalid Entity Arn", aws-semantics §4.1).
	p, ok := parseARN(source)
	if !ok || p.Service != "iam" {
		return nil, errorf(CodeInvalidInput, "Invalid Entity Arn: %s does not clearly define entity type and name.", source)
	}
	if p.Account != c.caller.Account {
		return nil, accessDenied(c.svc, c.caller, c.name(), source, "because no resource-based policy allows the "+c.name()+" action")
	}
	if !strings.HasPrefix(p.Resource, "role/") {
		return nil, errorf(CodeNoSuchEntity, "The entity %s cannot be found.", source)
	}
	role, err := s.sc.Role(c.caller.Account, source)
	if err != nil {
		return nil, fromModel(err)
	}

	in := SimulationInput{
		ActionNames:                        actions,
		ResourceArns:                       f.list("ResourceArns"),
		ResourcePolicy:                     f.get("ResourcePolicy"),
		ResourceOwner:                      f.get("ResourceOwner"),
		CallerArn:                          f.get("CallerArn"),
		PolicyInputList:                    f.list("PolicyInputList"),
		PermissionsBoundaryPolicyInputList: f.list("PermissionsBoundaryPolicyInputList"),
	}
	for _, e := range f.structs("ContextEntries") {
		in.ContextEntries = append(in.ContextEntries, ContextEntry{
			Key: e.get("ContextKeyName"), Type: e.get("ContextKeyType"), Values: e.list("ContextKeyValues"),
		})
	}
	for _, e := range in.ContextEntries {
		if e.Key == "" {
			return nil, errorf(CodeInvalidInput, "ContextKeyName must not be empty.")
		}
		if !contextKeyTypes[e.Type] {
			return nil, errorf("ValidationError", "1 validation error detected: Value '%s' at 'contextEntries.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [string, stringList, numeric, numericList, boolean, booleanList, ip, ipList, binary, binaryList, date, dateList]", e.Type)
		}
	}
	results, merr := s.sc.Simulate(role, in)
	if merr != nil {
		return nil, fromModel(merr)
	}
	out := make([]xmlEvaluationResult, 0, len(results))
	for _, r := range results {
		out = append(out, toXMLEvaluation(r))
	}
	res, e := listPage(c, f, s.opts.PageSize, "SimulatePrincipalPolicy\x00"+role.ARN+"\x00"+strconv.Itoa(len(out)), out)
	if e != nil {
		return nil, e
	}
	return struct {
		EvaluationResults []xmlEvaluationResult `xml:"EvaluationResults>member"`
		IsTruncated       bool                  `xml:"IsTruncated"`
		Marker            string                `xml:"Marker,omitempty"`
	}{res.Items, res.IsTruncated, res.Marker}, nil
}

var contextKeyTypes = map[string]bool{
	"string": true, "stringList": true, "numeric": true, "numericList": true, "boolean": true,
	"booleanList": true, "ip": true, "ipList": true, "binary": true, "binaryList": true,
	"date": true, "dateList": true,
}

type xmlPosition struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

type xmlStatement struct {
	SourcePolicyID   string       `xml:"SourcePolicyId"`
	SourcePolicyType string       `xml:"SourcePolicyType"`
	StartPosition    *xmlPosition `xml:"StartPosition,omitempty"`
	EndPosition      *xmlPosition `xml:"EndPosition,omitempty"`
}

type xmlOrgDetail struct {
	AllowedByOrganizations bool `xml:"AllowedByOrganizations"`
}

type xmlBoundaryDetail struct {
	AllowedByPermissionsBoundary bool `xml:"AllowedByPermissionsBoundary"`
}

type xmlResourceResult struct {
	EvalResourceName                  string             `xml:"EvalResourceName"`
	EvalResourceDecision              string             `xml:"EvalResourceDecision"`
	MatchedStatements                 []xmlStatement     `xml:"MatchedStatements>member"`
	MissingContextValues              []string           `xml:"MissingContextValues>member"`
	EvalDecisionDetails               []xmlEntry         `xml:"EvalDecisionDetails>entry,omitempty"`
	PermissionsBoundaryDecisionDetail *xmlBoundaryDetail `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
}

type xmlEvaluationResult struct {
	EvalActionName                    string              `xml:"EvalActionName"`
	EvalResourceName                  string              `xml:"EvalResourceName"`
	EvalDecision                      string              `xml:"EvalDecision"`
	MatchedStatements                 []xmlStatement      `xml:"MatchedStatements>member"`
	MissingContextValues              []string            `xml:"MissingContextValues>member"`
	OrganizationsDecisionDetail       *xmlOrgDetail       `xml:"OrganizationsDecisionDetail,omitempty"`
	PermissionsBoundaryDecisionDetail *xmlBoundaryDetail  `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
	EvalDecisionDetails               []xmlEntry          `xml:"EvalDecisionDetails>entry,omitempty"`
	ResourceSpecificResults           []xmlResourceResult `xml:"ResourceSpecificResults>member,omitempty"`
}

func toXMLEvaluation(r EvaluationResult) xmlEvaluationResult {
	out := xmlEvaluationResult{
		EvalActionName: r.EvalActionName, EvalResourceName: r.EvalResourceName, EvalDecision: r.EvalDecision,
		MatchedStatements:    toXMLStatements(r.MatchedStatements),
		MissingContextValues: r.MissingContextValues,
		EvalDecisionDetails:  toXMLEntries(r.EvalDecisionDetails),
	}
	if d := r.OrganizationsDecisionDetail; d != nil {
		out.OrganizationsDecisionDetail = &xmlOrgDetail{d.AllowedByOrganizations}
	}
	if d := r.PermissionsBoundaryDecisionDetail; d != nil {
		out.PermissionsBoundaryDecisionDetail = &xmlBoundaryDetail{d.AllowedByPermissionsBoundary}
	}
	for _, rr := range r.ResourceSpecificResults {
		x := xmlResourceResult{EvalResourceName: rr.EvalResourceName, EvalResourceDecision: rr.EvalResourceDecision,
			MatchedStatements: toXMLStatements(rr.MatchedStatements), MissingContextValues: rr.MissingContextValues,
			EvalDecisionDetails: toXMLEntries(rr.EvalDecisionDetails)}
		if d := rr.PermissionsBoundaryDecisionDetail; d != nil {
			x.PermissionsBoundaryDecisionDetail = &xmlBoundaryDetail{d.AllowedByPermissionsBoundary}
		}
		out.ResourceSpecificResults = append(out.ResourceSpecificResults, x)
	}
	return out
}

func toXMLStatements(ms []MatchedStatement) []xmlStatement {
	out := make([]xmlStatement, 0, len(ms))
	for _, m := range ms {
		x := xmlStatement{SourcePolicyID: m.SourcePolicyID, SourcePolicyType: m.SourcePolicyType}
		if m.StartLine > 0 {
			x.StartPosition = &xmlPosition{m.StartLine, m.StartColumn}
			x.EndPosition = &xmlPosition{m.EndLine, m.EndColumn}
		}
		out = append(out, x)
	}
	return out
}

// toXMLEntries writes a map as awsQuery entries, sorted by key for stable output.
func toXMLEntries(m map[string]string) []xmlEntry {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]xmlEntry, 0, len(keys))
	for _, k := range keys {
		out = append(out, xmlEntry{Key: k, Value: m[k]})
	}
	return out
}
