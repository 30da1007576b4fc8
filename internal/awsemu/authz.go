package awsemu

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xsdoctor/xsdoctor/policy"
	"github.com/xsdoctor/xsdoctor/request"
)

// Caller is who makes an authorized request, as the wire layer identified it.
type Caller struct {
	ARN     string // as STS shows it: an assumed-role session ARN, or the operator's ARN
	Account string
	Role    *Role // the role behind a session; nil for the operator when it is not a scenario role
	// Context holds what the wire layer knows about the request itself (aws:SourceIp,
	// aws:UserAgent); every other network key is absent, as for a call that reaches AWS over
	// the internet rather than through a VPC endpoint.
	Context map[string][]string
}

// GetSecretValueDecision is how AWS decided a GetSecretValue, side by side.
type GetSecretValueDecision struct {
	Secret  policy.Result  // secretsmanager:GetSecretValue, the consumer's own request
	KMS     *policy.Result // kms:Decrypt made by Secrets Manager for the consumer; nil when not reached
	Version *SecretVersion // the version read; nil when not reached or not found
	Key     *Key           // the key of the KMS hop; nil when not reached
	Err     *AWSError      // nil: the value may be returned
}

// SecretRead is what a GetSecretValue asks for: a version by id, by staging label, or (both
// empty) the version staged AWSCURRENT (Secrets Manager API reference: GetSecretValue).
type SecretRead struct {
	VersionID    string
	VersionStage string
}

// MessageVersionKeyMismatch is what Secrets Manager adds when the KMS hop fails on a version
// that is not encrypted under the secret's configured key (AWS Knowledge Center: "access a
// secret from another account", aws-semantics §3.6).
const MessageVersionKeyMismatch = MessageKMSNotAllowed + ". This version of secret is not encrypted with the current KMS key."

// AuthorizeGetSecretValue decides a GetSecretValue of the AWSCURRENT version of sec the way AWS
// does and returns nil or the error AWS answers with (see DecideGetSecretValue).
func (s *Scenario) AuthorizeGetSecretValue(c Caller, sec *Secret, now time.Time) *AWSError {
	return s.DecideGetSecretValue(c, sec, SecretRead{}, now).Err
}

