package awsemu

// Organizations (awsJson1_1, target prefix "AWSOrganizationsV20161128"): DescribeOrganization
// (AWS Organizations API reference).

type policyTypeSummary struct {
	Type   string `json:"Type"`
	Status string `json:"Status"`
}

type organization struct {
	ID                   string              `json:"Id"`
	Arn                  string              `json:"Arn"`
	FeatureSet           string              `json:"FeatureSet"`
	MasterAccountArn     string              `json:"MasterAccountArn"`
	MasterAccountID      string              `json:"MasterAccountId"`
	MasterAccountEmail   string              `json:"MasterAccountEmail"`
	AvailablePolicyTypes []policyTypeSummary `json:"AvailablePolicyTypes"`
}

// describeOrganization answers from the calling account's org_id; an account in no organization
// gets AWSOrganizationsNotInUseException.
func (s *server) describeOrganization(c *call, body []byte) (any, *apiError) {
	var in struct{}
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	org, err := s.sc.Organization(c.caller.Account)
	if err != nil {
		return nil, fromModel(err)
	}
	out := organization{ID: org.ID, Arn: org.ARN, FeatureSet: org.FeatureSet,
		MasterAccountArn: org.ManagementAccountARN, MasterAccountID: org.ManagementAccountID,
		MasterAccountEmail: org.ManagementAccountEmail, AvailablePolicyTypes: []policyTypeSummary{}}
	if org.AvailablePolicyTypesSCPs {
		// Deprecated member, still sent: it lists policy types enabled in the root.
		out.AvailablePolicyTypes = append(out.AvailablePolicyTypes, policyTypeSummary{Type: PolicyTypeSCP, Status: "ENABLED"})
	}
	if org.AvailablePolicyTypesRCPs {
		out.AvailablePolicyTypes = append(out.AvailablePolicyTypes, policyTypeSummary{Type: PolicyTypeRCP, Status: "ENABLED"})
	}
	return map[string]organization{"Organization": out}, nil
}

// The Organizations read APIs that show the hierarchy and its policies: ListRoots, ListParents,
// ListPoliciesForTarget and DescribePolicy (AWS Organizations API reference). They answer only
// the management account and delegated administrators; any other member gets
// AccessDeniedException, an account in no organization AWSOrganizationsNotInUseException. A
// scenario without an organization section (org_id only) has no hierarchy to show: its members
// are refused as non-administrators.

const (
	messageOrgAccessDenied = "You don't have permissions to access this resource."
	orgPageMax             = 20 // MaxResults is 1-20 for these calls
)

func (s *server) orgReader(c *call) (*Org, *apiError) {
	if _, err := s.sc.Organization(c.caller.Account); err != nil {
		return nil, fromModel(err)
	}
	if o := s.sc.Org; o != nil && o.CanReadPolicies(c.caller.Account) {
		return o, nil
	}
	return nil, &apiError{Status: 400, Code: CodeAccessDeniedJSON, Message: messageOrgAccessDenied}
}

// orgPageSize validates MaxResults and caps it at the emulator's page size.
func orgPageSize(pageSize int, maxResults *int) (int, *apiError) {
	if maxResults == nil {
		return pageSize, nil
	}
	if *maxResults < 1 || *maxResults > orgPageMax {
		return 0, errorf("InvalidInputException", "You provided a value that does not match the required pattern: MaxResults must be between 1 and %d.", orgPageMax)
	}
	return min(pageSize, *maxResults), nil
}

