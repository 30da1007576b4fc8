package awsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/xsdoctor/xsdoctor/arn"
	"github.com/xsdoctor/xsdoctor/policy"
)

// builder applies SPEC §6's defaults to a decoded scenario, derives ids and ARNs, indexes every
// resource by ARN, creates the AWS managed key where a secret needs it, and validates, collecting
// every problem by JSON path.
type builder struct {
	s          *Scenario
	errs       []string
	management map[string]string // org id → management account, to refuse a second one
	opts       LoadOptions
}

var (
	accountRe   = regexp.MustCompile(`^[0-9]{12}$`)
	orgIDRe     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	regionRe    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	roleNameRe  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	iamPathRe   = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
	roleIDRe    = regexp.MustCompile(`^AROA[A-Z0-9]{12,124}$`)
	keyIDRe     = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	aliasRe     = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]{1,250}$`)
	secretRe    = regexp.MustCompile(`^[a-zA-Z0-9/_+=.@-]{1,512}$`)
	suffixRe    = regexp.MustCompile(`^[A-Za-z0-9]{6}$`)
	callRe      = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9]+$`)
	principalRe = regexp.MustCompile(`^arn:aws:(iam|sts)::[0-9]{12}:`)
)

var simulationDecisions = map[string]bool{"allowed": true, "implicitDeny": true, "explicitDeny": true}

func (b *builder) fail(path, format string, args ...any) {
	b.errs = append(b.errs, pathPrefix(path)+fmt.Sprintf(format, args...))
}

func (b *builder) build() {
	s := b.s
	s.policies = map[string]*ManagedPolicy{}
	s.roles = map[string]*Role{}
	s.keys = map[string]*Key{}
	s.aliases = map[string]*Alias{}
	s.secrets = map[string]*Secret{}
	s.byName = map[string]*Secret{}
	b.management = map[string]string{}

	if s.Name == "" {
		b.fail("name", "required")
	}
	if s.Region == "" {
		s.Region = DefaultRegion
	} else if !regionRe.MatchString(s.Region) {
		b.fail("region", "%q is not a region name such as us-east-1", s.Region)
	}
	if s.Operator == "" {
		s.Operator = DefaultOperator
	} else if !principalRe.MatchString(s.Operator) {
		b.fail("operator", "%q is not an IAM principal ARN such as %s", s.Operator, DefaultOperator)
	}
	if len(s.Accounts) == 0 {
		b.fail("accounts", "required: at least one account")
	}

	for _, name := range slices.Sorted(maps.Keys(s.AWSManagedPolicies)) {
		doc := s.AWSManagedPolicies[name]
		path := "aws_managed_policies." + name
		if !roleNameRe.MatchString(name) {
			b.fail(path, "%q is not a valid policy name", name)
		}
		mp := &ManagedPolicy{Path: "/", Document: doc, Name: name, Account: "aws", AWSManaged: true,
			ARN: "arn:aws:iam::aws:policy/" + name, DefaultVersion: "v1"}
		mp.ID = PolicyID(mp.ARN)
		b.parse(path, &mp.Document, 0)
		s.policies[mp.ARN] = mp
	}

	s.AccountIDs = slices.Sorted(maps.Keys(s.Accounts))
	for _, id := range s.AccountIDs {
		b.account(id)
	}
	b.organization()
	// References are resolved once every account is indexed: a role may use another account's
	// policy ARN only if it exists, and a secret may name a key in a third account.
	for _, id := range s.AccountIDs {
		b.references(id)
	}
	b.faults()
	b.check()
	b.expect()
}

// parse parses a policy document with the size limit AWS enforces (0: none checked). The size is
// measured as AWS measures it, without insignificant whitespace ("IAM doesn't count white space
// when calculating the size of a policy": IAM User Guide, "IAM and AWS STS quotas"), so a legal
// compact document is never refused for the indentation the loader adds. A document whose
// indented form would pass the limit is served compact instead, as it would have been written.
func (b *builder) parse(path string, doc *PolicyDoc, limit int) {
	if len(doc.Text) == 0 {
		b.fail(path, "required: a policy document")
		return
	}
	if doc.compact == nil {
		var buf bytes.Buffer
		if err := json.Compact(&buf, doc.Text); err != nil {
			b.fail(path, "policy document: %v", err)
			return
		}
		doc.compact = buf.Bytes()
	}
	if limit > 0 {
		if n := len(doc.compact); n > limit {
			b.fail(path, "%v: %d bytes without whitespace, limit %d (KMS key policies: 32 KB; Secrets Manager resource policies: 20 KB)", policy.ErrTooLarge, n, limit)
			return
		}
		if len(doc.Text) > limit {
			doc.Text = doc.compact
		}
	}
	parsed, err := policy.Parse(string(doc.Text))
	if err != nil {
		b.fail(path, "%v", err)
		return
	}
	doc.Parsed = parsed
}

