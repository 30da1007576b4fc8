// Package xsdoctor holds the vocabulary shared by every layer of the tool: the facts read from
// AWS (Facts), and the diagnosis made from them (Diagnosis, Door, Finding). It does no I/O and
// imports only the standard library, so every layer can be tested from plain JSON files and a user
// can attach the facts to a ticket and replay them offline.
//
// Data flows one way: flags → probe.Gather → Facts → door.Check → Diagnosis → report.
package xsdoctor

import "cmp"

// SchemaVersion is the version of the JSON report (SPEC §3). Bump it when a field changes meaning.
const SchemaVersion = "1"

// DoorID names one of the three doors a cross-account GetSecretValue must pass.
type DoorID string

const (
	DoorKeyPolicy    DoorID = "key-policy"    // owner (key) side: KMS key policy or a grant
	DoorSecretPolicy DoorID = "secret-policy" // owner side: the secret's resource policy
	DoorConsumerIAM  DoorID = "consumer-iam"  // consumer side: identity policies, boundary, SCPs
)

// Doors lists the doors in report order (SPEC §3: always all three, in this order).
var Doors = []DoorID{DoorKeyPolicy, DoorSecretPolicy, DoorConsumerIAM}

// State is a door's state, or the overall verdict.
type State string

const (
	StateOpen        State = "open"
	StateClosed      State = "closed"
	StateUnknown     State = "unknown"     // a fact that could change the answer was not read
	StateConditional State = "conditional" // opens only under request context unknowable offline
)

// Code is a stable finding code (SPEC §4). A code never changes meaning.
type Code string

const (
	// Door key-policy.
	KeyAWSManaged              Code = "KEY_AWS_MANAGED"
	KeyNotEnabled              Code = "KEY_NOT_ENABLED"
	KeyPolicyNoAllow           Code = "KEY_POLICY_NO_ALLOW"
	KeyPolicyExplicitDeny      Code = "KEY_POLICY_EXPLICIT_DENY"
	KeyPolicyConditionMismatch Code = "KEY_POLICY_CONDITION_MISMATCH"
	KeyGrantAllows             Code = "KEY_GRANT_ALLOWS"
	KeyPolicyUnreadable        Code = "KEY_POLICY_UNREADABLE"
	VersionKeyMismatch         Code = "VERSION_KEY_MISMATCH"
	KeyRCPDeny                 Code = "KEY_RCP_DENY"

	// Door secret-policy.
	SecretPolicyMissing           Code = "SECRET_POLICY_MISSING"
	SecretPolicyNoAllow           Code = "SECRET_POLICY_NO_ALLOW"
	SecretPolicyExplicitDeny      Code = "SECRET_POLICY_EXPLICIT_DENY"
	SecretPolicyConditionMismatch Code = "SECRET_POLICY_CONDITION_MISMATCH"
	SecretPolicyStalePrincipal    Code = "SECRET_POLICY_STALE_PRINCIPAL"
	SecretPolicyUnreadable        Code = "SECRET_POLICY_UNREADABLE"
	SecretRCPDeny                 Code = "SECRET_RCP_DENY"

	// Door consumer-iam.
	IAMNoSecretAllow          Code = "IAM_NO_SECRET_ALLOW"
	IAMNoKMSAllow             Code = "IAM_NO_KMS_ALLOW"
	IAMKMSAliasResource       Code = "IAM_KMS_ALIAS_RESOURCE"
	IAMSecretResourceMismatch Code = "IAM_SECRET_RESOURCE_MISMATCH"
	IAMExplicitDeny           Code = "IAM_EXPLICIT_DENY"
	IAMBoundaryDeny           Code = "IAM_BOUNDARY_DENY"
	IAMSCPDeny                Code = "IAM_SCP_DENY"
	IAMUnreadable             Code = "IAM_UNREADABLE"
	ConsumerNotFound          Code = "CONSUMER_NOT_FOUND"
	IAMVPCEPolicyDeny         Code = "IAM_VPCE_POLICY_DENY"
	SimulationDisagrees       Code = "SIMULATION_DISAGREES"
	SimulationUnavailable     Code = "SIMULATION_UNAVAILABLE"

	// Any door.
	DoorConditional Code = "DOOR_CONDITIONAL"

	// Top level.
	SecretPendingDeletion  Code = "SECRET_PENDING_DELETION"
	SecretNotFound         Code = "SECRET_NOT_FOUND"
	InputNotFullARN        Code = "INPUT_NOT_FULL_ARN"
	KeyInOtherAccount      Code = "KEY_IN_OTHER_ACCOUNT"
	SecretNoCurrentVersion Code = "SECRET_NO_CURRENT_VERSION"
	AssumeRoleFailed       Code = "ASSUME_ROLE_FAILED"
	ProbeTimeout           Code = "PROBE_TIMEOUT"
	ReplicaKeyDiffers      Code = "REPLICA_KEY_DIFFERS"
	ErrorPointsElsewhere   Code = "ERROR_POINTS_ELSEWHERE"
	LiveDisagrees          Code = "LIVE_DISAGREES"
	ResidualGuardrails     Code = "RESIDUAL_GUARDRAILS"
)

