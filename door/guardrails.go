package door

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
)

// Organization guardrails and VPC endpoint policies (SPEC §3, "Organization guardrails"):
//   - the SCPs on every level from the root to the consumer's account cap consumer-iam, for the
//     consumer's GetSecretValue and for the kms:Decrypt Secrets Manager makes for it;
//   - the RCPs on every level from the root to the owner's account cap secret-policy, those to
//     the key's account cap a customer managed key's key-policy;
//   - a VPC endpoint policy of the consumer account that denies the read makes consumer-iam
//     conditional: closed for calls through that endpoint.
//
// The engine applies AWS's exemptions (policy.Hierarchy); door states the facts it read. A
// policy that was not read never closes a door: at an SCP level whose policies were not all
// read, a stand-in allows, so only a Deny that was read can deny there.

// unreadPrefix names the stand-in for an SCP that was not read.
const unreadPrefix = "(unread) "

// orgPolicyKind is how evidence names an Organizations policy type.
func orgPolicyKind(t string) string {
	if t == xsdoctor.PolicyTypeRCP {
		return "resource control policy"
	}
	return "service control policy"
}

// orgPolicyKinds is the plural.
func orgPolicyKinds(t string) string {
	if t == xsdoctor.PolicyTypeRCP {
		return "resource control policies"
	}
	return "service control policies"
}

// guardrails is what the org facts say for one account and one policy type.
type guardrails struct {
	h      *policy.Hierarchy // nil: no levels apply (outside the organization) or nothing was read
	read   bool              // the path and every policy on it were read
	unread []string          // what was not read, for RESIDUAL_GUARDRAILS
}

// hierarchy builds the SCP or RCP hierarchy of account from the org facts.
func (c *check) hierarchy(account, ptype string) guardrails {
	org := c.f.Org
	kind := orgPolicyKinds(ptype)
	switch {
	case org == nil:
		return guardrails{unread: []string{fmt.Sprintf("the %s above account %s (no organization access)", kind, account)}}
	case org.Err != nil:
		return guardrails{unread: []string{fmt.Sprintf("the %s above account %s: %s", kind, account, readErrText(org.Err))}}
	case account == "":
		return guardrails{unread: []string{"the " + kind + " of an account that could not be identified"}}
	}
	var acct *xsdoctor.OrgAccount
	for i := range org.Accounts {
		if org.Accounts[i].ID == account {
			acct = &org.Accounts[i]
		}
	}
	switch {
	case acct == nil:
		return guardrails{unread: []string{fmt.Sprintf("the path of account %s in organization %s (not read)", account, org.ID)}}
	case acct.Err != nil:
		return guardrails{unread: []string{fmt.Sprintf("the path of account %s in organization %s: %s", account, org.ID, readErrText(acct.Err))}}
	case !acct.Member:
		// An account outside the organization has no levels in it: none of its SCPs or RCPs
		// apply there. But it may belong to another organization, whose policies the reader
		// cannot see.
		if m, ok := c.memberFacts(account); ok && (m.OrgErr != nil || m.OrgID != "" && m.OrgID != org.ID) {
			other := m.OrgID
			if m.OrgErr != nil {
				other = "unknown: " + readErrText(m.OrgErr)
			}
			return guardrails{unread: []string{fmt.Sprintf("the %s of the organization account %s belongs to (%s), which the org reader %s does not read",
				kind, account, other, org.Reader)}}
		}
		return guardrails{read: true}
	}
	mgmt, known := c.isManagement(account)
	if !known {
		return guardrails{unread: []string{fmt.Sprintf("whether account %s is the management account of %s (its %s do not apply if it is): organizations:DescribeOrganization was not read", account, org.ID, kind)}}
	}
	g := guardrails{read: true, h: &policy.Hierarchy{Management: mgmt}}
	for _, lv := range acct.Levels {
		level := policy.Level{Target: lv.Target}
		ids, lerr := lv.SCPs, lv.SCPErr
		if ptype == xsdoctor.PolicyTypeRCP {
			ids, lerr = lv.RCPs, lv.RCPErr
		}
		complete := lerr == nil
		if lerr != nil {
			g.unread = append(g.unread, fmt.Sprintf("the %s attached to %s: %s", kind, lv.Target, readErrText(lerr)))
		}
		for _, id := range ids {
			p := c.orgPolicy(id)
			switch {
			case p == nil:
				complete = false
				g.unread = append(g.unread, fmt.Sprintf("%s %s attached to %s (not read)", orgPolicyKind(ptype), id, lv.Target))
			case p.Err != nil:
				complete = false
				g.unread = append(g.unread, fmt.Sprintf("%s %s (%s) attached to %s: %s", orgPolicyKind(ptype), p.Name, id, lv.Target, readErrText(p.Err)))
			default:
				doc, err := c.parse(id, p.Document, 0)
				if err != nil {
					complete = false
					g.unread = append(g.unread, fmt.Sprintf("%s %s (%s) does not parse: %v", orgPolicyKind(ptype), p.Name, id, err))
					continue
				}
				level.Policies = append(level.Policies, policy.Named{Name: id, Doc: doc})
			}
		}
		if !complete && ptype == xsdoctor.PolicyTypeSCP {
			// What was not read may allow: only a Deny that was read can deny at this level.
			level.Policies = append(level.Policies, policy.Named{Name: unreadPrefix + lv.Target, Doc: allowAllIdentity})
		}
		g.read = g.read && complete
		g.h.Levels = append(g.h.Levels, level)
	}
	return g
}