func (b *builder) account(id string) {
	s := b.s
	a := s.Accounts[id]
	base := "accounts." + id
	if a == nil {
		b.fail(base, "want an object, got null")
		a = &Account{}
		s.Accounts[id] = a
	}
	a.ID = id
	if !accountRe.MatchString(id) {
		b.fail(base, "an account id is 12 digits")
	}
	if a.OrgID != "" && !orgIDRe.MatchString(a.OrgID) {
		b.fail(base+".org_id", "%q is not an organization id such as o-aaaa1111bb", a.OrgID)
	}
	if a.OrgManagement && a.OrgID == "" {
		b.fail(base+".org_management", "an organization's management account needs an org_id")
	}
	if a.OrgManagement && a.OrgID != "" {
		// An organization has exactly one management account (AWS Organizations User Guide:
		// "Terminology and concepts").
		if prev, dup := b.management[a.OrgID]; dup {
			b.fail(base+".org_management", "%s already has its management account %s", a.OrgID, prev)
		} else {
			b.management[a.OrgID] = id
		}
	}
	for i := range a.SCPs {
		b.parse(fmt.Sprintf("%s.scps[%d]", base, i), &a.SCPs[i], 0)
	}
	if len(a.SCPs) > 0 && a.OrgID == "" {
		b.fail(base+".scps", "SCPs apply only to an account in an organization; set org_id")
	}

	for _, name := range slices.Sorted(maps.Keys(a.Policies)) {
		b.managedPolicy(a, name)
	}
	for _, name := range slices.Sorted(maps.Keys(a.Roles)) {
		b.role(a, name)
	}
	for _, name := range slices.Sorted(maps.Keys(a.Keys)) {
		b.key(a, name)
	}
	if a.Keys == nil {
		a.Keys = map[string]*Key{}
	}
	for _, name := range slices.Sorted(maps.Keys(a.Secrets)) {
		b.secret(a, name)
	}
	b.vpcEndpoints(a)
}

func (b *builder) managedPolicy(a *Account, name string) {
	path := "accounts." + a.ID + ".policies." + name
	mp := a.Policies[name]
	if mp == nil {
		b.fail(path, "want an object, got null")
		return
	}
	if !roleNameRe.MatchString(name) {
		b.fail(path, "%q is not a valid policy name", name)
	}
	if mp.Path == "" {
		mp.Path = "/"
	} else if !iamPathRe.MatchString(mp.Path) {
		b.fail(path+".path", "%q is not an IAM path: it must begin and end with /", mp.Path)
	}
	mp.Name, mp.Account, mp.DefaultVersion = name, a.ID, "v1"
	mp.ARN = "arn:aws:iam::" + a.ID + ":policy" + mp.Path + name
	mp.ID = PolicyID(mp.ARN)
	b.parse(path+".document", &mp.Document, 0)
	b.s.policies[mp.ARN] = mp
}

func (b *builder) role(a *Account, name string) {
	path := "accounts." + a.ID + ".roles." + name
	r := a.Roles[name]
	if r == nil {
		b.fail(path, "want an object, got null")
		return
	}
	if !roleNameRe.MatchString(name) {
		b.fail(path, "%q is not a valid role name (1-64 of letters, digits and +=,.@_-)", name)
	}
	if r.Path == "" {
		r.Path = "/"
	} else if !iamPathRe.MatchString(r.Path) {
		b.fail(path+".path", "%q is not an IAM path: it must begin and end with /", r.Path)
	}
	if r.ID == "" {
		r.ID = RoleID(a.ID, name)
	} else if !roleIDRe.MatchString(r.ID) {
		b.fail(path+".id", "%q is not a role id: AROA followed by upper-case letters and digits", r.ID)
	}
	if r.Assumable == nil {
		yes := true
		r.Assumable = &yes
	}
	r.Name, r.Account = name, a.ID
	r.ARN = arn.Role("aws", a.ID, r.Path, name).String()
	for _, pn := range slices.Sorted(maps.Keys(r.InlinePolicies)) {
		doc := r.InlinePolicies[pn]
		b.parse(path+".inline_policies."+pn, &doc, 0)
		r.InlinePolicies[pn] = doc
	}
	b.tags(path+".tags", r.Tags)
	for i, c := range r.DeniedCalls {
		if !callRe.MatchString(c) {
			b.fail(fmt.Sprintf("%s.denied_calls[%d]", path, i), "%q is not service:Operation (e.g. kms:GetKeyPolicy)", c)
		}
	}
	for _, action := range slices.Sorted(maps.Keys(r.Simulation)) {
		if !simulationDecisions[r.Simulation[action]] {
			b.fail(path+".simulation."+action, "%q is not allowed, implicitDeny or explicitDeny", r.Simulation[action])
		}
	}
	b.s.roles[r.ARN] = r
	b.s.roles[a.ID+"/"+name] = r
}

