package door

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
	"github.com/xsdoctor/xsdoctor/policy"
)

// A fix is whole and checked (SPEC §3): it is built as policy values — the statement that opens
// the door, and the complete new policy (today's statements, none removed, plus that one) —
// rendered by policy.Marshal and, apart from the judgement, as standalone Terraform
// (terraform.go). Before the diagnosis is returned, verifyFixes applies each fix to the facts
// and judges the door again: it must open, and nobody the old policy let in may lose access.

// target is the policy a fix replaces or adds.
type target int

const (
	keyPolicyTarget     target = iota + 1 // the key policy (PutKeyPolicy, policy name "default")
	secretPolicyTarget                    // the secret's resource policy (PutResourcePolicy)
	inlinePolicyTarget                    // an inline policy of the consumer role (PutRolePolicy), new or replaced
	managedPolicyTarget                   // a customer managed policy attached to the role (CreatePolicyVersion)
	boundaryTarget                        // the role's permissions boundary (CreatePolicyVersion)
	newKeyTarget                          // a new customer managed key for a secret on the AWS managed key
	orgPolicyTarget                       // an SCP or RCP, by id (UpdatePolicy in the management account)
)

// fixPlan is a fix as values: which policy it changes, the policy before and after, and the
// statement that opens the door. render turns it into an xsdoctor.Fix; apply puts it into facts.
type fixPlan struct {
	door   xsdoctor.DoorID
	target target
	name   string           // inline or managed policy name/ARN, boundary ARN, or the new key's alias
	old    *policy.Document // nil when there is no policy today
	doc    *policy.Document // the complete new policy
	stmt   int              // 1-based index in doc of the statement that opens the door
}

// newPlan adds st to old (nil: a new policy) and returns the plan; nil when the policy cannot
// be built, which leaves the finding without a fix rather than with a wrong one.
func newPlan(door xsdoctor.DoorID, t target, name string, old *policy.Document, st policy.Statement) *fixPlan {
	var doc *policy.Document
	var err error
	if old == nil {
		doc, err = policy.Build(st)
	} else {
		doc, err = old.WithStatements(st)
	}
	if err != nil {
		return nil
	}
	return &fixPlan{door: door, target: t, name: name, old: old, doc: doc, stmt: len(doc.Statements)}
}

// text is the new policy as JSON.
func (p *fixPlan) text() string {
	b, err := policy.Marshal(p.doc)
	if err != nil {
		return ""
	}
	return string(b)
}

// apply returns a copy of the facts with the fix made, as the account owner would make it. The
// copy shares nothing the fix changes with f.
func (p *fixPlan) apply(f xsdoctor.Facts, c *check) xsdoctor.Facts {
	text := p.text()
	// The simulator's answers were for the policies as they were; a re-judged door must not
	// read them (a real re-run would simulate again).
	f.Simulations, f.SimulationErr = nil, nil
	switch p.target {
	case keyPolicyTarget:
		f.Key.Policy = text
	case secretPolicyTarget:
		f.Secret.Policy = text
	case inlinePolicyTarget, managedPolicyTarget:
		ps := slices.Clone(f.Role.Policies)
		replaced := false
		for i := range ps {
			if policyName(ps[i]) == p.name {
				ps[i].Document, replaced = text, true
			}
		}
		if !replaced {
			ps = append(ps, xsdoctor.Policy{Kind: "inline", Name: p.name, Document: text})
		}
		f.Role.Policies = ps
	case boundaryTarget:
		if f.Role.Boundary != nil {
			b := *f.Role.Boundary
			b.Document = text
			f.Role.Boundary = &b
		}
	case orgPolicyTarget:
		if f.Org != nil {
			org := *f.Org
			org.Policies = slices.Clone(org.Policies)
			for i := range org.Policies {
				if org.Policies[i].ID == p.name {
					org.Policies[i].Document = text
				}
			}
			f.Org = &org
		}
	case newKeyTarget:
		// The key the fix creates, with a stand-in ARN: Terraform chooses the real one.
		arn := "arn:" + c.partition + ":kms:" + c.region + ":" + c.owner + ":key/00000000-0000-4000-8000-00000000f1c5"
		f.Secret.KMSKeyID = arn
		f.Key = xsdoctor.Key{ARN: arn, Account: c.owner, Region: c.region, Manager: "CUSTOMER", State: "Enabled", Policy: text}
		f.KeyOwner = nil
	}
	return f
}