// memberFacts is what the account's own DescribeOrganization said, for the consumer, owner and
// key accounts.
func (c *check) memberFacts(account string) (xsdoctor.Account, bool) {
	for _, a := range []*xsdoctor.Account{&c.f.Consumer, &c.f.Owner, c.f.KeyOwner} {
		if a != nil && a.ID == account {
			return *a, true
		}
	}
	return xsdoctor.Account{}, false
}

// isManagement says whether account is the organization's management account, from the org
// reader's DescribeOrganization or else from the account's own; known is false when neither
// was read.
func (c *check) isManagement(account string) (mgmt, known bool) {
	if org := c.f.Org; org != nil && org.ManagementAccount != "" {
		return account == org.ManagementAccount, true
	}
	if m, ok := c.memberFacts(account); ok && m.OrgID != "" {
		return m.Management, true
	}
	return false, false
}

func (c *check) orgPolicy(id string) *xsdoctor.OrgPolicy {
	if c.f.Org == nil {
		return nil
	}
	for i := range c.f.Org.Policies {
		if c.f.Org.Policies[i].ID == id {
			return &c.f.Org.Policies[i]
		}
	}
	return nil
}

// scpText is the consumer's SCP hierarchy when the org reader read all of it: the SCP text then
// decides, not the simulator (SPEC §3).
func (c *check) scpText() *policy.Hierarchy {
	g := c.hierarchy(c.consumer, xsdoctor.PolicyTypeSCP)
	if !g.read {
		return nil
	}
	if g.h == nil {
		return &policy.Hierarchy{} // outside the organization: nothing caps the consumer
	}
	return g.h
}

// scpFromSimulator says whether the simulator's OrganizationsDecisionDetail closes the door:
// only when the SCP text was not read.
func (c *check) scpFromSimulator(sim *xsdoctor.Simulation) bool {
	return sim != nil && sim.AllowedByOrganizations != nil && !*sim.AllowedByOrganizations && c.scpText() == nil
}

// guardrailFindings adds to each door what the org guardrails and VPC endpoint policies say.
// doors are in the order key-policy, secret-policy, consumer-iam.
func (c *check) guardrailFindings(doors []xsdoctor.Door) {
	for i := range doors {
		switch doors[i].Door {
		case xsdoctor.DoorKeyPolicy:
			if c.keyARN != "" && !c.awsManaged() {
				doors[i].Findings = append(doors[i].Findings, c.rcpFindings(c.decrypt, c.keyAcct, xsdoctor.KeyRCPDeny)...)
			}
		case xsdoctor.DoorSecretPolicy:
			doors[i].Findings = append(doors[i].Findings, c.rcpFindings(c.getSecret, c.owner, xsdoctor.SecretRCPDeny)...)
		case xsdoctor.DoorConsumerIAM:
			doors[i].Findings = append(doors[i].Findings, c.scpFindings()...)
			doors[i].Findings = append(doors[i].Findings, c.endpointFindings()...)
		}
	}
}

