// Package awsemu is xsdoctor's AWS emulator: one http.Handler speaking STS, IAM, KMS, Secrets
// Manager, Organizations and EC2 (DescribeVpcEndpoints) over the real wire, driven by a scenario
// file (SPEC §6).
//
// This file holds the scenario model: the types a scenario file decodes into, and Load/Parse,
// which decode, apply SPEC §6's defaults, derive the ids AWS would have generated, create the
// AWS managed key aws/secretsmanager where a secret needs it, and validate the result, naming
// every problem by its JSON path. Where the rest lives: scenario_decode.go (the strict decoder,
// the nesting limit), scenario_build.go (defaults, references, policy size), scenario_keys.go,
// scenario_secrets.go (versions, replicas), scenario_org.go (the organization), ops_*.go (one
// file per service), wire_*.go (the protocols), authz.go (GetSecretValue), simulate.go.
package awsemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/xsdoctor/xsdoctor/policy"
)

// DefaultRegion is the region of a scenario that names none (SPEC §6).
const DefaultRegion = "us-east-1"

// DefaultOperator owns every credential the emulator did not issue (SPEC §6).
const DefaultOperator = "arn:aws:iam::999999999999:user/oncall"

// Key managers and states, as KMS DescribeKey spells them (KMS API reference: KeyMetadata).
const (
	ManagerCustomer = "CUSTOMER"
	ManagerAWS      = "AWS"

	StateEnabled         = "Enabled"
	StateDisabled        = "Disabled"
	StatePendingDeletion = "PendingDeletion"
)

// AWSManagedSecretsAlias is the alias of the key Secrets Manager uses when a secret names none.
const AWSManagedSecretsAlias = "alias/aws/secretsmanager"

// Epoch is the creation date of everything a scenario defines: scenarios carry no dates of their
// own, and a fixed date keeps every answer deterministic.
var Epoch = time.Date(2026, time.January, 5, 9, 30, 0, 0, time.UTC)

// Scenario is the AWS state of every account involved, how xsdoctor is invoked against it and
// what a correct diagnosis is (SPEC §6). Fields tagged json:"-" are derived by Load.
type Scenario struct {
	Name               string               `json:"name"`
	Summary            string               `json:"summary"`
	Region             string               `json:"region"`
	Operator           string               `json:"operator"`
	AWSManagedPolicies map[string]PolicyDoc `json:"aws_managed_policies"`
	Accounts           map[string]*Account  `json:"accounts"`
	// Org, when present, is the one source of organization facts (SPEC §6 "organization").
	Org    *Org    `json:"organization"`
	Faults []Fault `json:"faults"`
	Check  Check   `json:"check"`
	Expect *Expect `json:"expect"`

	// AccountIDs lists the accounts in ascending order, for deterministic iteration.
	AccountIDs []string `json:"-"`
	// Path is the file the scenario was loaded from ("" for Parse).
	Path string `json:"-"`

	policies map[string]*ManagedPolicy // by ARN, customer and AWS managed
	roles    map[string]*Role          // by role ARN (with path) and by "account/name"
	keys     map[string]*Key           // by key ARN
	aliases  map[string]*Alias         // by alias ARN
	secrets  map[string]*Secret        // by full secret ARN, replicas included
	byName   map[string]*Secret        // by "account/region/name", replicas included
}

// Account is one AWS account's state.
type Account struct {
	OrgID         string                    `json:"org_id"`
	OrgManagement bool                      `json:"org_management"`
	SCPs          []PolicyDoc               `json:"scps"`
	Policies      map[string]*ManagedPolicy `json:"policies"`
	Roles         map[string]*Role          `json:"roles"`
	Keys          map[string]*Key           `json:"keys"`
	Secrets       map[string]*Secret        `json:"secrets"`
	// VPCEndpoints are served by ec2:DescribeVpcEndpoints; GetSecretValue does not apply them
	// (the emulator cannot know which endpoint a call came through).
	VPCEndpoints []*VPCEndpoint `json:"vpc_endpoints"`

	ID string `json:"-"`
}

// VPCEndpoint is an interface VPC endpoint of an account.
type VPCEndpoint struct {
	ID      string     `json:"id"`
	Service string     `json:"service"` // e.g. secretsmanager: ServiceName com.amazonaws.<region>.<service>
	VPC     string     `json:"vpc"`
	Region  string     `json:"region"`
	Policy  *PolicyDoc `json:"policy"` // nil: the default full-access policy

	Account string `json:"-"`
}

// ServiceName is the endpoint's ServiceName as EC2 reports it.
func (v *VPCEndpoint) ServiceName() string { return "com.amazonaws." + v.Region + "." + v.Service }

