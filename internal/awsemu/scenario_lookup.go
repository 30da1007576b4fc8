package awsemu

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/xsdoctor/xsdoctor/arn"
)

// AWSError is a refusal the way AWS words it: the error code the wire layer sends (in the
// protocol's own error shape) and the message. The wire layer picks the HTTP status.
type AWSError struct {
	Code    string
	Message string
}

func (e *AWSError) Error() string { return e.Code + ": " + e.Message }

// Error codes the model returns.
const (
	CodeSecretNotFound    = "ResourceNotFoundException" // Secrets Manager
	CodeKMSNotFound       = "NotFoundException"         // KMS
	CodeNoSuchEntity      = "NoSuchEntity"              // IAM
	CodeInvalidInput      = "InvalidInput"              // IAM
	CodeAccessDeniedJSON  = "AccessDeniedException"     // Secrets Manager, KMS, Organizations
	CodeInvalidRequest    = "InvalidRequestException"   // Secrets Manager
	CodeOrgNotInUse       = "AWSOrganizationsNotInUseException"
	MessageSecretNotFound = "Secrets Manager can't find the specified secret."
	MessageKMSNotAllowed  = "Access to KMS is not allowed"
	MessageMarkedDeletion = "You can't perform this operation on the secret because it was marked for deletion."
	MessageOrgNotInUse    = "Your account is not a member of an organization."
)

// parseARN splits an ARN of the partition the emulator serves (aws) with the one ARN type.
func parseARN(s string) (arn.ARN, bool) {
	a, ok := arn.Split(s)
	return a, ok && a.Partition == "aws"
}

// Secret resolves a SecretId as Secrets Manager does (GetSecretValue, SecretId): a full ARN, or a
// partial ARN without the six-character suffix, is looked up in the account the ARN names; a
// bare name in the caller's own account. That is why a consumer that passes only a name gets
// ResourceNotFoundException (aws-semantics §3.1). callerRegion is the region of the endpoint
// called, where a bare name is looked up. An ARN of another region is still found: what Secrets
// Manager answers there is not documented, and the probe always calls the ARN's region.
func (s *Scenario) Secret(secretID, callerAccount, callerRegion string) (*Secret, *AWSError) {
	notFound := &AWSError{Code: CodeSecretNotFound, Message: MessageSecretNotFound}
	if secretID == "" {
		return nil, notFound
	}
	if strings.HasPrefix(secretID, "arn:") {
		p, ok := parseARN(secretID)
		if !ok || p.Service != "secretsmanager" || !strings.HasPrefix(p.Resource, "secret:") {
			return nil, notFound
		}
		if sec := s.secrets[secretID]; sec != nil {
			return sec, nil
		}
		// A partial ARN: the name without the suffix (Secrets Manager User Guide:
		// "Troubleshoot", partial ARNs).
		return s.secretByName(p.Account, p.Region, strings.TrimPrefix(p.Resource, "secret:"), notFound)
	}
	return s.secretByName(callerAccount, callerRegion, secretID, notFound)
}

func (s *Scenario) secretByName(account, region, name string, notFound *AWSError) (*Secret, *AWSError) {
	if sec := s.byName[account+"/"+region+"/"+name]; sec != nil {
		return sec, nil
	}
	return nil, notFound
}

// Key resolves a KeyId as KMS does (DescribeKey, KeyId): a key ARN or alias ARN in the account it
// names; a key id or alias name in the caller's own account and region ("If you enter only a key
// ID or alias name, AWS assumes the KMS key is in your account": KMS Developer Guide, "Allowing
// users in other accounts to use a KMS key"). It never creates a key.
//
// KMS is regional: an ARN naming another region than the endpoint's fails with
// NotFoundException "Invalid arn <region>", as KMS answers.
func (s *Scenario) Key(keyID, callerAccount, callerRegion string) (*Key, *AWSError) {
	if p, ok := parseARN(keyID); ok && p.Service == "kms" && callerRegion != "" && p.Region != callerRegion {
		return nil, &AWSError{Code: CodeKMSNotFound, Message: "Invalid arn " + p.Region}
	}
	return s.resolveKey(keyID, callerAccount, callerRegion)
}

