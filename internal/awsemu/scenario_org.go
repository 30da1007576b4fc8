package awsemu

import (
	"encoding/base32"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/xsdoctor/xsdoctor/policy"
)

// The organization (SPEC §6 "organization"): roots, OUs, member accounts, SCPs and RCPs and where
// they are attached. When a scenario has one, it is the one source of org facts: every account's
// org_id and scps give way to it.

// Organizations policy types (Organizations API reference: PolicyType).
const (
	PolicyTypeSCP = "SERVICE_CONTROL_POLICY"
	PolicyTypeRCP = "RESOURCE_CONTROL_POLICY"
)

// DefaultRootID is the root of an organization that names none (SPEC §6).
const DefaultRootID = "r-root"

// The AWS managed policies Organizations attaches itself (AWS Organizations User Guide:
// "FullAWSAccess" and "RCPFullAWSAccess").
const (
	fullAWSAccessName    = "FullAWSAccess"
	rcpFullAWSAccessName = "RCPFullAWSAccess"
	fullAWSAccessText    = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`
	rcpFullAWSAccessText = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}`
)

// Org is the scenario's organization.
type Org struct {
	ID                string                `json:"id"`
	ManagementAccount string                `json:"management_account"`
	DelegatedAdmins   []string              `json:"delegated_admins"`
	RootID            string                `json:"root_id"`
	OUs               map[string]*OU        `json:"ous"`
	Accounts          map[string]string     `json:"accounts"` // member account → parent (root or OU id)
	Policies          map[string]*OrgPolicy `json:"policies"`
	// Attachments: target (root, OU or member account) → names of policies attached to it.
	Attachments map[string][]string `json:"attachments"`
	// FullAccessDetached lists targets FullAWSAccess (SCP) is not attached to.
	FullAccessDetached []string `json:"full_access_detached"`

	policyByID map[string]*OrgPolicy
	detached   map[string]bool
}

// OU is an organizational unit.
type OU struct {
	Parent string `json:"parent"`
	Name   string `json:"name"` // defaults to the OU's id

	ID string `json:"-"`
}

// OrgPolicy is an SCP or an RCP.
type OrgPolicy struct {
	Type        string    `json:"type"`
	Description string    `json:"description"`
	Document    PolicyDoc `json:"document"`

	Name       string `json:"-"`
	ID         string `json:"-"` // p-…
	ARN        string `json:"-"`
	AWSManaged bool   `json:"-"`
}

var (
	rootIDRe = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouIDRe   = regexp.MustCompile(`^ou-[0-9a-z-]{1,64}$`)
)

