// Package policy is xsdoctor's IAM policy engine: it parses policy documents in every form AWS
// accepts and evaluates an authorization request against a set of policies the way AWS's
// documented policy evaluation logic does, returning the decision and every statement behind it.
// Standard library only.
//
// The exported names in this file are the API that door/, request/ and internal/awsemu code
// against: additions are fine, renames must be coordinated. Where things live: document.go
// (Parse, errors, size limits) and marshal.go; match.go, shiftand.go and arn.go (wildcards and
// ARNs, linear time); condition.go and variables.go (condition operators, policy variables);
// principal.go (Principal and NotPrincipal); context.go (the request context); evaluate.go (the
// decision), org.go (SCP and RCP hierarchies and their exemptions), grant.go (KMS grants),
// miss.go (near misses) and explain.go (text rendering).
package policy

// Decision is the outcome of an evaluation.
type Decision string

const (
	Allow        Decision = "allow"
	ImplicitDeny Decision = "implicit_deny"
	ExplicitDeny Decision = "explicit_deny"
)

// Size limits AWS enforces on resource policies.
const (
	MaxKeyPolicyBytes    = 32768 // KMS key policy: 32 KB
	MaxSecretPolicyBytes = 20480 // Secrets Manager resource policy: 20 KB
)

// PrincipalType says what kind of principal makes a request.
type PrincipalType string

const (
	AssumedRole PrincipalType = "AssumedRole" // arn:aws:sts::A:assumed-role/NAME/SESSION
	Role        PrincipalType = "Role"        // arn:aws:iam::A:role/PATH/NAME
	User        PrincipalType = "User"
	Root        PrincipalType = "Root"
	Service     PrincipalType = "Service"
)

// Principal is who makes the request.
type Principal struct {
	ARN      string        // as presented: session ARN, role ARN, user ARN, …
	Account  string        // the principal's account
	Type     PrincipalType // derived from ARN when empty
	RoleARN  string        // for a role or its sessions: the role ARN with its path (aws:PrincipalArn)
	UniqueID string        // e.g. AROA… for a role; matches only this principal
	Service  string        // for Type Service: e.g. secretsmanager.amazonaws.com
}

// Request is one authorization request.
type Request struct {
	Principal       Principal
	Action          string // service:Operation
	Resource        string // ARN
	ResourceAccount string
	// Context holds the request's condition keys (names compared case-insensitively) with one
	// value or several (multivalued keys such as kms:EncryptionContextKeys or aws:TagKeys).
	Context map[string][]string
	// Unknown lists context keys whose values cannot be known here (e.g. aws:SourceVpce); a
	// trailing "*" names a prefix ("aws:RequestTag/*"). A condition on an unknown key makes the
	// result Conditional instead of guessing. A key present in Context is known whatever Unknown
	// says. aws:PrincipalArn, aws:PrincipalAccount and (for kms: actions) kms:CallerAccount are
	// implied from Principal when Context lacks them (SPEC §7).
	Unknown []string
}

// PolicyType names a kind of policy in a Set.
type PolicyType string

const (
	TypeIdentity PolicyType = "identity"
	TypeResource PolicyType = "resource"
	TypeBoundary PolicyType = "boundary"
	TypeSCP      PolicyType = "scp"
	TypeSession  PolicyType = "session"
	TypeGrant    PolicyType = "grant"
	TypeRCP      PolicyType = "rcp"
	TypeEndpoint PolicyType = "vpc_endpoint"
)

// Named is a parsed policy with the name evidence refers to it by.
type Named struct {
	Name string
	Doc  *Document
}

// Grant is a KMS grant (KMS: "Grants in AWS KMS"). For kms: actions a grant is another way the
// resource side can allow.
type Grant struct {
	ID                      string
	Name                    string
	GranteePrincipal        string
	Operations              []string // e.g. "Decrypt"
	EncryptionContextSubset map[string]string
	EncryptionContextEquals map[string]string
}