type orgPageInput struct {
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

type orgRoot struct {
	ID          string              `json:"Id"`
	Arn         string              `json:"Arn"`
	Name        string              `json:"Name"`
	PolicyTypes []policyTypeSummary `json:"PolicyTypes"`
}

func (s *server) listRoots(c *call, body []byte) (any, *apiError) {
	var in orgPageInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	o, e := s.orgReader(c)
	if e != nil {
		return nil, e
	}
	size, e := orgPageSize(s.opts.PageSize, in.MaxResults)
	if e != nil {
		return nil, e
	}
	roots := []orgRoot{{ID: o.RootID, Arn: "arn:aws:organizations::" + o.ManagementAccount + ":root/" + o.ID + "/" + o.RootID, Name: "Root",
		PolicyTypes: []policyTypeSummary{{Type: PolicyTypeRCP, Status: "ENABLED"}, {Type: PolicyTypeSCP, Status: "ENABLED"}}}}
	items, next, ok := page(roots, "ListRoots\x00"+o.ID, in.NextToken, size)
	if !ok {
		return nil, invalidOrgToken()
	}
	return struct {
		Roots     []orgRoot `json:"Roots"`
		NextToken string    `json:"NextToken,omitempty"`
	}{items, next}, nil
}

func invalidOrgToken() *apiError {
	return errorf("InvalidInputException", "You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.")
}

type orgParent struct {
	ID   string `json:"Id"`
	Type string `json:"Type"`
}

// listParents answers with the one parent of an OU or a member account (Organizations API
// reference: ListParents, "In the current release, a child can have only a single parent").
func (s *server) listParents(c *call, body []byte) (any, *apiError) {
	var in struct {
		ChildID *string `json:"ChildId"`
		orgPageInput
	}
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	if in.ChildID == nil {
		return nil, validationError(c.svc, "childId")
	}
	o, e := s.orgReader(c)
	if e != nil {
		return nil, e
	}
	size, e := orgPageSize(s.opts.PageSize, in.MaxResults)
	if e != nil {
		return nil, e
	}
	child := *in.ChildID
	if child == o.RootID || !o.isTarget(child) {
		return nil, errorf("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
	}
	parent := o.parent(child)
	typ := "ORGANIZATIONAL_UNIT"
	if parent == o.RootID {
		typ = "ROOT"
	}
	items, next, ok := page([]orgParent{{ID: parent, Type: typ}}, "ListParents\x00"+child, in.NextToken, size)
	if !ok {
		return nil, invalidOrgToken()
	}
	return struct {
		Parents   []orgParent `json:"Parents"`
		NextToken string      `json:"NextToken,omitempty"`
	}{items, next}, nil
}

type orgPolicySummary struct {
	ID          string `json:"Id"`
	Arn         string `json:"Arn"`
	Name        string `json:"Name"`
	Description string `json:"Description,omitempty"`
	Type        string `json:"Type"`
	AwsManaged  bool   `json:"AwsManaged"`
}

func summary(p *OrgPolicy) orgPolicySummary {
	return orgPolicySummary{ID: p.ID, Arn: p.ARN, Name: p.Name, Description: p.Description, Type: p.Type, AwsManaged: p.AWSManaged}
}

// orgPolicyTypes are the Filter values of ListPoliciesForTarget (Organizations API reference:
// PolicyType). The emulator knows SCPs and RCPs; the others list nothing.
var orgPolicyTypes = map[string]bool{
	PolicyTypeSCP: true, PolicyTypeRCP: true, "TAG_POLICY": true, "BACKUP_POLICY": true,
	"AISERVICES_OPT_OUT_POLICY": true, "CHATBOT_POLICY": true, "DECLARATIVE_POLICY_EC2": true,
	"SECURITYHUB_POLICY": true,
}

func (s *server) listPoliciesForTarget(c *call, body []byte) (any, *apiError) {
	var in struct {
		TargetID *string `json:"TargetId"`
		Filter   *string `json:"Filter"`
		orgPageInput
	}
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	if in.TargetID == nil {
		return nil, validationError(c.svc, "targetId")
	}
	if in.Filter == nil {
		return nil, validationError(c.svc, "filter")
	}
	o, e := s.orgReader(c)
	if e != nil {
		return nil, e
	}
	if !orgPolicyTypes[*in.Filter] {
		return nil, errorf("InvalidInputException", "You provided a value that does not match the required pattern: Filter %s is not a policy type.", *in.Filter)
	}
	size, e := orgPageSize(s.opts.PageSize, in.MaxResults)
	if e != nil {
		return nil, e
	}
	target := *in.TargetID
	if !o.isTarget(target) {
		return nil, errorf("TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.")
	}
	all := []orgPolicySummary{}
	for _, p := range o.Attached(target, *in.Filter) {
		all = append(all, summary(p))
	}
	items, next, ok := page(all, "ListPoliciesForTarget\x00"+target+"\x00"+*in.Filter, in.NextToken, size)
	if !ok {
		return nil, invalidOrgToken()
	}
	if items == nil {
		items = []orgPolicySummary{}
	}
	return struct {
		Policies  []orgPolicySummary `json:"Policies"`
		NextToken string             `json:"NextToken,omitempty"`
	}{items, next}, nil
}

func (s *server) describePolicy(c *call, body []byte) (any, *apiError) {
	var in struct {
		PolicyID *string `json:"PolicyId"`
	}
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	if in.PolicyID == nil {
		return nil, validationError(c.svc, "policyId")
	}
	o, e := s.orgReader(c)
	if e != nil {
		return nil, e
	}
	p := o.PolicyByID(*in.PolicyID)
	if p == nil {
		return nil, errorf("PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
	}
	type policyOut struct {
		PolicySummary orgPolicySummary `json:"PolicySummary"`
		Content       string           `json:"Content"`
	}
	return map[string]policyOut{"Policy": {PolicySummary: summary(p), Content: p.Document.String()}}, nil
}