// render makes the printed fix: statement, whole policy, Terraform and steps. The plan is kept
// beside the fix so that verifyFixes can check it before the diagnosis is returned.
func (c *check) render(p *fixPlan, account, where string, steps ...string) *xsdoctor.Fix {
	fx := &xsdoctor.Fix{Account: account, Where: where, Steps: steps}
	if p == nil {
		return fx
	}
	fx.Statement = p.doc.StatementJSON(p.stmt)
	fx.Policy = p.text()
	fx.Terraform = c.terraform(p, account)
	if c.plans == nil {
		c.plans = map[*xsdoctor.Fix]*fixPlan{}
	}
	c.plans[fx] = p
	return fx
}

// verifyFixes re-judges every door that has a fix with the fix applied. A fix that does not
// open its door (alone, or together with the other fixes of the same door, when several
// findings close it), or that takes access away from anyone the old policy let in, is not
// printed as a policy: its finding keeps the steps and says why.
func (c *check) verifyFixes(d *xsdoctor.Diagnosis) {
	for i := range d.Doors {
		door := &d.Doors[i]
		var all []*fixPlan
		for _, fd := range door.Findings {
			if p := c.plans[fd.Fix]; p != nil {
				all = append(all, p)
			}
		}
		for j := range door.Findings {
			fx := door.Findings[j].Fix
			p := c.plans[fx]
			if p == nil {
				continue
			}
			problem := ""
			if c.opens(door.Door, p) || len(all) > 1 && c.opens(door.Door, all...) {
				problem = keepsAccess(p, c)
			} else {
				problem = "with this change applied xsdoctor still judges the " + string(door.Door) + " door closed"
			}
			if problem != "" {
				fx.Statement, fx.Policy, fx.Terraform = "", "", ""
				fx.Steps = append(fx.Steps, "xsdoctor did not print a policy for this fix: "+problem+". Change the policy by hand, then run xsdoctor check again.")
			}
		}
	}
}

// opens judges door again with the plans applied; true unless it is still closed (a door whose
// other facts were unread can be unknown at best).
func (c *check) opens(door xsdoctor.DoorID, plans ...*fixPlan) bool {
	f := c.f
	for _, p := range plans {
		f = p.apply(f, c)
	}
	again := newCheck(f)
	again.verifying = true
	doors := []xsdoctor.Door{again.keyDoor(), again.secretDoor(), again.consumerDoor()}
	again.guardrailFindings(doors) // an SCP or RCP fix opens its door only past the guardrails
	for _, d := range doors {
		if d.Door == door {
			return xsdoctor.DoorState(d.Findings) != xsdoctor.StateClosed
		}
	}
	return false
}

// keepsAccess compares who the policy lets in before and after the fix: every principal and
// action an Allow statement of the old policy names is evaluated against both, and none may go
// from allowed to denied. "" when nobody loses access.
func keepsAccess(p *fixPlan, c *check) string {
	if p.old == nil {
		return "" // a new policy takes nothing away
	}
	base := c.getSecret
	if p.door == xsdoctor.DoorKeyPolicy {
		base = c.decrypt
	}
	resourceSide := p.target == keyPolicyTarget || p.target == secretPolicyTarget
	eval := func(doc *policy.Document, req policy.Request) policy.Decision {
		named := &policy.Named{Name: "policy", Doc: doc}
		if resourceSide {
			return policy.Evaluate(req, policy.Set{Identity: []policy.Named{{Name: assumedIdentity, Doc: allowAllIdentity}}, Resource: named}).Decision
		}
		return policy.Evaluate(req, policy.Set{Identity: []policy.Named{*named}, Resource: &policy.Named{Name: assumedResource, Doc: allowAllResource}}).Decision
	}
	for _, req := range accessProbes(p.old, base, resourceSide) {
		if eval(p.old, req) == policy.Allow && eval(p.doc, req) != policy.Allow {
			return fmt.Sprintf("it would take %s on %s away from %s", req.Action, req.Resource, req.Principal.ARN)
		}
	}
	return ""
}

// accessProbes lists the requests an old policy's Allow statements speak about: each principal
// they name (resource policies) or the consumer (identity policies), each action, on the door's
// resource or the resources named, with the door's request context for that principal.
func accessProbes(old *policy.Document, base policy.Request, resourceSide bool) []policy.Request {
	var out []policy.Request
	for _, st := range old.Statements {
		if !strings.EqualFold(st.Effect, "Allow") {
			continue
		}
		principals := []policy.Principal{base.Principal}
		if resourceSide {
			principals = probePrincipals(st.Principal)
		}
		resources := []string{base.Resource}
		if !resourceSide && st.NotResource == nil {
			resources = nil
			for _, r := range st.Resource {
				resources = append(resources, strings.ReplaceAll(strings.ReplaceAll(r, "*", "x"), "?", "x"))
			}
		}
		for _, pr := range principals {
			for _, a := range st.Action {
				for _, r := range resources {
					out = append(out, withPrincipal(base, pr, a, r))
				}
			}
		}
	}
	return out
}