// Set is every policy that applies to one request. A nil pointer or empty slice means that
// policy type is absent (for SCPs: no organization, or the management account). For kms:
// actions Resource is the key policy; when it is nil the key policy is not judged (the caller
// could not read it) and the identity side decides, as in the shared conformance corpus. For
// sts:AssumeRole* actions Resource is the role's trust policy (parse it with ParseTrust), which,
// like a key policy, must allow even within one account; nil leaves it unjudged the same way.
type Set struct {
	Identity []Named
	Resource *Named
	Grants   []Grant
	Boundary *Named
	SCPs     []Named // one level; an implicit FullAWSAccess is added when non-empty
	Session  *Named
	// RCPs are the resource control policies of the resource's organization, one level; an
	// implicit RCPFullAWSAccess is added when non-empty, so they can only deny (AWS Organizations,
	// "Resource control policies"). Leave empty for resources in the management account, which
	// RCPs do not affect (for AWS managed keys and service-linked roles the engine applies the
	// exemption itself, as for RCPLevels).
	RCPs []Named

	// SCPLevels is the SCP hierarchy of the principal's account (root, OUs, account), nil when
	// unknown or when the account is in no organization. Unlike SCPs, no FullAWSAccess is
	// implied: every level must allow through a policy attached there, and a deny at any level
	// denies (AWS Organizations User Guide, "SCP evaluation"). A case gives SCPs or SCPLevels,
	// not both; given both, each caps the identity side.
	SCPLevels *Hierarchy
	// RCPLevels is the RCP hierarchy of the resource's account. RCPFullAWSAccess is implied at
	// every level (it is attached everywhere and cannot be detached), so RCPs can only deny;
	// a deny at any level denies (AWS Organizations User Guide, "RCP evaluation").
	RCPLevels *Hierarchy
	// AWSManagedKey says the resource is an AWS managed KMS key: RCPs do not apply to it
	// ("Resource control policies in your organization do not apply to AWS managed keys", AWS
	// KMS Developer Guide, "Resource control policies in AWS KMS"). The caller knows the key's
	// manager (kms:DescribeKey); the engine applies the rule.
	AWSManagedKey bool
	// Endpoint is the policy of the VPC endpoint the request goes through, nil when it does
	// not go through one (or the caller does not know which). Like a resource policy it names
	// principals; like a boundary it must allow as well: "no VPC endpoint policy allows" is an
	// implicit deny, and a Deny in it denies (IAM User Guide, "Troubleshoot access denied error
	// messages"; AWS PrivateLink Guide, "Control access to VPC endpoints using endpoint
	// policies").
	Endpoint *Named
}

// Level is one node on the path from an organization's root to an account — the root, an OU
// or the account itself — with the policies of one type (SCP or RCP) attached to it. Target is
// the node's id as Organizations names it (r-…, ou-…-…, or the 12-digit account id); evidence
// quotes it next to the policy name and the statement.
type Level struct {
	Target   string
	Policies []Named
}

// Hierarchy is the SCPs or the RCPs on the path from the organization's root to one account,
// root first, ending with the account itself.
//
// Where the exemptions live: in the engine, so that door/ and the emulator share one rule. The
// caller states the facts it read — Management (the account is the organization's management
// account) and Set.AWSManagedKey — and the engine applies AWS's rules to them and reports which
// one applied (Result.Exempt):
//   - SCPs do not affect principals of the management account, RCPs do not affect resources in
//     it (AWS Organizations User Guide, "Service control policies" and "Resource control
//     policies");
//   - neither affects service-linked roles (same pages), recognised from the principal: a role
//     under the path /aws-service-role/, or, for a session ARN (which carries no path), a role
//     named AWSServiceRoleFor… (IAM User Guide, "Using service-linked roles");
//   - RCPs do not affect AWS managed keys (Set.AWSManagedKey).
//
// An account outside the organization has no levels in it: pass nil, not an empty Hierarchy.
type Hierarchy struct {
	Levels     []Level
	Management bool
}

// ExemptReason says why a guardrail that was given does not apply to a request.
type ExemptReason string

const (
	ExemptManagementAccount ExemptReason = "management_account" // SCPs: the principal's; RCPs: the resource's
	ExemptServiceLinkedRole ExemptReason = "service_linked_role"
	ExemptAWSManagedKey     ExemptReason = "aws_managed_key" // RCPs only
)

