package awsemu

import (
	"encoding/json"
	"sort"
	"strings"
)

// IAM (awsQuery, Version 2010-05-08): GetRole, ListRolePolicies, GetRolePolicy,
// ListAttachedRolePolicies, GetPolicy, GetPolicyVersion (IAM API reference). IAM is global and
// account-scoped: roles are found in the caller's own account, by name.

// encodeDocument URL-encodes an IAM policy document as IAM returns it: RFC 3986, every byte but
// the unreserved characters percent-encoded, spaces as %20 (IAM API reference: GetRolePolicy,
// PolicyDocument, "URL-encoded compliant with RFC 3986").
func encodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		ch := doc[i]
		switch {
		case 'A' <= ch && ch <= 'Z', 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9',
			ch == '-', ch == '.', ch == '_', ch == '~':
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}

// role finds RoleName in the caller's account.
func (s *server) role(c *call, f form) (*Role, *apiError) {
	name := f.get("RoleName")
	if name == "" {
		return nil, validationError(c.svc, "roleName")
	}
	if !roleNameRe.MatchString(name) {
		// RoleName is a name, never an ARN (IAM API reference: GetRole, RoleName pattern).
		return nil, errorf("ValidationError", "1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
	}
	r, err := s.sc.Role(c.caller.Account, name)
	if err != nil {
		return nil, fromModel(err)
	}
	if r.Account != c.caller.Account {
		return nil, errorf(CodeNoSuchEntity, "The role with name %s cannot be found.", name)
	}
	return r, nil
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xmlRole struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               isoTime
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
	PermissionsBoundary      *struct {
		PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
		PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
	} `xml:"PermissionsBoundary,omitempty"`
	Tags         []xmlTag `xml:"Tags>member,omitempty"`
	RoleLastUsed struct{} `xml:"RoleLastUsed"`
}

func (s *server) getRole(c *call, f form) (any, *apiError) {
	r, e := s.role(c, f)
	if e != nil {
		return nil, e
	}
	out := xmlRole{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN, CreateDate: isoTime(Epoch),
		AssumeRolePolicyDocument: encodeDocument(s.trustPolicy(r)), Description: r.Description,
		MaxSessionDuration: maxSessionSeconds}
	if r.PermissionsBoundary != "" {
		out.PermissionsBoundary = &struct {
			PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
			PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
		}{"PermissionsBoundaryPolicy", r.PermissionsBoundary}
	}
	keys := make([]string, 0, len(r.Tags))
	for k := range r.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Tags = append(out.Tags, xmlTag{Key: k, Value: r.Tags[k]})
	}
	return struct {
		Role xmlRole `xml:"Role"`
	}{out}, nil
}

// trustPolicy is the role's trust policy as GetRole shows it. A scenario says only whether the
// operator may assume the role (assumable, external_id), so the document says the same: an
// assumable role trusts the operator's account, with sts:ExternalId when the role wants one; a
// role that is not assumable trusts only a service, as a workload's role does.
func (s *server) trustPolicy(r *Role) string {
	stmt := map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole"}
	if r.IsAssumable() {
		op := s.operator()
		stmt["Principal"] = map[string]string{"AWS": "arn:aws:iam::" + op.Account + ":root"}
		if r.ExternalID != "" {
			stmt["Condition"] = map[string]any{"StringEquals": map[string]string{"sts:ExternalId": r.ExternalID}}
		}
	} else {
		stmt["Principal"] = map[string]string{"Service": "ec2.amazonaws.com"}
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{stmt}})
	return string(b)
}

type listResult[T any] struct {
	Items       []T
	IsTruncated bool
	Marker      string
}

// listPage cuts items into the page Marker/MaxItems ask for.
func listPage[T any](c *call, f form, pageSize int, listing string, items []T) (listResult[T], *apiError) {
	size, e := f.maxItems(pageSize)
	if e != nil {
		return listResult[T]{}, e
	}
	got, next, ok := page(items, listing, f.get("Marker"), size)
	if !ok {
		return listResult[T]{}, errorf("ValidationError", "Invalid Marker.")
	}
	return listResult[T]{Items: got, IsTruncated: next != "", Marker: next}, nil
}

func (s *server) listRolePolicies(c *call, f form) (any, *apiError) {
	r, e := s.role(c, f)
	if e != nil {
		return nil, e
	}
	names := make([]string, 0, len(r.InlinePolicies))
	for n := range r.InlinePolicies {
		names = append(names, n)
	}
	sort.Strings(names)
	res, e := listPage(c, f, s.opts.PageSize, "ListRolePolicies\x00"+r.ARN, names)
	if e != nil {
		return nil, e
	}
	return struct {
		PolicyNames []string `xml:"PolicyNames>member"`
		IsTruncated bool     `xml:"IsTruncated"`
		Marker      string   `xml:"Marker,omitempty"`
	}{res.Items, res.IsTruncated, res.Marker}, nil
}