// probePrincipals turns a Principal element's AWS entries into principals to ask about.
func probePrincipals(p *policy.Principals) []policy.Principal {
	if p == nil {
		return nil
	}
	entries := p.AWS
	if p.Wildcard {
		entries = []string{"arn:aws:iam::999999999999:role/anyone"}
	}
	var out []policy.Principal
	for _, e := range entries {
		switch {
		case len(e) == 12 && strings.Trim(e, "0123456789") == "":
			out = append(out, policy.Principal{ARN: "arn:aws:iam::" + e + ":root", Account: e})
		case strings.HasPrefix(e, "arn:"):
			a, _ := arn.Split(e)
			pr := policy.Principal{ARN: e, Account: a.Account}
			if a.IsRole() {
				pr.RoleARN = e
			}
			out = append(out, pr)
		}
	}
	for _, s := range p.Service {
		out = append(out, policy.Principal{ARN: s, Type: policy.Service, Service: s})
	}
	return out
}

// withPrincipal is the door's request asked for another principal, action and resource: the
// principal's own keys replace the consumer's, everything else about the request is the same.
func withPrincipal(base policy.Request, p policy.Principal, action, resource string) policy.Request {
	req := base
	req.Principal, req.Action, req.Resource = p, action, resource
	req.Context = map[string][]string{}
	for k, v := range base.Context {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "aws:principal") || lk == "kms:calleraccount" {
			continue
		}
		req.Context[k] = v
	}
	if p.Account != "" {
		req.Context["aws:PrincipalAccount"] = []string{p.Account}
		req.Context["aws:PrincipalArn"] = []string{p.ARN}
		if strings.HasPrefix(action, "kms:") {
			req.Context["kms:CallerAccount"] = []string{p.Account}
		}
	}
	if p.Type == policy.Service {
		req.Context["aws:PrincipalIsAWSService"] = []string{"true"}
		req.Context["aws:PrincipalServiceName"] = []string{p.Service}
	}
	return req
}

// --- The statements each door's fix adds, as policy values. ---

// keyStatement is the key-policy statement that lets the consumer decrypt through Secrets
// Manager only, for this secret only: the conditions Secrets Manager's own AWS managed key uses
// (kms:ViaService, kms:CallerAccount), pinned to the consumer's account, plus the encryption
// context's SecretARN (Secrets Manager User Guide, "Secret encryption and decryption"; AWS KMS
// Developer Guide, "Allowing users in other accounts to use a KMS key").
func (c *check) keyStatement() policy.Statement {
	return policy.Statement{
		Sid:       "AllowDecryptViaSecretsManagerFor" + sidWord(c.roleARN),
		Effect:    "Allow",
		Principal: &policy.Principals{AWS: []string{c.roleARN}},
		Action:    []string{"kms:Decrypt"},
		Resource:  []string{"*"},
		Conditions: []policy.Condition{
			{Operator: "StringEquals", Key: "kms:CallerAccount", Values: []string{c.consumer}},
			{Operator: "StringEquals", Key: "kms:EncryptionContext:SecretARN", Values: []string{c.secretARN}},
			{Operator: "StringEquals", Key: "kms:ViaService", Values: []string{viaService(c.region)}},
		},
	}
}

// keyRootStatement is the default key policy's statement that keeps the account in control of
// a new key and delegates to its IAM (AWS KMS Developer Guide, "Default key policy").
func (c *check) keyRootStatement() policy.Statement {
	return policy.Statement{
		Sid: "EnableIAMUserPermissions", Effect: "Allow",
		Principal: &policy.Principals{AWS: []string{"arn:" + c.partition + ":iam::" + c.owner + ":root"}},
		Action:    []string{"kms:*"}, Resource: []string{"*"},
	}
}

// secretStatement is the secret-policy statement allowing the consumer role GetSecretValue. In
// a secret's resource policy "Resource": "*" means this secret (Secrets Manager User Guide,
// "Permissions policy examples").
func (c *check) secretStatement() policy.Statement {
	return policy.Statement{
		Sid:       "AllowGetSecretValueFor" + sidWord(c.roleARN),
		Effect:    "Allow",
		Principal: &policy.Principals{AWS: []string{c.roleARN}},
		Action:    []string{"secretsmanager:GetSecretValue"},
		Resource:  []string{"*"},
	}
}