// Exemption records that the SCPs or RCPs given in the Set do not apply, and why.
type Exemption struct {
	Type   PolicyType // TypeSCP or TypeRCP
	Reason ExemptReason
}

// LevelResult is what one level of an SCP or RCP hierarchy decided.
type LevelResult struct {
	Type   PolicyType // TypeSCP or TypeRCP
	Target string
	// Outcome: allow (a policy at this level allows, none denies), deny (a statement at this
	// level denies: Result.Matched holds it with this Target), or no_match (no policy attached
	// here allows: the request is denied at this level, e.g. an allow-list SCP that lacks the
	// action, or FullAWSAccess detached).
	Outcome Outcome
}

// Outcome is what one policy type contributed.
type Outcome string

const (
	OutcomeAllow   Outcome = "allow"    // at least one statement allowed, none denied
	OutcomeDeny    Outcome = "deny"     // at least one statement denied
	OutcomeNoMatch Outcome = "no_match" // present, but no statement applied (implicit deny within it)
	OutcomeAbsent  Outcome = "absent"   // this policy type is not in the set
	OutcomeExempt  Outcome = "exempt"   // SCPs or RCPs given, but they do not apply (Result.Exempt says why)
)

// TypeResult is one policy type's contribution to the decision.
type TypeResult struct {
	Type    PolicyType
	Outcome Outcome
}

// StatementRef locates a statement for evidence.
type StatementRef struct {
	Type   PolicyType
	Policy string // Named.Name (or grant id)
	Sid    string
	Index  int    // 1-based position in the policy's Statement list
	Line   int    // line in the source text, 0 when unknown
	Effect string // "Allow" or "Deny"
	// Target is, for an SCP or RCP given by level (Set.SCPLevels, Set.RCPLevels), the root, OU
	// or account the policy is attached to; empty otherwise.
	Target string
}

// Miss explains why an Allow statement that names the principal (and the action) did not apply:
// which condition or resource failed, with the expected and actual values. A Deny that did not
// fire is never a miss.
type Miss struct {
	Statement StatementRef
	Element   string   // "Condition", "Resource", "NotResource", "Action", "NotAction", "Principal", "NotPrincipal"
	Operator  string   // condition operator, e.g. "StringEquals"; for a grant "EncryptionContextSubset"/"…Equals"
	Key       string   // condition key as written (Condition only)
	Expected  []string // the statement's values
	Actual    []string // the request's values (empty when the key is absent)
}

// Unknowable is a condition whose outcome depends on a key listed in Request.Unknown.
type Unknowable struct {
	Statement StatementRef
	Operator  string
	Key       string
	Values    []string
}

// Result is an evaluation's decision with everything behind it.
type Result struct {
	Decision Decision
	// Types has one entry per policy type, always in this order: identity, resource, grant,
	// boundary, scp, session, rcp, vpc_endpoint.
	Types   []TypeResult
	Matched []StatementRef // every statement that applied (allow and deny), never just the first
	// Misses are near misses, Allow statements that almost applied: statements naming the
	// principal and the action that failed on a resource or condition (one Miss per failed element), resource-policy statements that would
	// have applied but for their Principal (the key account's own IAM-delegation statement
	// excepted), and grants to the principal that fail on operation or constraints. Treat the
	// Expected/Actual slices as read-only: they may share storage.
	Misses []Miss
	// Conditional is non-empty when access depends on unknown context keys: the most permissive
	// reading allows and the strictest does not. Decision is then computed in the most permissive
	// reading (unknown conditions satisfied in Allow statements, unsatisfied in Deny statements);
	// these are the conditions on unknown keys in statements that otherwise applied: those of
	// Allow statements must hold and those of Deny statements must not for the decision to stand.
	Conditional []Unknowable
	// Levels has one entry per level of Set.SCPLevels and then of Set.RCPLevels, in the order
	// given (root first), when the hierarchy applies; a level with Outcome no_match or deny is
	// one that denied.
	Levels []LevelResult
	// Exempt lists the guardrails given in the Set that do not apply to this request (their
	// type's outcome is then OutcomeExempt).
	Exempt []Exemption
}