// stand-alone evaluates one guardrail with both sides assumed to allow, so that its own
// decision shows.
func standAlone(req policy.Request, set policy.Set) policy.Result {
	set.Identity = []policy.Named{{Name: assumedIdentity, Doc: allowAllIdentity}}
	set.Resource = &policy.Named{Name: assumedResource, Doc: allowAllResource}
	return policy.Evaluate(req, set)
}

// rcpFindings judges the RCPs of the resource's account for req.
func (c *check) rcpFindings(req policy.Request, account string, code xsdoctor.Code) []xsdoctor.Finding {
	g := c.hierarchy(account, xsdoctor.PolicyTypeRCP)
	if g.h == nil {
		return nil
	}
	res := standAlone(req, policy.Set{RCPLevels: g.h, AWSManagedKey: c.awsManaged() && req.Action == "kms:Decrypt"})
	if res.Decision == policy.Allow {
		return nil
	}
	what := "the secret"
	if code == xsdoctor.KeyRCPDeny {
		what = "the key " + c.keyARN
	}
	return []xsdoctor.Finding{c.orgDenyFinding(code, req, res, xsdoctor.PolicyTypeRCP,
		fmt.Sprintf("A resource control policy above account %s denies %s %s on %s", account, c.principal(), req.Action, what),
		fixCondition{Op: "StringNotEqualsIfExists", Key: "aws:PrincipalAccount", Values: []string{c.consumer}},
		"RCPs cap every principal's access to the resources of the accounts below them: this one denies the consumer whatever the resource's own policy allows.")}
}

// scpFindings judges the consumer's SCPs for both requests, and compares the text with the
// simulator.
func (c *check) scpFindings() []xsdoctor.Finding {
	h := c.hierarchy(c.consumer, xsdoctor.PolicyTypeSCP).h
	if h == nil {
		return nil
	}
	var out []xsdoctor.Finding
	reqs := []policy.Request{c.getSecret}
	if c.keyARN != "" && !c.awsManaged() {
		reqs = append(reqs, c.decrypt)
	}
	text := c.scpText()
	for _, req := range reqs {
		res := standAlone(req, policy.Set{SCPLevels: h})
		if res.Decision != policy.Allow {
			out = append(out, c.orgDenyFinding(xsdoctor.IAMSCPDeny, req, res, xsdoctor.PolicyTypeSCP,
				fmt.Sprintf("A service control policy above account %s denies %s %s on %s", c.consumer, c.principal(), req.Action, req.Resource),
				fixCondition{Op: "ArnNotLike", Key: "aws:PrincipalArn", Values: []string{c.roleARN}},
				"SCPs cap every principal of the accounts below them, whatever their identity policies allow; every level from the root to the account must allow, and a deny at any level denies."))
		}
		if text == nil {
			continue
		}
		sim := c.simulation(req)
		if sim == nil || sim.AllowedByOrganizations == nil || *sim.AllowedByOrganizations == (res.Decision == policy.Allow) {
			continue
		}
		out = append(out, xsdoctor.Finding{
			Code:   xsdoctor.SimulationDisagrees,
			Effect: xsdoctor.EffectInfo,
			Summary: fmt.Sprintf("iam:SimulatePrincipalPolicy says AllowedByOrganizations %t for %s on %s, the SCP text says %s; the text decides",
				*sim.AllowedByOrganizations, req.Action, req.Resource, res.Decision),
			Detail:   "The SCPs were read through the organization reader and evaluated on every level from the root to the account; the simulator sees the same policies but only the context keys it was given.",
			Evidence: []xsdoctor.Evidence{simEvidence(sim), {Source: "service control policies above account " + c.consumer, Note: fmt.Sprintf("%s on %s: %s", req.Action, req.Resource, res.Decision)}},
		})
	}
	return out
}