// Effect is what a finding does to its door, or at the top level to the verdict (SPEC §3). door
// sets it on every finding; a door's state and the verdict follow from the effects, so nothing
// downstream needs to know what a code means.
type Effect string

const (
	EffectCloses      Effect = "closes"      // proves its door closed; at the top level, a precondition that blocks the read
	EffectUnknown     Effect = "unknown"     // a fact it needs was not read
	EffectConditional Effect = "conditional" // depends on request context nobody can know offline
	EffectInfo        Effect = "info"        // worth knowing; changes no state
)

// State is the door state a finding with this effect gives its door: closed, unknown or
// conditional, and "" for info, which leaves the door to its other findings. A finding without an
// effect counts as unknown: a finding nobody judged must never let a door look open.
func (e Effect) State() State {
	switch e {
	case EffectCloses:
		return StateClosed
	case EffectConditional:
		return StateConditional
	case EffectInfo:
		return ""
	default:
		return StateUnknown
	}
}

// DoorState is the state a door's findings give it, in SPEC §3's order: closed if any finding
// closes it, else unknown if any is unknown, else conditional if any is conditional, else open.
func DoorState(findings []Finding) State {
	state := StateOpen
	for _, f := range findings {
		switch f.Effect.State() {
		case StateClosed:
			return StateClosed
		case StateUnknown:
			state = StateUnknown
		case StateConditional:
			if state == StateOpen {
				state = StateConditional
			}
		}
	}
	return state
}

// Diagnosis is the whole report (SPEC §3). It is a plain value: report renders it, nothing
// else. Every slice is sorted or in a fixed order so that the JSON is deterministic.
type Diagnosis struct {
	SchemaVersion string          `json:"schema_version"`
	Secret        SecretSummary   `json:"secret"`
	Consumer      ConsumerSummary `json:"consumer"`
	Input         InputSummary    `json:"input"`
	// ErrorMatch sets the error the workload logged (--from-error) beside the verdict; nil
	// without --from-error.
	ErrorMatch *ErrorMatch `json:"error_match,omitempty"`
	Verdict    State       `json:"verdict"`
	Doors      []Door      `json:"doors"`
	Findings   []Finding   `json:"findings"`
	Live       *Live       `json:"live,omitempty"`
	Calls      []Call      `json:"calls"`
	// Guardrails lists the SCPs, RCPs and VPC endpoint policies that apply to this read, with
	// whether each was read; absent when none is known.
	Guardrails []Guardrail `json:"guardrails,omitempty"`
}

// Guardrail is one organization policy or VPC endpoint policy that applies to the read.
type Guardrail struct {
	Type   string `json:"type"`   // PolicyTypeSCP, PolicyTypeRCP or PolicyTypeVPCE
	ID     string `json:"id"`     // p-…, or the VPC endpoint id
	Name   string `json:"name"`   // the policy's name; the endpoint's service name
	Target string `json:"target"` // the root, OU or account it is attached to; the VPC endpoint id
	Read   bool   `json:"read"`
}

// PolicyTypeVPCE is the guardrail type of a VPC endpoint policy.
const PolicyTypeVPCE = "VPC_ENDPOINT_POLICY"

// SecretSummary identifies the secret and its key in the report.
type SecretSummary struct {
	ARN     string      `json:"arn"`
	Account string      `json:"account"`
	Region  string      `json:"region"`
	KMSKey  *KeySummary `json:"kms_key,omitempty"`
	// PrimaryRegion is set when the secret checked is a replica; Replicas lists the primary's
	// replicas, Versions every version read, with the keys that encrypt it.
	PrimaryRegion string           `json:"primary_region,omitempty"`
	Replicas      []ReplicaSummary `json:"replicas,omitempty"`
	Versions      []Version        `json:"versions,omitempty"`
}

// ReplicaSummary is one replica of the secret as the primary's DescribeSecret lists it.
type ReplicaSummary struct {
	Region   string `json:"region"`
	KMSKeyID string `json:"kms_key_id,omitempty"` // empty: the AWS managed key of that region
	Status   string `json:"status,omitempty"`
}

// KeySummary identifies the key that encrypts the secret.
type KeySummary struct {
	ARN     string `json:"arn"`
	Manager string `json:"manager,omitempty"` // CUSTOMER or AWS; empty when unread
	State   string `json:"state,omitempty"`   // DescribeKey KeyState; empty when unread
}

// ConsumerSummary identifies the principal that fails.
type ConsumerSummary struct {
	Principal string `json:"principal"` // as the user gave it (role or session ARN)
	RoleARN   string `json:"role_arn"`  // the role, with its path when GetRole could be read
	Account   string `json:"account"`
}