// DecideGetSecretValue follows what happens on AWS (aws-semantics §0): Secrets Manager first
// authorizes secretsmanager:GetSecretValue with the caller's identity policies, boundary and
// SCPs and the secret's resource policy (both sides must allow across accounts); a secret marked
// for deletion then fails with InvalidRequestException, and a version that does not exist with
// ResourceNotFoundException; last, Secrets Manager calls kms:Decrypt on the caller's behalf with
// its own request context, against the key that encrypts the version read (aws-semantics §3.6),
// where the key's state, its policy and grants, and again the caller's IAM side decide. A
// refusal there is never passed through: the caller sees "Access to KMS is not allowed"
// (Secrets Manager User Guide: "Troubleshoot", AWS Knowledge Center: cross-account secret
// access).
func (s *Scenario) DecideGetSecretValue(c Caller, sec *Secret, read SecretRead, now time.Time) GetSecretValueDecision {
	var d GetSecretValueDecision
	ident := s.identitySet(c)
	p := request.Params{
		SecretARN: sec.ARN, Region: sec.Region,
		PrincipalARN: c.ARN, PrincipalAccount: c.Account,
		PrincipalOrgID: s.OrgID(c.Account), ResourceAccount: sec.Account, ResourceOrgID: s.OrgID(sec.Account),
		SecretTags: sec.Tags,
		Now:        now,

		PrincipalOrgPaths: s.Org.OrgPaths(c.Account), ResourceOrgPaths: s.Org.OrgPaths(sec.Account),
	}
	if c.Role != nil {
		p.RoleARN, p.RoleID, p.PrincipalTags = c.Role.ARN, c.Role.ID, c.Role.Tags
	}

	smReq := s.liveRequest(request.GetSecretValue(p), c)
	// The version keys are in the request only when the client sends them (Secrets Manager
	// service authorization reference: secretsmanager:VersionId, secretsmanager:VersionStage).
	if read.VersionID != "" {
		smReq.Context["secretsmanager:VersionId"] = []string{read.VersionID}
	}
	if read.VersionStage != "" {
		smReq.Context["secretsmanager:VersionStage"] = []string{read.VersionStage}
	}
	smSet := ident
	if sec.ResourcePolicy != nil {
		n := sec.ResourcePolicy.Named("resource_policy")
		smSet.Resource = &n
	}
	// The RCPs on the path to the secret's account cap the secret (AWS Organizations User
	// Guide: "Resource control policies"); the engine applies the management account exemption.
	smSet.RCPLevels = s.Org.Hierarchy(sec.Account, PolicyTypeRCP)
	d.Secret = policy.Evaluate(smReq, smSet)
	if d.Secret.Decision != policy.Allow {
		d.Err = &AWSError{Code: CodeAccessDeniedJSON, Message: deniedMessage(c.ARN, smReq, d.Secret)}
		return d
	}
	if sec.DeletedDate != "" {
		d.Err = &AWSError{Code: CodeInvalidRequest, Message: MessageMarkedDeletion}
		return d
	}
	v, verr := sec.version(read)
	if verr != nil {
		d.Err = verr
		return d
	}
	d.Version = v
	key := sec.DecryptKey(v)
	d.Key = key
	kmsDenied := &AWSError{Code: CodeAccessDeniedJSON, Message: MessageKMSNotAllowed}
	if key != sec.Key {
		kmsDenied.Message = MessageVersionKeyMismatch
	}
	if key == nil {
		d.Err = kmsDenied
		return d
	}
	p.VersionID = v.ID
	p.KeyARN, p.KeyAccount, p.KeyOrgID, p.KeyOrgPaths = key.ARN, key.Account, s.OrgID(key.Account), s.Org.OrgPaths(key.Account)
	p.KeyTags = key.Tags
	for _, al := range s.Aliases(key.Account, key.Region, key) {
		p.KeyAliases = append(p.KeyAliases, al.Name)
	}
	kmsReq := s.liveRequest(request.Decrypt(p), c)
	kmsSet := ident
	kp := key.Policy.Named("key_policy")
	kmsSet.Resource = &kp
	kmsSet.Grants = engineGrants(key)
	// The key account's RCPs cap a customer managed key; RCPs do not apply to AWS managed keys
	// (AWS KMS Developer Guide: "Resource control policies in AWS KMS"), which the engine applies.
	kmsSet.RCPLevels = s.Org.Hierarchy(key.Account, PolicyTypeRCP)
	kmsSet.AWSManagedKey = key.Manager == ManagerAWS
	r := policy.Evaluate(kmsReq, kmsSet)
	d.KMS = &r
	// Decrypt fails in every state but Enabled (and Updating) whatever the policies say (KMS
	// Developer Guide: "Key states of AWS KMS keys").
	if key.State != StateEnabled && key.State != "Updating" {
		d.Err = kmsDenied
		return d
	}
	if r.Decision != policy.Allow {
		d.Err = kmsDenied
	}
	return d
}

// version finds the version a GetSecretValue reads, with Secrets Manager's messages when there
// is none (a secret created without a value has no AWSCURRENT version).
func (sec *Secret) version(read SecretRead) (*SecretVersion, *AWSError) {
	if read.VersionID != "" {
		v := sec.VersionByID(read.VersionID)
		if v == nil || (read.VersionStage != "" && !v.HasStage(read.VersionStage)) {
			return nil, &AWSError{Code: CodeSecretNotFound, Message: "Secrets Manager can't find the specified secret value for VersionId: " + read.VersionID}
		}
		return v, nil
	}
	stage := read.VersionStage
	if stage == "" {
		stage = stageCurrent
	}
	if v := sec.VersionByStage(stage); v != nil {
		return v, nil
	}
	return nil, &AWSError{Code: CodeSecretNotFound, Message: "Secrets Manager can't find the specified secret value for staging label: " + stage}
}

// liveRequest turns a request built for offline diagnosis into the live one: the emulator knows
// the network path (the caller reached it directly, so VPC keys are absent) and has no unknowns.
func (s *Scenario) liveRequest(req policy.Request, c Caller) policy.Request {
	req.Unknown = nil
	for k, v := range c.Context {
		if _, set := req.Context[k]; !set {
			req.Context[k] = v
		}
	}
	return req
}

// identitySet is the caller's side of every request: its identity policies (inline, then
// managed in attachment order), its permissions boundary, and its account's SCPs.
func (s *Scenario) identitySet(c Caller) policy.Set {
	var set policy.Set
	if c.Role == nil {
		// The operator is an administrator of its own account: its policies are outside the
		// scenario, so only resource policies and the cross-account rule limit it.
		set.Identity = []policy.Named{{Name: "operator-administrator-access", Doc: operatorPolicy()}}
	} else {
		set.Identity = s.roleIdentityPolicies(c.Role)
		if mp := s.policies[c.Role.PermissionsBoundary]; mp != nil {
			n := mp.Document.Named(mp.ARN)
			set.Boundary = &n
		}
	}
	set.SCPs = s.scpSet(c.Account)
	set.SCPLevels = s.Org.Hierarchy(c.Account, PolicyTypeSCP)
	return set
}