func (b *builder) organization() {
	o := b.s.Org
	if o == nil {
		return
	}
	const base = "organization"
	if !orgIDRe.MatchString(o.ID) {
		b.fail(base+".id", "%q is not an organization id such as o-aaaa1111bb", o.ID)
	}
	if !accountRe.MatchString(o.ManagementAccount) {
		b.fail(base+".management_account", "required: the management account's 12-digit id")
	}
	if o.RootID == "" {
		o.RootID = DefaultRootID
	} else if !rootIDRe.MatchString(o.RootID) {
		b.fail(base+".root_id", "%q is not a root id such as r-root", o.RootID)
	}
	for _, id := range b.s.AccountIDs {
		if a := b.s.Accounts[id]; a.OrgID != "" || len(a.SCPs) > 0 || a.OrgManagement {
			b.fail("accounts."+id, "organization replaces org_id, org_management and scps; give the account's place under organization.accounts instead")
		}
	}
	if o.Accounts == nil {
		o.Accounts = map[string]string{}
	}
	// The management account is a member, under the root unless placed elsewhere.
	if _, ok := o.Accounts[o.ManagementAccount]; !ok && o.ManagementAccount != "" {
		o.Accounts[o.ManagementAccount] = o.RootID
	}
	for _, id := range slices.Sorted(maps.Keys(o.OUs)) {
		ou := o.OUs[id]
		path := base + ".ous." + id
		if ou == nil {
			b.fail(path, "want an object, got null")
			o.OUs[id] = &OU{Parent: o.RootID}
			continue
		}
		ou.ID = id
		if !ouIDRe.MatchString(id) {
			b.fail(path, "%q is not an OU id such as ou-prod", id)
		}
		if ou.Name == "" {
			ou.Name = id
		}
		if !b.orgParent(ou.Parent) {
			b.fail(path+".parent", "%q is neither the root (%s) nor an OU", ou.Parent, o.RootID)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(o.OUs)) {
		if o.path(id) == nil {
			b.fail(base+".ous."+id+".parent", "the OU is its own ancestor")
		}
	}
	for _, id := range slices.Sorted(maps.Keys(o.Accounts)) {
		if !accountRe.MatchString(id) {
			b.fail(base+".accounts."+id, "an account id is 12 digits")
		}
		if !b.orgParent(o.Accounts[id]) {
			b.fail(base+".accounts."+id, "%q is neither the root (%s) nor an OU", o.Accounts[id], o.RootID)
		}
	}
	for i, id := range o.DelegatedAdmins {
		if _, member := o.Accounts[id]; !member {
			b.fail(fmt.Sprintf("%s.delegated_admins[%d]", base, i), "%s is not a member account (list it under organization.accounts)", id)
		}
	}
	o.policyByID = map[string]*OrgPolicy{}
	for _, name := range slices.Sorted(maps.Keys(o.Policies)) {
		b.orgPolicy(o, name)
	}
	for _, p := range []*OrgPolicy{
		{Name: fullAWSAccessName, Type: PolicyTypeSCP, Description: "Allows access to every operation", Document: PolicyDoc{Text: []byte(fullAWSAccessText)}},
		{Name: rcpFullAWSAccessName, Type: PolicyTypeRCP, Description: "Allows access to every operation", Document: PolicyDoc{Text: []byte(rcpFullAWSAccessText)}},
	} {
		p.AWSManaged, p.ID = true, "p-"+p.Name
		p.ARN = "arn:aws:organizations::aws:policy/" + strings.ToLower(p.Type) + "/" + p.ID
		b.parse(base+".policies."+p.Name, &p.Document, 0)
		o.policyByID[p.ID] = p
	}
	for _, target := range slices.Sorted(maps.Keys(o.Attachments)) {
		path := base + ".attachments." + target
		if !o.isTarget(target) {
			b.fail(path, "%q is not the root, an OU or a member account", target)
		}
		for i, name := range o.Attachments[target] {
			if o.Policies[name] == nil {
				b.fail(fmt.Sprintf("%s[%d]", path, i), "no policy %s under organization.policies (FullAWSAccess and RCPFullAWSAccess are attached by Organizations)", name)
			}
		}
	}
	o.detached = map[string]bool{}
	for i, target := range o.FullAccessDetached {
		if !o.isTarget(target) {
			b.fail(fmt.Sprintf("%s.full_access_detached[%d]", base, i), "%q is not the root, an OU or a member account", target)
		}
		o.detached[target] = true
	}
}

func (b *builder) orgParent(id string) bool {
	o := b.s.Org
	return id == o.RootID || o.OUs[id] != nil
}

func (b *builder) orgPolicy(o *Org, name string) {
	path := "organization.policies." + name
	p := o.Policies[name]
	if p == nil {
		b.fail(path, "want an object, got null")
		return
	}
	if name == fullAWSAccessName || name == rcpFullAWSAccessName {
		b.fail(path, "%s is AWS managed and attached by Organizations; name your policy otherwise", name)
	}
	if p.Type != PolicyTypeSCP && p.Type != PolicyTypeRCP {
		b.fail(path+".type", "%q is not %s or %s", p.Type, PolicyTypeSCP, PolicyTypeRCP)
	}
	p.Name = name
	p.ID = orgPolicyID(o.ID, name)
	p.ARN = "arn:aws:organizations::" + o.ManagementAccount + ":policy/" + o.ID + "/" + strings.ToLower(p.Type) + "/" + p.ID
	// SCPs and RCPs are at most 5,120 characters (AWS Organizations User Guide: "Quotas").
	b.parse(path+".document", &p.Document, 5120)
	o.policyByID[p.ID] = p
}

// orgPolicyID derives a policy id: p- and eight lower-case letters and digits, as Organizations
// issues them (Organizations API reference: PolicySummary, Id).
func orgPolicyID(orgID, name string) string {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(digest("org-policy", orgID, name))
	return "p-" + strings.ToLower(enc[:8])
}

// isTarget reports whether id is the root, an OU or a member account.
func (o *Org) isTarget(id string) bool {
	if id == o.RootID || o.OUs[id] != nil {
		return true
	}
	_, member := o.Accounts[id]
	return member
}

// Member reports whether account belongs to the organization.
func (o *Org) Member(account string) bool {
	if o == nil {
		return false
	}
	_, ok := o.Accounts[account]
	return ok
}

// parent returns the parent of a member account or an OU ("" for the root or an outsider).
func (o *Org) parent(id string) string {
	if ou := o.OUs[id]; ou != nil {
		return ou.Parent
	}
	return o.Accounts[id]
}

// path returns the targets from the root down to id (the root, each OU, id itself), nil when id is
// not in the organization or its OUs loop.
func (o *Org) path(id string) []string {
	out := []string{id}
	for cur := id; cur != o.RootID; {
		cur = o.parent(cur)
		if cur == "" || len(out) > len(o.OUs)+2 {
			return nil
		}
		out = append(out, cur)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Attached returns the policies of type attached to target, in the order Organizations lists
// them: FullAWSAccess or RCPFullAWSAccess first where attached, then the scenario's in name order.
func (o *Org) Attached(target, typ string) []*OrgPolicy {
	var out []*OrgPolicy
	switch {
	case typ == PolicyTypeSCP && !o.detached[target]:
		out = append(out, o.policyByID["p-"+fullAWSAccessName])
	case typ == PolicyTypeRCP:
		out = append(out, o.policyByID["p-"+rcpFullAWSAccessName])
	}
	names := append([]string(nil), o.Attachments[target]...)
	slices.Sort(names)
	for _, name := range names {
		if p := o.Policies[name]; p != nil && p.Type == typ {
			out = append(out, p)
		}
	}
	return out
}

// Hierarchy is the policy engine's view of the SCPs or RCPs from the root to a member account:
// nil for an account outside the organization, which has no levels in it. RCPFullAWSAccess is
// left out (the engine implies it at every level); FullAWSAccess is a policy like any other, there
// only where attached.
func (o *Org) Hierarchy(account, typ string) *policy.Hierarchy {
	if o == nil || !o.Member(account) {
		return nil
	}
	h := &policy.Hierarchy{Management: account == o.ManagementAccount}
	for _, target := range o.path(account) {
		lv := policy.Level{Target: target}
		for _, p := range o.Attached(target, typ) {
			if p.Name == rcpFullAWSAccessName {
				continue
			}
			lv.Policies = append(lv.Policies, p.Document.Named(p.Name))
		}
		h.Levels = append(h.Levels, lv)
	}
	return h
}

// OrgPaths is aws:PrincipalOrgPaths / aws:ResourceOrgPaths for a member account: the org id, the
// root and each OU down to the account's parent, each followed by "/" (IAM User Guide: "AWS
// global condition context keys", aws:PrincipalOrgPaths).
func (o *Org) OrgPaths(account string) string {
	if o == nil || !o.Member(account) {
		return ""
	}
	p := o.path(account)
	return o.ID + "/" + strings.Join(p[:len(p)-1], "/") + "/"
}

// PolicyByID finds an SCP or RCP, the AWS managed ones included.
func (o *Org) PolicyByID(id string) *OrgPolicy { return o.policyByID[id] }

// CanReadPolicies reports whether principals of account may call the Organizations read APIs
// that show the hierarchy and its policies: the management account and delegated administrators
// only (AWS Organizations User Guide: "Delegated administrator for AWS Organizations").
func (o *Org) CanReadPolicies(account string) bool {
	if account == o.ManagementAccount {
		return true
	}
	for _, a := range o.DelegatedAdmins {
		if a == account {
			return true
		}
	}
	return false
}