// ManagedPolicy is a customer managed policy (accounts.<id>.policies.<name>) or an AWS managed
// one (aws_managed_policies.<name>, served as arn:aws:iam::aws:policy/<name>).
type ManagedPolicy struct {
	Path     string    `json:"path"`
	Document PolicyDoc `json:"document"`

	Name           string `json:"-"`
	Account        string `json:"-"` // "aws" for an AWS managed policy
	ARN            string `json:"-"`
	ID             string `json:"-"` // ANPA…
	DefaultVersion string `json:"-"` // always "v1": a scenario holds one version
	AWSManaged     bool   `json:"-"`
}

// Role is an IAM role.
type Role struct {
	Path                string               `json:"path"`
	ID                  string               `json:"id"`
	Assumable           *bool                `json:"assumable"`
	ExternalID          string               `json:"external_id"`
	Tags                map[string]string    `json:"tags"`
	InlinePolicies      map[string]PolicyDoc `json:"inline_policies"`
	ManagedPolicies     []string             `json:"managed_policies"`
	PermissionsBoundary string               `json:"permissions_boundary"`
	DeniedCalls         []string             `json:"denied_calls"`
	Simulation          map[string]string    `json:"simulation"`
	Description         string               `json:"description"`

	Name    string `json:"-"`
	Account string `json:"-"`
	ARN     string `json:"-"` // arn:aws:iam::<account>:role<path><name>
}

// Key is a KMS key, customer managed or AWS managed.
type Key struct {
	Region       string     `json:"region"`
	Manager      string     `json:"manager"`
	State        string     `json:"state"`
	Description  string     `json:"description"`
	Aliases      []string   `json:"aliases"`
	Policy       *PolicyDoc `json:"policy"`
	Grants       []*Grant   `json:"grants"`
	DeletionDate string     `json:"deletion_date"` // RFC 3339; for PendingDeletion
	// Tags are served by kms:ListResourceTags and are the KMS hop's aws:ResourceTag/<k>.
	Tags map[string]string `json:"tags"`

	ID      string `json:"-"`
	Account string `json:"-"`
	ARN     string `json:"-"` // arn:aws:kms:<region>:<account>:key/<id>
}

// Grant is a KMS grant on a key.
type Grant struct {
	Name              string           `json:"name"`
	GranteePrincipal  string           `json:"grantee_principal"`
	RetiringPrincipal string           `json:"retiring_principal"`
	Operations        []string         `json:"operations"`
	Constraints       *GrantConstraint `json:"constraints"`

	ID             string `json:"-"` // 64 hex digits, as KMS issues them
	KeyID          string `json:"-"`
	KeyARN         string `json:"-"`
	IssuingAccount string `json:"-"` // arn:aws:iam::<key account>:root
}

// GrantConstraint restricts a grant to requests with a matching encryption context.
type GrantConstraint struct {
	EncryptionContextSubset map[string]string `json:"encryption_context_subset"`
	EncryptionContextEquals map[string]string `json:"encryption_context_equals"`
}

// Alias is a KMS alias and the key it points to.
type Alias struct {
	Name    string // alias/…
	ARN     string // arn:aws:kms:<region>:<account>:alias/…
	Account string
	Region  string
	Key     *Key
}

// Secret is a Secrets Manager secret: a primary secret the scenario lists, or a replica the
// loader derives from a primary's replicas.
type Secret struct {
	Region         string     `json:"region"`
	Suffix         string     `json:"suffix"`
	KMSKeyID       string     `json:"kms_key_id"` // echoed by DescribeSecret exactly as written
	ResourcePolicy *PolicyDoc `json:"resource_policy"`
	DeletedDate    string     `json:"deleted_date"` // echoed, never compared with the clock
	Value          string     `json:"value"`
	Description    string     `json:"description"`
	// Tags are returned by DescribeSecret and are the request's aws:ResourceTag/<k>.
	Tags map[string]string `json:"tags"`
	// Versions, when the scenario lists them (nil: one derived version staged AWSCURRENT under
	// the secret's key; empty: a secret created without a value).
	Versions []*SecretVersion `json:"versions"`
	Replicas []*Replica       `json:"replicas"`

	Name      string `json:"-"`
	Account   string `json:"-"`
	ARN       string `json:"-"`
	VersionID string `json:"-"` // the AWSCURRENT version ("" when no version carries it)
	Key       *Key   `json:"-"` // the configured key (the AWS managed key when KMSKeyID is "")
	// PrimaryRegion is set on a replica (the primary's region) and on a primary that has
	// replicas (its own region), as DescribeSecret shows it.
	PrimaryRegion string  `json:"-"`
	Primary       *Secret `json:"-"` // for a replica, the secret it replicates

	derivedVersion bool // the scenario listed no versions: one was derived
}