// resolveKey resolves a key identifier in account and region without the endpoint's region
// check (a secret's kms_key_id is checked against the secret's region by the loader).
func (s *Scenario) resolveKey(ref, account, region string) (*Key, *AWSError) {
	if ref == "" {
		return nil, &AWSError{Code: "ValidationException", Message: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"}
	}
	if acct, reg, name, ok := aliasRef(ref, account, region); ok {
		if al := s.aliases[aliasARN(reg, acct, name)]; al != nil {
			return al.Key, nil
		}
		return nil, &AWSError{Code: CodeKMSNotFound, Message: "Alias " + aliasARN(reg, acct, name) + " is not found."}
	}
	arn := ref
	if strings.HasPrefix(ref, "arn:") {
		p, ok := parseARN(ref)
		if !ok || p.Service != "kms" || !strings.HasPrefix(p.Resource, "key/") {
			return nil, &AWSError{Code: CodeKMSNotFound, Message: "Invalid arn " + ref}
		}
	} else {
		if !keyIDRe.MatchString(ref) {
			return nil, &AWSError{Code: CodeKMSNotFound, Message: "Invalid keyId '" + ref + "'"}
		}
		arn = keyARN(region, account, ref)
	}
	if k := s.keys[arn]; k != nil {
		return k, nil
	}
	return nil, &AWSError{Code: CodeKMSNotFound, Message: "Key '" + arn + "' does not exist"}
}

// aliasRef reports whether ref is an alias name or alias ARN, and where the alias lives.
func aliasRef(ref, account, region string) (acct, reg, name string, ok bool) {
	if strings.HasPrefix(ref, "alias/") {
		return account, region, ref, true
	}
	if p, isARN := parseARN(ref); isARN && p.Service == "kms" && strings.HasPrefix(p.Resource, "alias/") {
		return p.Account, p.Region, p.Resource, true
	}
	return "", "", "", false
}

// Aliases lists the aliases of account+region sorted by name, those of one key when key is not
// nil (KMS ListAliases).
func (s *Scenario) Aliases(account, region string, key *Key) []*Alias {
	var out []*Alias
	for _, al := range s.aliases {
		if al.Account == account && al.Region == region && (key == nil || al.Key == key) {
			out = append(out, al)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Role finds a role by name in account (GetRole's RoleName) or by its ARN, which must carry the
// role's path: an ARN with another path names no role (IAM User Guide: "IAM identifiers").
func (s *Scenario) Role(account, nameOrARN string) (*Role, *AWSError) {
	if r := s.roles[nameOrARN]; r != nil {
		return r, nil
	}
	name := nameOrARN
	if p, ok := parseARN(nameOrARN); ok {
		if p.Service != "iam" || !strings.HasPrefix(p.Resource, "role/") {
			return nil, &AWSError{Code: CodeInvalidInput, Message: "Invalid Entity Arn: " + nameOrARN}
		}
		account = p.Account
		name = p.Resource[strings.LastIndex(p.Resource, "/")+1:]
		// An ARN with a wrong path names no role.
		if r := s.roles[account+"/"+name]; r != nil && r.ARN != nameOrARN {
			return nil, &AWSError{Code: CodeNoSuchEntity, Message: "The role with name " + name + " cannot be found."}
		}
	}
	if r := s.roles[account+"/"+name]; r != nil {
		return r, nil
	}
	return nil, &AWSError{Code: CodeNoSuchEntity, Message: "The role with name " + name + " cannot be found."}
}

// RoleForSession finds the role behind an assumed-role session ARN
// (arn:aws:sts::<account>:assumed-role/<name>/<session>, which carries no path) or a role ARN.
func (s *Scenario) RoleForSession(arn string) *Role {
	p, ok := parseARN(arn)
	if !ok {
		return nil
	}
	switch {
	case p.Service == "sts" && strings.HasPrefix(p.Resource, "assumed-role/"):
		parts := strings.Split(p.Resource, "/")
		if len(parts) < 3 {
			return nil
		}
		return s.roles[p.Account+"/"+parts[1]]
	case p.Service == "iam" && strings.HasPrefix(p.Resource, "role/"):
		r, _ := s.Role(p.Account, arn)
		return r
	}
	return nil
}

// Policy finds a managed policy by ARN: a customer managed policy
// (arn:aws:iam::<account>:policy<path><name>) or an AWS managed one (arn:aws:iam::aws:policy/<name>).
func (s *Scenario) Policy(arn string) (*ManagedPolicy, *AWSError) {
	if mp := s.policies[arn]; mp != nil {
		return mp, nil
	}
	if _, ok := parseARN(arn); !ok {
		return nil, &AWSError{Code: CodeInvalidInput, Message: "ARN " + arn + " is not valid."}
	}
	return nil, &AWSError{Code: CodeNoSuchEntity, Message: "Policy " + arn + " does not exist or is not attachable."}
}

// PolicyVersion returns a managed policy's document for versionID; a scenario holds only v1.
func (s *Scenario) PolicyVersion(arn, versionID string) (*ManagedPolicy, *AWSError) {
	mp, err := s.Policy(arn)
	if err != nil {
		return nil, err
	}
	if versionID != mp.DefaultVersion {
		return nil, &AWSError{Code: CodeNoSuchEntity, Message: "Policy " + arn + " version " + versionID + " does not exist or is not attachable."}
	}
	return mp, nil
}

// Organization is what DescribeOrganization returns.
type Organization struct {
	ID                       string
	ARN                      string
	ManagementAccountID      string
	ManagementAccountARN     string
	ManagementAccountEmail   string
	FeatureSet               string
	ManagementInScenario     bool
	AvailablePolicyTypesSCPs bool
	AvailablePolicyTypesRCPs bool // a scenario organization has RCPs enabled
}

// Organization answers DescribeOrganization called from account. With a scenario organization:
// any member gets it, with its management account. Otherwise from the account's org_id, with the
// management account the scenario marks (org_management: true) or else one outside the scenario,
// derived from the org id. An account in no organization gets AWSOrganizationsNotInUseException.
func (s *Scenario) Organization(account string) (*Organization, *AWSError) {
	notInUse := &AWSError{Code: CodeOrgNotInUse, Message: MessageOrgNotInUse}
	var org *Organization
	switch {
	case s.Org != nil:
		if !s.Org.Member(account) {
			return nil, notInUse
		}
		org = &Organization{ID: s.Org.ID, ManagementAccountID: s.Org.ManagementAccount,
			ManagementInScenario: s.Accounts[s.Org.ManagementAccount] != nil, AvailablePolicyTypesRCPs: true}
	default:
		a := s.Accounts[account]
		if a == nil || a.OrgID == "" {
			return nil, notInUse
		}
		org = &Organization{ID: a.OrgID}
		for _, id := range s.AccountIDs {
			if m := s.Accounts[id]; m.OrgID == a.OrgID && m.OrgManagement {
				org.ManagementAccountID, org.ManagementInScenario = id, true
				break
			}
		}
		if org.ManagementAccountID == "" {
			org.ManagementAccountID = outsideAccount(a.OrgID)
		}
	}
	org.FeatureSet, org.AvailablePolicyTypesSCPs = "ALL", true
	org.ARN = "arn:aws:organizations::" + org.ManagementAccountID + ":organization/" + org.ID
	org.ManagementAccountARN = "arn:aws:organizations::" + org.ManagementAccountID + ":account/" + org.ID + "/" + org.ManagementAccountID
	org.ManagementAccountEmail = "aws-management+" + org.ID + "@example.com"
	return org, nil
}

// outsideAccount derives a 12-digit account id, not in the scenario, for an organization's
// management account.
func outsideAccount(orgID string) string {
	sum := digest("management-account", orgID)
	out := make([]byte, 12)
	for i := range out {
		out[i] = '0' + sum[i]%10
	}
	if out[0] == '0' {
		out[0] = '9'
	}
	return string(out)
}

// SCPsFor returns the SCPs that apply to principals of account: none for an account in no
// organization or for the management account, which SCPs never restrict (AWS Organizations User
// Guide: "Service control policies").
//
// With a scenario organization there is no flat list: see Org.Hierarchy.
func (s *Scenario) SCPsFor(account string) []PolicyDoc {
	a := s.Accounts[account]
	if s.Org != nil || a == nil || a.OrgID == "" || a.OrgManagement {
		return nil
	}
	return a.SCPs
}

// OrgID returns account's organization id ("" for none or an account outside the scenario or the
// organization).
func (s *Scenario) OrgID(account string) string {
	if s.Org != nil {
		if s.Org.Member(account) {
			return s.Org.ID
		}
		return ""
	}
	if a := s.Accounts[account]; a != nil {
		return a.OrgID
	}
	return ""
}

// Secrets lists every secret, sorted by ARN.
func (s *Scenario) Secrets() []*Secret {
	out := make([]*Secret, 0, len(s.secrets))
	for _, arn := range slices.Sorted(maps.Keys(s.secrets)) {
		out = append(out, s.secrets[arn])
	}
	return out
}

// Keys lists every key (the AWS managed keys created at load time included), sorted by ARN.
func (s *Scenario) Keys() []*Key {
	out := make([]*Key, 0, len(s.keys))
	for _, arn := range slices.Sorted(maps.Keys(s.keys)) {
		out = append(out, s.keys[arn])
	}
	return out
}

// AttachedPolicies returns a role's managed policies in the order the scenario lists them.
func (s *Scenario) AttachedPolicies(r *Role) []*ManagedPolicy {
	out := make([]*ManagedPolicy, 0, len(r.ManagedPolicies))
	for _, arn := range r.ManagedPolicies {
		if mp := s.policies[arn]; mp != nil {
			out = append(out, mp)
		}
	}
	return out
}

// CallDenied reports whether the role's denied_calls refuses call ("service:Operation").
func (r *Role) CallDenied(call string) bool {
	if r == nil {
		return false
	}
	for _, c := range r.DeniedCalls {
		if strings.EqualFold(c, call) {
			return true
		}
	}
	return false
}

// IsAssumable reports whether sts:AssumeRole into the role succeeds (given the external id).
func (r *Role) IsAssumable() bool { return r.Assumable == nil || *r.Assumable }