// orgDenyFinding is the finding for an SCP or RCP hierarchy that does not allow req: evidence
// names the policy, the target it is attached to and the statement; the fix names the
// management account and shows the exemption to add.
func (c *check) orgDenyFinding(code xsdoctor.Code, req policy.Request, res policy.Result, ptype string, summary string, cond fixCondition, detail string) xsdoctor.Finding {
	pt := policy.TypeSCP
	if ptype == xsdoctor.PolicyTypeRCP {
		pt = policy.TypeRCP
	}
	f := xsdoctor.Finding{Code: code, Effect: xsdoctor.EffectCloses, Summary: summary, Detail: detail}
	mgmt := c.managementAccount()
	for _, m := range res.Matched {
		if m.Type != pt || m.Effect != "Deny" || strings.HasPrefix(m.Policy, unreadPrefix) {
			continue
		}
		p := c.orgPolicy(m.Policy)
		name := m.Policy
		if p != nil {
			name = p.Name
		}
		source := fmt.Sprintf("%s %s (%s) attached to %s", orgPolicyKind(ptype), name, m.Policy, m.Target)
		f.Evidence = append(f.Evidence, xsdoctor.Evidence{Source: source, Policy: name, Sid: m.Sid, Index: m.Index, Effect: "Deny", Target: m.Target,
			Note: fmt.Sprintf("denies %s on %s", req.Action, req.Resource)})
		if f.Fix == nil {
			for _, s := range c.statements(m.Policy) {
				if s.Index == m.Index {
					f.Fix = c.denyExemptionFix(mgmt, source, name, s, cond,
						fmt.Sprintf("In the organization's management account %s (or a delegated administrator for %s), edit %s %s (%s).", mgmt, orgPolicyKinds(ptype), orgPolicyKind(ptype), name, m.Policy))
				}
			}
		}
	}
	for _, l := range res.Levels {
		if l.Type != pt || l.Outcome != policy.OutcomeNoMatch {
			continue
		}
		attached := c.attachedNames(l.Target, ptype)
		f.Evidence = append(f.Evidence, xsdoctor.Evidence{Source: orgPolicyKinds(ptype) + " attached to " + l.Target, Target: l.Target,
			Note: fmt.Sprintf("no policy attached to %s allows %s (attached: %s); FullAWSAccess is not attached there", l.Target, req.Action, first(strings.Join(attached, ", "), "none"))})
		if f.Fix == nil {
			st := fixStatement{Sid: "Allow" + serviceWord(req.Action), Effect: "Allow", Actions: []string{req.Action}, Resources: []string{"*"}}
			f.Fix = &xsdoctor.Fix{
				Account:   mgmt,
				Where:     orgPolicyKinds(ptype) + " attached to " + l.Target,
				Statement: st.JSON(),
				Steps: []string{
					fmt.Sprintf("In the organization's management account %s, add this statement to an SCP attached to %s (the allow list there lacks %s), or attach FullAWSAccess to %s.", mgmt, l.Target, req.Action, l.Target),
					fmt.Sprintf("aws organizations list-policies-for-target --target-id %s --filter SERVICE_CONTROL_POLICY shows what is attached.", l.Target),
				},
			}
		}
	}
	f.Evidence = sortEvidence(f.Evidence)
	return f
}

func (c *check) managementAccount() string {
	if c.f.Org != nil && c.f.Org.ManagementAccount != "" {
		return c.f.Org.ManagementAccount
	}
	return "management account of " + first(c.orgID(), "the organization")
}

func (c *check) orgID() string {
	if c.f.Org != nil {
		return c.f.Org.ID
	}
	return ""
}

// attachedNames lists the names of the policies of a type attached to target.
func (c *check) attachedNames(target, ptype string) []string {
	var out []string
	if c.f.Org == nil {
		return nil
	}
	for _, a := range c.f.Org.Accounts {
		for _, lv := range a.Levels {
			if lv.Target != target {
				continue
			}
			ids := lv.SCPs
			if ptype == xsdoctor.PolicyTypeRCP {
				ids = lv.RCPs
			}
			for _, id := range ids {
				name := id
				if p := c.orgPolicy(id); p != nil && p.Name != "" {
					name = p.Name
				}
				out = append(out, name)
			}
			return out
		}
	}
	return out
}