// iamSecretStatement allows GetSecretValue on the full secret ARN, suffix included.
func (c *check) iamSecretStatement() policy.Statement {
	return policy.Statement{
		Sid: "ReadSecret", Effect: "Allow",
		Action:   []string{"secretsmanager:GetSecretValue"},
		Resource: []string{c.secretARN},
	}
}

// iamKMSStatement allows kms:Decrypt on the key ARN: an IAM policy must name the key by its key
// ARN, never an alias (AWS KMS Developer Guide, "Specifying KMS keys in IAM policy statements").
// kms:ViaService keeps the permission to Secrets Manager's use of the key.
func (c *check) iamKMSStatement() policy.Statement {
	return policy.Statement{
		Sid: "DecryptSecretKey", Effect: "Allow",
		Action:     []string{"kms:Decrypt"},
		Resource:   []string{c.keyARN},
		Conditions: []policy.Condition{{Operator: "StringEquals", Key: "kms:ViaService", Values: []string{viaService(c.region)}}},
	}
}

func viaService(region string) string { return "secretsmanager." + region + ".amazonaws.com" }

// sidWord makes a Sid fragment (Sids allow only [A-Za-z0-9]) from a role ARN.
func sidWord(roleARN string) string {
	name := roleARN
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	if b.Len() == 0 {
		return "Consumer"
	}
	return b.String()
}

// --- The fixes each door proposes. ---

// docOf is the parsed document of a policy, nil when there is none (a secret without a policy).
func docOf(n *policy.Named) *policy.Document {
	if n == nil {
		return nil
	}
	return n.Doc
}

// keyPolicyFix adds keyStatement to the key policy in the key's account.
func (c *check) keyPolicyFix(lead string) *xsdoctor.Fix {
	kp, _ := c.keyPolicy()
	p := newPlan(xsdoctor.DoorKeyPolicy, keyPolicyTarget, "", docOf(kp), c.keyStatement())
	return c.render(p, c.keyAcct, "key policy of "+c.keyARN,
		lead,
		"Put the whole policy shown (today's statements and the new one): aws kms put-key-policy --key-id "+c.keyARN+" --policy-name default --policy file://key-policy.json.",
		"The consumer account "+c.consumer+" must also allow kms:Decrypt on "+c.keyARN+" in the role's IAM policy (consumer-iam door).",
	)
}

// secretPolicyFix puts secretStatement into the secret's resource policy.
func (c *check) secretPolicyFix(lead string) *xsdoctor.Fix {
	sp, _ := c.secretPolicy()
	p := newPlan(xsdoctor.DoorSecretPolicy, secretPolicyTarget, "", docOf(sp), c.secretStatement())
	return c.render(p, c.owner, "resource policy of "+c.secretARN,
		lead,
		"Put the whole policy shown: aws secretsmanager put-resource-policy --secret-id "+c.secretARN+" --resource-policy file://secret-policy.json --block-public-policy.",
	)
}

// inlinePolicyName names the consumer's fix policy for xsdoctor and the secret (SPEC §3), within
// IAM's 128 characters of [\w+=,.@-].
func (c *check) inlinePolicyName() string {
	name := c.f.Secret.Name
	if name == "" {
		a, _ := arn.Split(c.secretARN)
		name = strings.TrimPrefix(a.Resource, "secret:")
		if i := strings.LastIndex(name, "-"); i > 0 && len(name)-i == 7 {
			name = name[:i]
		}
	}
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+=,.@-_", r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := "xsdoctor-read-" + b.String()
	if len(out) > 128 {
		out = out[:128]
	}
	return out
}

// iamFix is the consumer's fix: one new inline policy, named for xsdoctor and the secret, with
// everything reading the secret needs from the consumer's side (GetSecretValue on the full ARN,
// kms:Decrypt on the key ARN through Secrets Manager), so either finding's fix opens the door for
// both actions. The role's other policies are left untouched. open is the statement (by Sid)
// that the finding is about.
func (c *check) iamFix(lead string, open string) *xsdoctor.Fix {
	stmts := []policy.Statement{c.iamSecretStatement()}
	if c.keyARN != "" && !c.awsManaged() {
		stmts = append(stmts, c.iamKMSStatement())
	}
	doc, err := policy.Build(stmts...)
	var p *fixPlan
	if err == nil {
		p = &fixPlan{door: xsdoctor.DoorConsumerIAM, target: inlinePolicyTarget, name: c.inlinePolicyName(), doc: doc, stmt: 1}
		for i, st := range doc.Statements {
			if st.Sid == open {
				p.stmt = i + 1
			}
		}
	}
	role := roleName(c.roleARN)
	return c.render(p, c.consumer, "a new inline policy "+c.inlinePolicyName()+" on "+c.roleARN,
		lead,
		"Add the policy shown as an inline policy of the role: aws iam put-role-policy --role-name "+role+" --policy-name "+c.inlinePolicyName()+" --policy-document file://policy.json.",
	)
}