// references resolves what an account's roles and secrets point at; a reference to something no
// account defines is an error (SPEC §6: "dangling reference").
func (b *builder) references(id string) {
	a := b.s.Accounts[id]
	for _, name := range slices.Sorted(maps.Keys(a.Roles)) {
		r := a.Roles[name]
		if r == nil {
			continue
		}
		path := "accounts." + id + ".roles." + name
		for i, arn := range r.ManagedPolicies {
			if b.s.policies[arn] == nil {
				b.fail(fmt.Sprintf("%s.managed_policies[%d]", path, i), "no policy %s is defined (add it under accounts.<id>.policies or aws_managed_policies)", arn)
			}
		}
		if r.PermissionsBoundary != "" && b.s.policies[r.PermissionsBoundary] == nil {
			b.fail(path+".permissions_boundary", "no policy %s is defined (add it under accounts.<id>.policies or aws_managed_policies)", r.PermissionsBoundary)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.Secrets)) {
		if sec := a.Secrets[name]; sec != nil {
			b.secretKeys("accounts."+id+".secrets."+name, sec)
		}
	}
}

func (b *builder) faults() {
	for i, f := range b.s.Faults {
		path := fmt.Sprintf("faults[%d]", i)
		if f.Call != "*" && !callRe.MatchString(f.Call) {
			b.fail(path+".call", "%q is not service:Operation or *", f.Call)
		}
		if f.Error == "" && f.LatencyMS == 0 {
			b.fail(path, "a fault needs error or latency_ms")
		}
		if f.Times < 0 {
			b.fail(path+".times", "must not be negative")
		}
		if f.LatencyMS < 0 {
			b.fail(path+".latency_ms", "must not be negative")
		}
	}
}

func (b *builder) check() {
	c := b.s.Check
	if c.Secret == "" && !b.opts.CheckFromElsewhere {
		b.fail("check.secret", "required: the secret to check (ARN or name)")
	}
	switch {
	case c.Consumer == "" && b.opts.CheckFromElsewhere:
	case c.Consumer == "":
		b.fail("check.consumer", "required: the consumer principal ARN")
	case !principalRe.MatchString(c.Consumer):
		b.fail("check.consumer", "%q is not an IAM role or assumed-role ARN", c.Consumer)
	}
	for _, f := range []struct{ field, arn string }{{"owner_role", c.OwnerRole}, {"consumer_role", c.ConsumerRole}, {"key_role", c.KeyRole}} {
		if f.arn != "" && !principalRe.MatchString(f.arn) {
			b.fail("check."+f.field, "%q is not an IAM role ARN", f.arn)
		}
	}
}

func (b *builder) expect() {
	e := b.s.Expect
	if e == nil {
		return
	}
	for _, door := range slices.Sorted(maps.Keys(e.Doors)) {
		switch door {
		case "key-policy", "secret-policy", "consumer-iam":
		default:
			b.fail("expect.doors."+door, "not a door (key-policy, secret-policy, consumer-iam)")
		}
		switch e.Doors[door] {
		case "open", "closed", "unknown", "conditional":
		default:
			b.fail("expect.doors."+door, "%q is not open, closed, unknown or conditional", e.Doors[door])
		}
	}
	switch e.Live {
	case "", "allowed", "denied", "error", "skipped":
	default:
		b.fail("expect.live", "%q is not allowed, denied, error or skipped", e.Live)
	}
}