// endpointFindings evaluates each Secrets Manager VPC endpoint policy of the consumer account
// for the consumer's GetSecretValue made through that endpoint.
func (c *check) endpointFindings() []xsdoctor.Finding {
	v := c.f.VPCEndpoints
	if v == nil {
		return nil
	}
	var out []xsdoctor.Finding
	for _, ep := range v.Endpoints {
		if strings.TrimSpace(ep.Policy) == "" {
			continue // the default policy allows full access
		}
		name := "vpc endpoint policy of " + ep.ID
		doc, err := c.parse(name, ep.Policy, 0)
		if err != nil {
			continue
		}
		c.sources[name] = "VPC endpoint policy of " + ep.ID
		req := throughEndpoint(c.getSecret, ep)
		res := standAlone(req, policy.Set{Endpoint: &policy.Named{Name: name, Doc: doc}})
		if res.Decision == policy.Allow {
			continue
		}
		f := xsdoctor.Finding{
			Code:   xsdoctor.IAMVPCEPolicyDeny,
			Effect: xsdoctor.EffectConditional,
			Summary: fmt.Sprintf("The VPC endpoint policy of %s (%s) denies %s secretsmanager:GetSecretValue on %s: closed for calls through %s",
				ep.ID, first(ep.VPC, "its VPC"), c.principal(), c.secretARN, ep.ID),
			Detail: "A workload in that VPC calls Secrets Manager through the endpoint (private DNS), and the endpoint policy filters every request through it; calls that do not go through it are not affected.",
		}
		if res.Decision == policy.ExplicitDeny {
			f.Evidence = c.matched(res, "Deny", policy.TypeEndpoint)
		} else {
			f.Evidence = []xsdoctor.Evidence{{Source: c.sources[name], Policy: name, Note: "no statement allows secretsmanager:GetSecretValue for " + c.principal()}}
			f.Evidence = append(f.Evidence, c.misses(res, append(append([]string{}, conditionMiss...), otherMiss...), policy.TypeEndpoint)...)
		}
		st := fixStatement{Sid: "AllowSecretRead", Effect: "Allow", Principals: []string{c.roleARN}, Actions: []string{"secretsmanager:GetSecretValue"}, Resources: []string{c.secretARN}}
		f.Fix = &xsdoctor.Fix{
			Account:   c.consumer,
			Where:     "policy of VPC endpoint " + ep.ID,
			Statement: st.JSON(),
			Steps: []string{
				"In account " + c.consumer + ", add this statement to the endpoint policy of " + ep.ID + " (aws ec2 modify-vpc-endpoint --vpc-endpoint-id " + ep.ID + " --policy-document file://policy.json, with the whole policy).",
			},
		}
		out = append(out, f)
	}
	return out
}

// throughEndpoint is the consumer's request as it arrives through a VPC endpoint: aws:SourceVpce
// and aws:SourceVpc are then known (IAM User Guide, "AWS global condition context keys").
func throughEndpoint(req policy.Request, ep xsdoctor.VPCEndpoint) policy.Request {
	ctx := make(map[string][]string, len(req.Context)+2)
	for k, v := range req.Context {
		ctx[k] = v
	}
	ctx["aws:SourceVpce"] = []string{ep.ID}
	if ep.VPC != "" {
		ctx["aws:SourceVpc"] = []string{ep.VPC}
	}
	req.Context = ctx
	return req
}