func (s *server) getRolePolicy(c *call, f form) (any, *apiError) {
	r, e := s.role(c, f)
	if e != nil {
		return nil, e
	}
	name := f.get("PolicyName")
	if name == "" {
		return nil, validationError(c.svc, "policyName")
	}
	doc, ok := r.InlinePolicies[name]
	if !ok {
		return nil, errorf(CodeNoSuchEntity, "The role policy with name %s cannot be found.", name)
	}
	return struct {
		RoleName       string `xml:"RoleName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{r.Name, name, encodeDocument(doc.String())}, nil
}

type attachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

func (s *server) listAttachedRolePolicies(c *call, f form) (any, *apiError) {
	r, e := s.role(c, f)
	if e != nil {
		return nil, e
	}
	prefix := f.get("PathPrefix")
	var all []attachedPolicy
	for _, mp := range s.sc.AttachedPolicies(r) {
		if prefix == "" || strings.HasPrefix(mp.Path, prefix) {
			all = append(all, attachedPolicy{PolicyName: mp.Name, PolicyArn: mp.ARN})
		}
	}
	res, e := listPage(c, f, s.opts.PageSize, "ListAttachedRolePolicies\x00"+r.ARN+"\x00"+prefix, all)
	if e != nil {
		return nil, e
	}
	return struct {
		AttachedPolicies []attachedPolicy `xml:"AttachedPolicies>member"`
		IsTruncated      bool             `xml:"IsTruncated"`
		Marker           string           `xml:"Marker,omitempty"`
	}{res.Items, res.IsTruncated, res.Marker}, nil
}

// policy finds PolicyArn: an AWS managed policy from any account, a customer managed policy only
// from its own account (IAM has no resource policies, so nothing lets another account read it).
func (s *server) policy(c *call, f form) (*ManagedPolicy, *apiError) {
	arn := f.get("PolicyArn")
	if arn == "" {
		return nil, validationError(c.svc, "policyArn")
	}
	mp, err := s.sc.Policy(arn)
	if err != nil {
		if acct := arnAccount(arn); acct != "" && acct != "aws" && acct != c.caller.Account {
			return nil, accessDenied(c.svc, c.caller, c.name(), arn, "because no resource-based policy allows the "+c.name()+" action")
		}
		return nil, fromModel(err)
	}
	if !mp.AWSManaged && mp.Account != c.caller.Account {
		return nil, accessDenied(c.svc, c.caller, c.name(), arn, "because no resource-based policy allows the "+c.name()+" action")
	}
	return mp, nil
}

func (s *server) getPolicy(c *call, f form) (any, *apiError) {
	mp, e := s.policy(c, f)
	if e != nil {
		return nil, e
	}
	attachments, boundaries := s.policyUsage(mp)
	type xmlPolicy struct {
		PolicyName                    string  `xml:"PolicyName"`
		PolicyID                      string  `xml:"PolicyId"`
		Arn                           string  `xml:"Arn"`
		Path                          string  `xml:"Path"`
		DefaultVersionID              string  `xml:"DefaultVersionId"`
		AttachmentCount               int     `xml:"AttachmentCount"`
		PermissionsBoundaryUsageCount int     `xml:"PermissionsBoundaryUsageCount"`
		IsAttachable                  bool    `xml:"IsAttachable"`
		CreateDate                    isoTime `xml:"CreateDate"`
		UpdateDate                    isoTime `xml:"UpdateDate"`
	}
	return struct {
		Policy xmlPolicy `xml:"Policy"`
	}{xmlPolicy{PolicyName: mp.Name, PolicyID: mp.ID, Arn: mp.ARN, Path: mp.Path, DefaultVersionID: mp.DefaultVersion,
		AttachmentCount: attachments, PermissionsBoundaryUsageCount: boundaries, IsAttachable: true,
		CreateDate: isoTime(Epoch), UpdateDate: isoTime(Epoch)}}, nil
}

// policyUsage counts the roles that attach mp and that use it as their permissions boundary.
func (s *server) policyUsage(mp *ManagedPolicy) (attachments, boundaries int) {
	for _, id := range s.sc.AccountIDs {
		for _, r := range s.sc.Accounts[id].Roles {
			if r == nil {
				continue
			}
			for _, arn := range r.ManagedPolicies {
				if arn == mp.ARN {
					attachments++
				}
			}
			if r.PermissionsBoundary == mp.ARN {
				boundaries++
			}
		}
	}
	return attachments, boundaries
}

func (s *server) getPolicyVersion(c *call, f form) (any, *apiError) {
	mp, e := s.policy(c, f)
	if e != nil {
		return nil, e
	}
	version := f.get("VersionId")
	if version == "" {
		return nil, validationError(c.svc, "versionId")
	}
	if _, err := s.sc.PolicyVersion(mp.ARN, version); err != nil {
		return nil, fromModel(err)
	}
	doc := mp.Document.String()
	if !s.opts.RawPolicyVersionDocuments {
		doc = encodeDocument(doc)
	}
	type xmlVersion struct {
		Document         string  `xml:"Document"`
		VersionID        string  `xml:"VersionId"`
		IsDefaultVersion bool    `xml:"IsDefaultVersion"`
		CreateDate       isoTime `xml:"CreateDate"`
	}
	return struct {
		PolicyVersion xmlVersion `xml:"PolicyVersion"`
	}{xmlVersion{Document: doc, VersionID: version, IsDefaultVersion: version == mp.DefaultVersion, CreateDate: isoTime(Epoch)}}, nil
}
