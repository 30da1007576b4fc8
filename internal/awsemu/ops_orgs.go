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
		out.AvailablePolicyTypes = append(out.AvailablePolicyTypes, policyTypeSummary{Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED"})
	}
	return map[string]organization{"Organization": out}, nil
}