// guardrailList is the report's guardrails: every SCP above the consumer's account, every RCP
// above the owner's and the key's, and the consumer's Secrets Manager VPC endpoints, with
// whether each was read.
func (c *check) guardrailList() []xsdoctor.Guardrail {
	var out []xsdoctor.Guardrail
	seen := map[string]bool{}
	add := func(account, ptype string) {
		if c.f.Org == nil || account == "" {
			return
		}
		for _, a := range c.f.Org.Accounts {
			if a.ID != account {
				continue
			}
			for _, lv := range a.Levels {
				ids := lv.SCPs
				if ptype == xsdoctor.PolicyTypeRCP {
					ids = lv.RCPs
				}
				for _, id := range ids {
					key := ptype + "\x00" + id + "\x00" + lv.Target
					if seen[key] {
						continue
					}
					seen[key] = true
					g := xsdoctor.Guardrail{Type: ptype, ID: id, Target: lv.Target}
					if p := c.orgPolicy(id); p != nil {
						g.Name, g.Read = p.Name, p.Err == nil && p.Document != ""
					}
					out = append(out, g)
				}
			}
		}
	}
	add(c.consumer, xsdoctor.PolicyTypeSCP)
	add(c.owner, xsdoctor.PolicyTypeRCP)
	if c.keyARN != "" && !c.awsManaged() {
		add(c.keyAcct, xsdoctor.PolicyTypeRCP)
	}
	if v := c.f.VPCEndpoints; v != nil {
		for _, ep := range v.Endpoints {
			out = append(out, xsdoctor.Guardrail{Type: xsdoctor.PolicyTypeVPCE, ID: ep.ID, Name: ep.Service, Target: ep.ID, Read: true})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.ID < b.ID
	})
	return out
}

// unreadGuardrails lists, for RESIDUAL_GUARDRAILS, the guardrails that could deny this read and
// were not read, each with how to give access.
func (c *check) unreadGuardrails() []xsdoctor.Evidence {
	var ev []xsdoctor.Evidence
	f := c.f
	hint := "to read them, pass --org-role with a role in the management account or a delegated administrator allowed organizations:ListParents, ListPoliciesForTarget and DescribePolicy"
	if f.Org == nil {
		if f.Consumer.OrgID != "" && !f.Consumer.Management {
			ev = append(ev, xsdoctor.Evidence{Source: "service control policies above account " + c.consumer,
				Note: "not read (the simulator's answer stands in for them); " + hint})
		}
		if f.Owner.OrgID != "" && !f.Owner.Management {
			ev = append(ev, xsdoctor.Evidence{Source: "resource control policies above account " + c.owner,
				Note: "not read: the owner account is a member of " + f.Owner.OrgID + ", and a resource control policy can deny Secrets Manager and KMS access to outside principals; " + hint})
		}
		return ev
	}
	var lines []string
	lines = append(lines, c.hierarchy(c.consumer, xsdoctor.PolicyTypeSCP).unread...)
	lines = append(lines, c.hierarchy(c.owner, xsdoctor.PolicyTypeRCP).unread...)
	if c.keyARN != "" && !c.awsManaged() && c.keyAcct != c.owner {
		lines = append(lines, c.hierarchy(c.keyAcct, xsdoctor.PolicyTypeRCP).unread...)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			continue
		}
		seen[l] = true
		ev = append(ev, xsdoctor.Evidence{Source: "organization " + first(f.Org.ID, f.Org.Reader), Note: "not read: " + l + "; the org reader " + f.Org.Reader + " needs organizations:ListParents, ListPoliciesForTarget and DescribePolicy"})
	}
	return ev
}

// endpointsUnread says what is missing about the consumer's VPC endpoint policies, or nil
// when they were read.
func (c *check) endpointsUnread() *xsdoctor.Evidence {
	v := c.f.VPCEndpoints
	switch {
	case v == nil:
		return &xsdoctor.Evidence{Source: "VPC endpoint policies", Note: "a Secrets Manager VPC endpoint policy in account " + c.consumer + " can deny the consumer's call; it was not read (give the consumer account's inspector ec2:DescribeVpcEndpoints)"}
	case v.Err != nil:
		return &xsdoctor.Evidence{Source: "ec2:DescribeVpcEndpoints in " + c.consumer, Note: "not read: " + readErrText(v.Err) + "; a Secrets Manager VPC endpoint policy there can deny the consumer's call (give the consumer account's inspector ec2:DescribeVpcEndpoints)"}
	}
	return nil
}

// serviceWord is an action's service prefix as a Sid word: "kms:Decrypt" → "Kms".
func serviceWord(action string) string {
	svc, _, _ := strings.Cut(action, ":")
	var b strings.Builder
	up := true
	for _, r := range svc {
		switch {
		case r >= 'a' && r <= 'z' && up:
			b.WriteRune(r - 'a' + 'A')
			up = false
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}
