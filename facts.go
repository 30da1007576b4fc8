package xsdoctor

import "slices"

// Facts is everything the probe read from AWS, and everything it failed to read. door.Check is a
// pure function of it. A failed read is recorded as a *ReadError next to the fact it would have
// produced; it makes a door unknown, it never aborts the run.
//
// Policy documents are kept as the raw JSON text AWS returned (already URL-decoded), so the
// evidence can quote them and the facts can be replayed offline.
type Facts struct {
	Input          Input           `json:"input"`
	Owner          Account         `json:"owner"`               // the secret's account
	Consumer       Account         `json:"consumer"`            // the consumer principal's account
	KeyOwner       *Account        `json:"key_owner,omitempty"` // the key's account when it is neither of the above
	Secret         Secret          `json:"secret"`
	Key            Key             `json:"key"`
	Role           Role            `json:"role"`
	Simulations    []Simulation    `json:"simulations,omitempty"`
	SimulationErr  *ReadError      `json:"simulation_error,omitempty"` // the simulator could not be called
	AssumeFailures []AssumeFailure `json:"assume_failures,omitempty"`
	Live           *Live           `json:"live,omitempty"`
	Calls          []Call          `json:"calls,omitempty"`
	// Org is what the organization reader (--org-role, --org-profile) read: the SCPs and RCPs on
	// every level above the consumer, owner and key accounts. nil without org access.
	Org *Org `json:"org,omitempty"`
	// VPCEndpoints are the consumer account's interface endpoints for Secrets Manager in the
	// secret's region (ec2:DescribeVpcEndpoints); nil when no consumer session could ask.
	VPCEndpoints *VPCEndpoints `json:"vpc_endpoints,omitempty"`
	// Now is the time the probe ran, RFC 3339, used for aws:CurrentTime / aws:EpochTime.
	Now string `json:"now"`
	// TimeoutMS is the --timeout, in milliseconds, when it expired and cut reads (each cut read
	// has Class FailureTimeout); zero when every read ended before it.
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

// Input is what the user asked for, after resolution.
type Input struct {
	SecretArg   string `json:"secret_arg"`   // as typed
	SecretARN   string `json:"secret_arn"`   // the full ARN (resolved when SecretArg was a name or partial ARN)
	Resolved    bool   `json:"resolved"`     // SecretArg was not a full ARN and was resolved (INPUT_NOT_FULL_ARN)
	ConsumerArg string `json:"consumer_arg"` // as typed: role ARN or assumed-role session ARN
	Region      string `json:"region"`
	// The inspector roles and profiles as given (empty: the ambient credentials).
	OwnerRole       string `json:"owner_role,omitempty"`
	ConsumerRole    string `json:"consumer_role,omitempty"`
	KeyRole         string `json:"key_role,omitempty"`
	OwnerProfile    string `json:"owner_profile,omitempty"`
	ConsumerProfile string `json:"consumer_profile,omitempty"`
	OrgRole         string `json:"org_role,omitempty"`
	OrgProfile      string `json:"org_profile,omitempty"`
	// Error is what --from-error parsed; nil without it.
	Error *ErrorText `json:"error,omitempty"`
}

// Account is what was learnt about one account.
type Account struct {
	ID string `json:"id"`
	// OrgID is the organization id from organizations:DescribeOrganization; empty with NoOrg when
	// the account is in no organization; empty with OrgErr set when it could not be read.
	OrgID  string     `json:"org_id,omitempty"`
	NoOrg  bool       `json:"no_org,omitempty"`
	OrgErr *ReadError `json:"org_error,omitempty"`
	// Management is true when the account is its organization's management account (SCPs do
	// not apply to it).
	Management bool `json:"management,omitempty"`
	// ManagementAccount is the organization's management account id (DescribeOrganization's
	// MasterAccountId, which every member may read): where SCPs and RCPs are changed.
	ManagementAccount string `json:"management_account,omitempty"`
}

// ReadError records a read that failed: which call, the AWS error code, and the IAM action the
// inspector would need (when the failure is an access denial).
type ReadError struct {
	Call    string `json:"call"`              // "<service>:<Operation>", e.g. "kms:GetKeyPolicy"
	Account string `json:"account,omitempty"` // the account the call was made in
	Code    string `json:"code"`              // AWS error code, e.g. "AccessDeniedException"; "" for a transport error
	Message string `json:"message,omitempty"`
	Action  string `json:"action,omitempty"` // the IAM action that was missing, e.g. "kms:GetKeyPolicy"
	Failure
}

// Secret is what DescribeSecret and GetResourcePolicy said. ARN, Partition, Account and Region are
// the subject, normalised once by the probe from the (resolved) secret ARN: every later layer
// reads them here and never parses the input again.
type Secret struct {
	ARN       string `json:"arn"`
	Name      string `json:"name"`
	Partition string `json:"partition"` // aws, aws-cn or aws-us-gov
	Account   string `json:"account"`
	Region    string `json:"region"`
	// KMSKeyID is DescribeSecret.KmsKeyId exactly as returned: key id, key ARN, alias name, alias
	// ARN, or empty when the secret uses the AWS managed key aws/secretsmanager.
	KMSKeyID string `json:"kms_key_id,omitempty"`
	// DeletedDate is DescribeSecret.DeletedDate (RFC 3339) when deletion is scheduled.
	DeletedDate string `json:"deleted_date,omitempty"`
	// VersionID is the AWSCURRENT version id (the encryption context's SecretVersionId); empty
	// when the secret has none (NoCurrentVersion) or when neither DescribeSecret nor
	// ListSecretVersionIds could tell it.
	VersionID string `json:"version_id,omitempty"`
	// Versions is every version ListSecretVersionIds listed (deprecated ones included), with
	// the keys that encrypt it as AWS returned them; VersionsErr says why it could not be read.
	Versions    []Version  `json:"versions,omitempty"`
	VersionsErr *ReadError `json:"versions_error,omitempty"`
	// NoCurrentVersion is true when the secret was read and no version is staged AWSCURRENT (a
	// secret created without a value): GetSecretValue fails with ResourceNotFoundException.
	NoCurrentVersion bool `json:"no_current_version,omitempty"`
	// KMSKeyARN is the configured key (KMSKeyID) resolved to its ARN, when it could be: compared
	// with the keys of AWSCURRENT, it tells whether the current version is under another key.
	KMSKeyARN string `json:"kms_key_arn,omitempty"`
	// PrimaryRegion is DescribeSecret.PrimaryRegion: set when this secret is a replica.
	PrimaryRegion string `json:"primary_region,omitempty"`
	// Replicas is the primary's ReplicationStatus, each replica's key read in its own region.
	Replicas []Replica         `json:"replicas,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
	NotFound bool              `json:"not_found,omitempty"` // DescribeSecret said ResourceNotFoundException
	Err      *ReadError        `json:"error,omitempty"`     // DescribeSecret failed
	// Policy is the resource policy text; empty with PolicyErr nil means the secret has none.
	Policy    string     `json:"policy,omitempty"`
	PolicyErr *ReadError `json:"policy_error,omitempty"`
}

// Key is what DescribeKey, GetKeyPolicy and ListGrants said about the secret's key.
type Key struct {
	ARN     string     `json:"arn,omitempty"` // the key ARN (resolved from an alias when needed)
	ID      string     `json:"id,omitempty"`
	Account string     `json:"account,omitempty"`
	Region  string     `json:"region,omitempty"`
	Alias   string     `json:"alias,omitempty"`   // the alias the secret names, if any
	Manager string     `json:"manager,omitempty"` // CUSTOMER or AWS
	State   string     `json:"state,omitempty"`   // Enabled, Disabled, PendingDeletion, …
	Err     *ReadError `json:"error,omitempty"`   // the key could not be identified or described
	// Policy is the key policy text (GetKeyPolicy, policy name "default").
	Policy    string     `json:"policy,omitempty"`
	PolicyErr *ReadError `json:"policy_error,omitempty"`
	Grants    []Grant    `json:"grants,omitempty"`
	GrantsErr *ReadError `json:"grants_error,omitempty"`
	// Tags (kms:ListResourceTags) and Aliases (kms:ListAliases for the key) fill the KMS hop's
	// aws:ResourceTag/* and kms:ResourceAliases; TagsErr and AliasesErr say why they are unknown.
	Tags       map[string]string `json:"tags,omitempty"`
	TagsErr    *ReadError        `json:"tags_error,omitempty"`
	Aliases    []string          `json:"aliases,omitempty"`
	AliasesErr *ReadError        `json:"aliases_error,omitempty"`
}

// Version is one secret version as ListSecretVersionIds listed it.
type Version struct {
	ID     string   `json:"id"`
	Stages []string `json:"stages"`
	// KMSKeyIDs are the keys that encrypt the version, in whatever form AWS returned them (key
	// id, key ARN, alias name or alias ARN); empty on older APIs and emulators that omit them,
	// and then the secret's configured key decides.
	KMSKeyIDs []string `json:"kms_key_ids,omitempty"`
}

// HasStage reports whether the version carries the staging label.
func (v Version) HasStage(stage string) bool { return slices.Contains(v.Stages, stage) }

// Replica is one entry of the primary's DescribeSecret.ReplicationStatus.
type Replica struct {
	Region string `json:"region"`
	// KMSKeyID is ReplicationStatus[].KmsKeyId as returned; empty means the AWS managed key
	// aws/secretsmanager of the replica's region.
	KMSKeyID string `json:"kms_key_id,omitempty"`
	Status   string `json:"status,omitempty"`
	// Key is the replica's key, read in its region (nil when it was not read).
	Key *Key `json:"key,omitempty"`
}

// Grant is one KMS grant on the key.
type Grant struct {
	ID                      string            `json:"id"`
	Name                    string            `json:"name,omitempty"`
	GranteePrincipal        string            `json:"grantee_principal"`
	Operations              []string          `json:"operations"`
	EncryptionContextSubset map[string]string `json:"encryption_context_subset,omitempty"`
	EncryptionContextEquals map[string]string `json:"encryption_context_equals,omitempty"`
}

// Role is the consumer principal's role and every policy that shapes its identity side.
type Role struct {
	ARN string `json:"arn"` // role ARN with path (from GetRole; derived from the input when unread)
	// PathInferred is true when ARN was derived from an assumed-role session ARN because GetRole
	// could not be read: a session ARN carries no path (IAM User Guide, "IAM identifiers"), so
	// the role's path, and with it aws:PrincipalArn, is unknown.
	PathInferred bool              `json:"path_inferred,omitempty"`
	Name         string            `json:"name"`
	Path         string            `json:"path,omitempty"`
	ID           string            `json:"id,omitempty"`      // RoleId, AROA…
	Session      string            `json:"session,omitempty"` // the session name when the input was an assumed-role ARN
	Tags         map[string]string `json:"tags,omitempty"`
	Err          *ReadError        `json:"error,omitempty"`    // GetRole failed
	Policies     []Policy          `json:"policies,omitempty"` // inline and attached, in a stable order
	// PolicyErrs lists reads of the role's policies that failed (list or get); any one makes the
	// identity side incomplete.
	PolicyErrs []ReadError `json:"policy_errors,omitempty"`
	// Boundary is the permissions boundary; nil when the role has none.
	Boundary *Policy `json:"boundary,omitempty"`
	// TrustPolicy is the role's AssumeRolePolicyDocument (decoded).
	TrustPolicy string `json:"trust_policy,omitempty"`
}

// Policy is one identity policy (or the boundary) with its source.
type Policy struct {
	Name     string `json:"name"`          // inline policy name, or managed policy name
	ARN      string `json:"arn,omitempty"` // managed policies only
	Kind     string `json:"kind"`          // "inline", "managed", "aws-managed", "boundary"
	Version  string `json:"version,omitempty"`
	Document string `json:"document"` // decoded JSON text
}

// Simulation is one iam:SimulatePrincipalPolicy result.
type Simulation struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	Decision string `json:"decision"` // allowed, implicitDeny, explicitDeny
	// AllowedByOrganizations and AllowedByBoundary are nil when the simulator did not say.
	AllowedByOrganizations *bool                 `json:"allowed_by_organizations,omitempty"`
	AllowedByBoundary      *bool                 `json:"allowed_by_boundary,omitempty"`
	Matched                []SimulationStatement `json:"matched,omitempty"`
	MissingContext         []string              `json:"missing_context,omitempty"`
}

// SimulationStatement is one MatchedStatements entry.
type SimulationStatement struct {
	SourcePolicyID   string `json:"source_policy_id"`
	SourcePolicyType string `json:"source_policy_type,omitempty"`
}

// AssumeFailure records an inspector role (or the consumer, for --live) that could not be assumed.
type AssumeFailure struct {
	Role    string `json:"role"`
	Account string `json:"account"`
	Purpose string `json:"purpose"` // "owner", "consumer", "key"
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Failure
}

// ErrorText is what --from-error read in the error the workload logged (or the CloudTrail record
// of the failed call): who was refused what, and which policy type the error blames. Every field
// is copied from the text exactly as written; nothing here was checked against AWS.
type ErrorText struct {
	// Principal is the caller exactly as the error wrote it (usually an assumed-role session ARN);
	// the role it resolves to is the report's consumer.role_arn.
	Principal string `json:"principal,omitempty"`
	Action    string `json:"action,omitempty"`   // e.g. "secretsmanager:GetSecretValue"
	Resource  string `json:"resource,omitempty"` // as written; BatchGetSecretValue's error names none
	// PolicyType is the policy the error blames; empty for the bare form that names none.
	PolicyType PolicyType `json:"policy_type,omitempty"`
	// Deny is "implicit" ("because no … allows") or "explicit" ("with an explicit deny in …");
	// empty when the text does not say (the bare form, Secrets Manager's KMS messages).
	Deny string `json:"deny,omitempty"`
	// Format names the wrappers the error came in, outermost first, joined by "/": e.g.
	// "lambda-json/botocore", "aws-sdk-go-v2", "cloudtrail-records".
	Format string `json:"format"`
	// Secret is the secret the error names: a full ARN, a partial ARN, or a name (SecretARN is then
	// the partial ARN built from the region and account the error gives, when it gives them).
	Secret    string `json:"secret,omitempty"`
	SecretARN string `json:"secret_arn,omitempty"`
	Region    string `json:"region,omitempty"`
	Account   string `json:"account,omitempty"` // the secret's account
	ErrorCode string `json:"error_code,omitempty"`
	// Message is the AWS message itself, without the wrappers (at most 1000 bytes).
	Message string `json:"message,omitempty"`
}

// PolicyType is the policy an access-denied message blames, in the words of IAM's messages
// ("Troubleshoot access denied error messages", IAM User Guide), plus Secrets Manager's KMS
// messages, which blame the KMS side without naming a policy.
type PolicyType string

const (
	PolicyResourceBased PolicyType = "resource-based-policy"
	PolicyIdentityBased PolicyType = "identity-based-policy"
	PolicySCP           PolicyType = "service-control-policy"
	PolicyRCP           PolicyType = "resource-control-policy"
	PolicyBoundary      PolicyType = "permissions-boundary"
	PolicySession       PolicyType = "session-policy"
	PolicyVPCEndpoint   PolicyType = "vpc-endpoint-policy"
	PolicyKMS           PolicyType = "kms" // "Access to KMS is not allowed" and its siblings
)

// Deny kinds of ErrorText.Deny.
const (
	DenyImplicit = "implicit"
	DenyExplicit = "explicit"
)

// Org is what the organization reader read (the management account, or a delegated
// administrator for Organizations policies): for each account that matters, the path from the
// root down to it, and every SCP and RCP attached along those paths, each read once.
type Org struct {
	// Reader is how the org session was had: the --org-role ARN, or "profile NAME".
	Reader            string `json:"reader"`
	ID                string `json:"id,omitempty"`
	ManagementAccount string `json:"management_account,omitempty"`
	// Err is set when the org session could not be had: then nothing below was read.
	Err *ReadError `json:"error,omitempty"`
	// DescribeErr is a failed DescribeOrganization: ID and ManagementAccount are then unknown.
	DescribeErr *ReadError   `json:"describe_error,omitempty"`
	Accounts    []OrgAccount `json:"accounts,omitempty"` // consumer, owner and key account, each once, sorted by id
	Policies    []OrgPolicy  `json:"policies,omitempty"` // sorted by id
}

// OrgAccount is one account's place in the organization.
type OrgAccount struct {
	ID string `json:"id"`
	// Member is false when the organization does not hold the account (ListParents answered
	// ChildNotFoundException or AccountNotFoundException): none of its SCPs or RCPs apply there.
	Member bool `json:"member"`
	// Levels run from the root to the account itself, root first.
	Levels []OrgLevel `json:"levels,omitempty"`
	Err    *ReadError `json:"error,omitempty"` // ListParents failed: the path is unknown
}

// OrgLevel is one node of a path: the root, an OU or the account, with the ids of the policies
// attached to it (ListPoliciesForTarget, one call per policy type).
type OrgLevel struct {
	Target string     `json:"target"` // r-…, ou-…, or the 12-digit account id
	Kind   string     `json:"kind"`   // ROOT, ORGANIZATIONAL_UNIT or ACCOUNT
	SCPs   []string   `json:"scps"`
	RCPs   []string   `json:"rcps"`
	SCPErr *ReadError `json:"scp_error,omitempty"`
	RCPErr *ReadError `json:"rcp_error,omitempty"`
}

// OrgPolicy is one SCP or RCP (DescribePolicy).
type OrgPolicy struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Type       string     `json:"type"` // SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY
	AWSManaged bool       `json:"aws_managed,omitempty"`
	Document   string     `json:"document,omitempty"`
	Err        *ReadError `json:"error,omitempty"` // DescribePolicy failed
}

// Organizations policy types, as the Organizations API names them.
const (
	PolicyTypeSCP = "SERVICE_CONTROL_POLICY"
	PolicyTypeRCP = "RESOURCE_CONTROL_POLICY"
)

// VPCEndpoints is what ec2:DescribeVpcEndpoints said in the consumer account.
type VPCEndpoints struct {
	Account   string        `json:"account"`
	Region    string        `json:"region"`
	Endpoints []VPCEndpoint `json:"endpoints,omitempty"` // interface endpoints for secretsmanager, sorted by id
	Err       *ReadError    `json:"error,omitempty"`
}

// VPCEndpoint is one interface endpoint and its policy.
type VPCEndpoint struct {
	ID      string `json:"id"`
	VPC     string `json:"vpc,omitempty"`
	Service string `json:"service"`          // com.amazonaws.<region>.secretsmanager
	Policy  string `json:"policy,omitempty"` // PolicyDocument, decoded; "" = full access (the default)
}