func (s *Scenario) roleIdentityPolicies(r *Role) []policy.Named {
	var out []policy.Named
	for _, name := range slices.Sorted(maps.Keys(r.InlinePolicies)) {
		doc := r.InlinePolicies[name]
		out = append(out, doc.Named(name))
	}
	for _, mp := range s.AttachedPolicies(r) {
		out = append(out, mp.Document.Named(mp.ARN))
	}
	return out
}

func (s *Scenario) scpSet(account string) []policy.Named {
	var out []policy.Named
	for i, doc := range s.SCPsFor(account) {
		out = append(out, doc.Named(scpName(i)))
	}
	return out
}

func scpName(i int) string { return fmt.Sprintf("scp-%d", i+1) }

// engineGrants converts a key's grants for the policy engine.
func engineGrants(k *Key) []policy.Grant {
	out := make([]policy.Grant, 0, len(k.Grants))
	for _, g := range k.Grants {
		pg := policy.Grant{ID: g.ID, Name: g.Name, GranteePrincipal: g.GranteePrincipal, Operations: g.Operations}
		if g.Constraints != nil {
			pg.EncryptionContextSubset = g.Constraints.EncryptionContextSubset
			pg.EncryptionContextEquals = g.Constraints.EncryptionContextEquals
		}
		out = append(out, pg)
	}
	return out
}

// operatorPolicy is AdministratorAccess, parsed once; requests are served concurrently.
var operatorPolicy = sync.OnceValue(func() *policy.Document {
	doc, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if err != nil {
		panic("awsemu: operator policy: " + err.Error())
	}
	return doc
})

// policyTypeWords names a policy type the way IAM's access-denied messages do ("Troubleshoot
// access denied error messages": service control, resource control, VPC endpoint, permissions
// boundary, session, resource-based, identity-based).
var policyTypeWords = map[policy.PolicyType]string{
	policy.TypeSCP:      "service control policy",
	policy.TypeRCP:      "resource control policy",
	policy.TypeResource: "resource-based policy",
	policy.TypeIdentity: "identity-based policy",
	policy.TypeBoundary: "permissions boundary",
	policy.TypeSession:  "session policy",
	policy.TypeGrant:    "resource-based policy",
}

// deniedMessage words a refusal as IAM does: "User: <arn> is not authorized to perform: <action>
// on resource: <arn> because no <type> allows the <action> action" for an implicit deny, "… with
// an explicit deny in a <type>" for an explicit one. Only one policy type is named, in the order
// AWS evaluates them: SCPs, RCPs, then the resource side, then identity, boundary and session.
func deniedMessage(principal string, req policy.Request, r policy.Result) string {
	msg := "User: " + principal + " is not authorized to perform: " + req.Action + " on resource: " + req.Resource
	outcome := map[policy.PolicyType]policy.Outcome{}
	for _, t := range r.Types {
		outcome[t.Type] = t.Outcome
	}
	order := []policy.PolicyType{policy.TypeSCP, policy.TypeRCP, policy.TypeResource, policy.TypeIdentity, policy.TypeBoundary, policy.TypeSession}
	if r.Decision == policy.ExplicitDeny {
		for _, t := range order {
			if outcome[t] == policy.OutcomeDeny {
				return msg + " with an explicit deny in " + article(policyTypeWords[t]) + policyTypeWords[t]
			}
		}
		return msg + " with an explicit deny in an identity-based policy"
	}
	crossAccount := req.ResourceAccount != "" && req.ResourceAccount != req.Principal.Account
	allows := func(t policy.PolicyType) bool { return outcome[t] == policy.OutcomeAllow }
	why := "identity-based policy"
	switch {
	case outcome[policy.TypeSCP] == policy.OutcomeNoMatch:
		why = "service control policy"
	case crossAccount && !allows(policy.TypeResource):
		why = "resource-based policy"
	case !allows(policy.TypeIdentity) && !(allows(policy.TypeResource) && !crossAccount):
		why = "identity-based policy"
	case outcome[policy.TypeBoundary] == policy.OutcomeNoMatch:
		why = "permissions boundary"
	case outcome[policy.TypeSession] == policy.OutcomeNoMatch:
		why = "session policy"
	}
	return msg + " because no " + why + " allows the " + req.Action + " action"
}

func article(words string) string {
	if strings.HasPrefix(words, "identity") {
		return "an "
	}
	return "a "
}