// denyExemptionFix proposes the smallest change to a Deny statement that stops it applying to
// this request: one more condition (conditions in a statement are ANDed, so the Deny then skips
// requests that fail it). fix.policy is the whole policy with that statement changed.
func (c *check) denyExemptionFix(door xsdoctor.DoorID, t target, name string, doc *policy.Document, index int,
	operator, key, value, account, where, lead string) *xsdoctor.Fix {
	if doc == nil || index < 1 || index > len(doc.Statements) {
		return nil
	}
	st := doc.Statements[index-1]
	newDoc, err := doc.Replacing(index, st.WithCondition(operator, key, value))
	var p *fixPlan
	if err == nil {
		p = &fixPlan{door: door, target: t, name: name, old: doc, doc: newDoc, stmt: index}
	}
	ref := fmt.Sprintf("statement %d", index)
	if st.Sid != "" {
		ref = fmt.Sprintf("statement %q (%d)", st.Sid, index)
	}
	steps := []string{lead, "In " + where + ", " + ref + " gains the condition " + operator + " " + key + " = " + value +
		" so the Deny no longer applies to this request (or remove the Deny if it is not needed); the policy shown is the whole policy with that change."}
	switch t {
	case keyPolicyTarget:
		steps = append(steps, "aws kms put-key-policy --key-id "+c.keyARN+" --policy-name default --policy file://key-policy.json.")
	case secretPolicyTarget:
		steps = append(steps, "aws secretsmanager put-resource-policy --secret-id "+c.secretARN+" --resource-policy file://secret-policy.json --block-public-policy.")
	case inlinePolicyTarget:
		steps = append(steps, "aws iam put-role-policy --role-name "+roleName(c.roleARN)+" --policy-name "+name+" --policy-document file://policy.json.")
	case orgPolicyTarget:
		steps = append(steps, "aws organizations update-policy --policy-id "+name+" --content file://policy.json.")
	case managedPolicyTarget, boundaryTarget:
		steps = append(steps, "aws iam create-policy-version --policy-arn "+name+" --policy-document file://policy.json --set-as-default (a managed policy may be shared by other roles: check with its owners).")
	}
	return c.render(p, account, where, steps...)
}

// statementJSON renders one statement as policy renders it; "" when it is not a valid statement.
func statementJSON(st policy.Statement) string {
	doc, err := policy.Build(st)
	if err != nil {
		return ""
	}
	return doc.StatementJSON(1)
}

// roleName is the last segment of a role ARN (its path dropped), as put-role-policy wants it.
func roleName(roleARN string) string {
	if i := strings.LastIndex(roleARN, "/"); i >= 0 {
		return roleARN[i+1:]
	}
	return roleARN
}

// sortedStrings returns a sorted copy.
func sortedStrings(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}

// versionKeyFix is the fix for VERSION_KEY_MISMATCH (SPEC §3: steps only): AWSCURRENT is
// encrypted under versionKey while the secret is configured with configuredKey. Writing a new
// version encrypts it under the configured key; UpdateSecret re-encrypts the current versions
// only when its caller may decrypt with the old key and encrypt with the new one (Secrets Manager
// User Guide, "Change the encryption key for a secret"; aws-semantics §3.6). No step needs the
// secret value.
func (c *check) versionKeyFix(versionKey, configuredKey string) *xsdoctor.Fix {
	return c.render(nil, c.owner, "the current version of "+c.secretARN,
		"In account "+c.owner+", have AWSCURRENT encrypted under "+configuredKey+": rotate the secret (aws secretsmanager rotate-secret --secret-id "+c.secretARN+") or let its writer store the next value, which Secrets Manager encrypts under the configured key.",
		"Or, as someone allowed kms:Decrypt on "+versionKey+" and kms:Encrypt and kms:GenerateDataKey on "+configuredKey+", run aws secretsmanager update-secret --secret-id "+c.secretARN+" --kms-key-id "+configuredKey+": it re-encrypts AWSCURRENT, AWSPENDING and AWSPREVIOUS only when its caller may use both keys.",
		"Confirm with aws secretsmanager list-secret-version-ids --secret-id "+c.secretARN+": the AWSCURRENT version's KmsKeyIds must list "+configuredKey+".",
	)
}