// InputSummary records what the user gave (SPEC §3 "input"): the secret and the consumer as
// typed (or as parsed from the error), the region, the inspector roles and profiles, and with
// --from-error what was parsed from the error, exactly as written.
type InputSummary struct {
	Secret          string     `json:"secret"`
	Consumer        string     `json:"consumer"`
	Region          string     `json:"region,omitempty"`
	OwnerRole       string     `json:"owner_role,omitempty"`
	ConsumerRole    string     `json:"consumer_role,omitempty"`
	KeyRole         string     `json:"key_role,omitempty"`
	OwnerProfile    string     `json:"owner_profile,omitempty"`
	ConsumerProfile string     `json:"consumer_profile,omitempty"`
	OrgRole         string     `json:"org_role,omitempty"`
	OrgProfile      string     `json:"org_profile,omitempty"`
	Error           *ErrorText `json:"error,omitempty"`
}

// ErrorMatch is the error and the verdict side by side: the doors the error's policy type maps to
// (SPEC §9), their states here, and whether the error points elsewhere (ERROR_POINTS_ELSEWHERE).
type ErrorMatch struct {
	Blames []DoorID `json:"blames"` // empty: the policy type maps to no door (a session policy)
	// Summary is one line: what the error blames and what the doors say.
	Summary string `json:"summary"`
	// Elsewhere is true when ERROR_POINTS_ELSEWHERE was added.
	Elsewhere bool `json:"elsewhere"`
	// StandIn names the principal's usual mistake, when its name shows one (an EC2 instance's
	// role, an ECS task execution role, a CloudFormation role).
	StandIn string `json:"stand_in,omitempty"`
}

// Door is one door's verdict with the findings that explain it.
type Door struct {
	Door     DoorID    `json:"door"`
	State    State     `json:"state"`
	Findings []Finding `json:"findings"`
}

// Finding is one diagnosed fact: a stable code, a one-line summary, the evidence it rests on and,
// where something must change, the fix.
type Finding struct {
	Code     Code       `json:"code"`
	Effect   Effect     `json:"effect"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"` // what to do next, in a sentence or two
	Evidence []Evidence `json:"evidence,omitempty"`
	Fix      *Fix       `json:"fix,omitempty"`
}

// Evidence names what a finding rests on: a policy statement, or an API response.
type Evidence struct {
	Source    string `json:"source"`              // e.g. "key policy of arn:aws:kms:…", "iam:SimulatePrincipalPolicy"
	Policy    string `json:"policy,omitempty"`    // policy name or ARN
	Sid       string `json:"sid,omitempty"`       // statement Sid, when it has one
	Index     int    `json:"index,omitempty"`     // 1-based statement index
	Effect    string `json:"effect,omitempty"`    // Allow or Deny
	Target    string `json:"target,omitempty"`    // for an SCP or RCP: the root, OU or account it is attached to
	Condition string `json:"condition,omitempty"` // e.g. "StringEquals kms:ViaService"
	Expected  string `json:"expected,omitempty"`  // what the statement wants
	Actual    string `json:"actual,omitempty"`    // what the request carries
	Note      string `json:"note,omitempty"`      // anything else, one line
}

// Fix says which account must change what: the statement that opens the door, the whole new
// policy, standalone Terraform for that account, and ordered steps (SPEC §3, "A fix is whole and
// checked": door evaluates the door with the fix applied before it is printed).
type Fix struct {
	Account   string   `json:"account"`             // the account where the change is made
	Where     string   `json:"where"`               // e.g. "key policy of arn:aws:kms:…"
	Statement string   `json:"statement,omitempty"` // the statement that opens the door, JSON
	Policy    string   `json:"policy,omitempty"`    // the complete new policy document, JSON
	Terraform string   `json:"terraform,omitempty"` // standalone Terraform for Account, literal ARNs
	Steps     []string `json:"steps,omitempty"`     // ordered steps, when a policy is not enough
}

// Live is the result of the optional live GetSecretValue (SPEC §3). The value is never kept.
type Live struct {
	Result    string `json:"result"` // allowed, denied, error, skipped
	ErrorCode string `json:"error_code,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// Live results.
const (
	LiveAllowed = "allowed"
	LiveDenied  = "denied"
	LiveError   = "error"
	LiveSkipped = "skipped"
)

// Call records one AWS API call made by the probe (for --debug and the report's calls list).
type Call struct {
	Account   string `json:"account"`
	Service   string `json:"service"`   // signing name, e.g. "kms", "secretsmanager", "iam", "sts"
	Operation string `json:"operation"` // e.g. "GetKeyPolicy"
	MS        int64  `json:"ms"`
	RequestID string `json:"request_id,omitempty"`
	ErrorCode string `json:"error_code"`
}

// CompareCalls orders calls for the report: by account, service, operation, error code, then
// request id, so that the calls list is deterministic whatever order they completed in.
func CompareCalls(a, b Call) int {
	return cmp.Or(
		cmp.Compare(a.Account, b.Account),
		cmp.Compare(a.Service, b.Service),
		cmp.Compare(a.Operation, b.Operation),
		cmp.Compare(a.ErrorCode, b.ErrorCode),
		cmp.Compare(a.RequestID, b.RequestID),
	)
}