// SecretVersion is one version of a secret, with its staging labels and the keys that encrypt
// it (ListSecretVersionIds: VersionStages, KmsKeyIds).
type SecretVersion struct {
	ID        string   `json:"id"`
	Stages    []string `json:"stages"`
	KMSKeyID  string   `json:"kms_key_id"`
	KMSKeyIDs []string `json:"kms_key_ids"`

	Keys []*Key `json:"-"` // resolved, in the order given; never empty after loading
}

// HasStage reports whether the version carries the staging label stage.
func (v *SecretVersion) HasStage(stage string) bool { return slices.Contains(v.Stages, stage) }

// Replica is a region a secret is replicated to (DescribeSecret: ReplicationStatus).
type Replica struct {
	Region        string `json:"region"`
	KMSKeyID      string `json:"kms_key_id"` // echoed in ReplicationStatus exactly as written
	Status        string `json:"status"`     // InSync (default), InProgress or Failed
	StatusMessage string `json:"status_message"`

	Secret *Secret `json:"-"` // the replica secret the loader derives
}

// Fault makes matching calls fail or wait (SPEC §6 "faults").
type Fault struct {
	Call      string `json:"call"`  // service:Operation or "*"
	Error     string `json:"error"` // AWS error code, e.g. ThrottlingException
	Message   string `json:"message"`
	Times     int    `json:"times"` // the first Times matching calls fail; 0 with Error means every call
	LatencyMS int    `json:"latency_ms"`
}

// Check is how xsdoctor is invoked against the scenario.
type Check struct {
	Secret       string `json:"secret"`
	Consumer     string `json:"consumer"`
	OwnerRole    string `json:"owner_role"`
	ConsumerRole string `json:"consumer_role"`
	KeyRole      string `json:"key_role"`
	OrgRole      string `json:"org_role"` // the --org-role to use (SPEC §6)
	ExternalID   string `json:"external_id"`
	SessionName  string `json:"session_name"`
	Region       string `json:"region"`
	Live         bool   `json:"live"`
}

// Expect is what a correct diagnosis is; the emulator ignores it.
type Expect struct {
	Doors    map[string]string `json:"doors"`
	Findings []string          `json:"findings"`
	ExitCode *int              `json:"exit_code"`
	Live     string            `json:"live"`
}

// PolicyDoc is a policy document kept both as text (re-indented JSON, which GetKeyPolicy,
// GetResourcePolicy and the IAM reads return) and parsed for evaluation.
type PolicyDoc struct {
	Text   json.RawMessage
	Parsed *policy.Document

	// compact is the document without insignificant whitespace, the form whose size AWS limits.
	compact []byte
}

// String returns the document text.
func (d *PolicyDoc) String() string {
	if d == nil {
		return ""
	}
	return string(d.Text)
}

// Named returns the document as the policy engine takes it.
func (d *PolicyDoc) Named(name string) policy.Named {
	return policy.Named{Name: name, Doc: d.Parsed}
}

// LoadError is a scenario that cannot be loaded; Problems name each fault by JSON path.
type LoadError struct {
	Path     string
	Problems []string
}

func (e *LoadError) Error() string {
	msg := "scenario"
	if e.Path != "" {
		msg += " " + e.Path
	}
	msg += ": "
	for i, p := range e.Problems {
		if i > 0 {
			msg += "; "
		}
		msg += p
	}
	return msg + " (fix the file; SPEC §6 describes the format)"
}

// LoadOptions relaxes what Load and Parse require of a scenario.
type LoadOptions struct {
	// CheckFromElsewhere lets the check block omit secret and consumer: the caller supplies
	// them (demo --from-error takes them from the error text).
	CheckFromElsewhere bool
}

// Load reads, decodes and validates the scenario file at path. Warnings name fields that were
// ignored (unknown to SPEC §6).
func Load(path string) (*Scenario, []string, error) { return LoadWith(path, LoadOptions{}) }

// LoadWith is Load with options.
func LoadWith(path string, o LoadOptions) (*Scenario, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load scenario: %w", err)
	}
	s, warnings, err := ParseWith(data, o)
	if err != nil {
		var le *LoadError
		if errors.As(err, &le) {
			le.Path = path
		}
		return nil, warnings, err
	}
	s.Path = path
	return s, warnings, nil
}

// Parse decodes and validates a scenario from JSON text.
func Parse(data []byte) (*Scenario, []string, error) { return ParseWith(data, LoadOptions{}) }

// ParseWith is Parse with options.
func ParseWith(data []byte, o LoadOptions) (*Scenario, []string, error) {
	d := &decoder{}
	var s Scenario
	d.decodeRoot(data, &s)
	if len(d.errs) > 0 {
		return nil, d.warns, &LoadError{Problems: d.errs}
	}
	b := &builder{s: &s, opts: o}
	b.build()
	if len(b.errs) > 0 {
		return nil, d.warns, &LoadError{Problems: b.errs}
	}
	return &s, d.warns, nil
}
