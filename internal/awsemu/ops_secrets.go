package awsemu

import (
	"maps"
	"slices"
	"strconv"
	"time"
)

// Secrets Manager (awsJson1_1, target prefix "secretsmanager"): DescribeSecret,
// GetResourcePolicy, GetSecretValue, ListSecretVersionIds (Secrets Manager API reference).

const stageCurrent = "AWSCURRENT"

type secretIDInput struct {
	SecretID *string `json:"SecretId"`
}

// secret resolves SecretId: a full or partial ARN in the account it names, a bare name in the
// caller's own account and region (aws-semantics §3.1).
func (s *server) secret(c *call, id *string) (*Secret, *apiError) {
	if id == nil {
		return nil, validationError(c.svc, "secretId")
	}
	sec, err := s.sc.Secret(*id, c.caller.Account, c.region)
	return sec, fromModel(err)
}

// deletedErr is Secrets Manager's refusal to read a secret scheduled for deletion (Secrets
// Manager API reference: GetSecretValue, InvalidRequestException).
func deletedErr(sec *Secret) *apiError {
	if sec.DeletedDate == "" {
		return nil
	}
	return fromModel(&AWSError{Code: CodeInvalidRequest, Message: MessageMarkedDeletion})
}

type describeSecretOutput struct {
	ARN                string              `json:"ARN"`
	Name               string              `json:"Name"`
	Description        string              `json:"Description,omitempty"`
	KmsKeyID           string              `json:"KmsKeyId,omitempty"`
	LastChangedDate    *epoch              `json:"LastChangedDate,omitempty"`
	DeletedDate        *epoch              `json:"DeletedDate,omitempty"`
	Tags               []smTag             `json:"Tags,omitempty"`
	VersionIdsToStages map[string][]string `json:"VersionIdsToStages,omitempty"`
	CreatedDate        *epoch              `json:"CreatedDate,omitempty"`
	PrimaryRegion      string              `json:"PrimaryRegion,omitempty"`
	ReplicationStatus  []replicationStatus `json:"ReplicationStatus,omitempty"`
}

type smTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type replicationStatus struct {
	Region        string `json:"Region"`
	KmsKeyID      string `json:"KmsKeyId,omitempty"`
	Status        string `json:"Status"`
	StatusMessage string `json:"StatusMessage,omitempty"`
}

func (s *server) describeSecret(c *call, body []byte) (any, *apiError) {
	var in secretIDInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secret(c, in.SecretID)
	if e != nil {
		return nil, e
	}
	out := describeSecretOutput{
		ARN: sec.ARN, Name: sec.Name, Description: sec.Description,
		KmsKeyID:        describedKeyID(sec.KMSKeyID, sec.Key),
		LastChangedDate: epochPtr(Epoch),
		CreatedDate:     epochPtr(Epoch),
		PrimaryRegion:   sec.PrimaryRegion,
	}
	// Versions without a staging label are deprecated and left out ("VersionIdsToStages: A list
	// of the versions of the secret that have staging labels attached": Secrets Manager API
	// reference, DescribeSecret).
	for _, v := range sec.Versions {
		if len(v.Stages) > 0 {
			if out.VersionIdsToStages == nil {
				out.VersionIdsToStages = map[string][]string{}
			}
			out.VersionIdsToStages[v.ID] = v.Stages
		}
	}
	for _, k := range slices.Sorted(maps.Keys(sec.Tags)) {
		out.Tags = append(out.Tags, smTag{Key: k, Value: sec.Tags[k]})
	}
	for _, r := range sec.Replicas {
		out.ReplicationStatus = append(out.ReplicationStatus, replicationStatus{Region: r.Region,
			KmsKeyID: describedKeyID(r.KMSKeyID, r.Secret.Key), Status: r.Status, StatusMessage: r.StatusMessage})
	}
	if sec.DeletedDate != "" {
		// Echoed as written and never compared with the clock (SPEC §6).
		t, err := time.Parse(time.RFC3339, sec.DeletedDate)
		if err == nil {
			out.DeletedDate = epochPtr(t)
		}
	}
	return out, nil
}

// describedKeyID is DescribeSecret.KmsKeyId (and ReplicationStatus[].KmsKeyId): the identifier
// exactly as the secret was given it (key id, key ARN, alias name or alias ARN), and absent when
// the secret uses the AWS managed key aws/secretsmanager ("If the secret is encrypted with the
// AWS managed key aws/secretsmanager, this field is omitted": Secrets Manager API reference,
// DescribeSecret).
func describedKeyID(written string, key *Key) string {
	if key != nil && key.Manager == ManagerAWS {
		for _, al := range key.Aliases {
			if al == AWSManagedSecretsAlias {
				return ""
			}
		}
	}
	return written
}

type resourcePolicyOutput struct {
	ARN            string `json:"ARN"`
	Name           string `json:"Name"`
	ResourcePolicy string `json:"ResourcePolicy,omitempty"`
}

// getResourcePolicy returns the policy as a plain JSON string, not URL-encoded, and leaves the
// member out when the secret has none (Secrets Manager API reference: GetResourcePolicy).
func (s *server) getResourcePolicy(c *call, body []byte) (any, *apiError) {
	var in secretIDInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secret(c, in.SecretID)
	if e != nil {
		return nil, e
	}
	if e := deletedErr(sec); e != nil {
		return nil, e
	}
	return resourcePolicyOutput{ARN: sec.ARN, Name: sec.Name, ResourcePolicy: sec.ResourcePolicy.String()}, nil
}

type getSecretValueInput struct {
	SecretID     *string `json:"SecretId"`
	VersionID    string  `json:"VersionId"`
	VersionStage string  `json:"VersionStage"`
}

type getSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	SecretString  string   `json:"SecretString"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   *epoch   `json:"CreatedDate,omitempty"`
}

// getSecretValue is the one call authorized by policy: both sides cross-account and the KMS hop
// Secrets Manager makes against the key of the version read (aws-semantics §0, §3.6), through the
// scenario model's authorizer. The version is chosen after authorization: a caller that may not
// read the secret learns nothing about its versions.
func (s *server) getSecretValue(c *call, body []byte) (any, *apiError) {
	var in getSecretValueInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secret(c, in.SecretID)
	if e != nil {
		return nil, e
	}
	d := s.sc.DecideGetSecretValue(c.authzCaller(), sec, SecretRead{VersionID: in.VersionID, VersionStage: in.VersionStage}, c.now)
	if d.Err != nil {
		return nil, fromModel(d.Err)
	}
	return getSecretValueOutput{ARN: sec.ARN, Name: sec.Name, VersionID: d.Version.ID, SecretString: sec.Value,
		VersionStages: d.Version.Stages, CreatedDate: epochPtr(Epoch)}, nil
}

type listVersionsInput struct {
	SecretID          *string `json:"SecretId"`
	MaxResults        *int    `json:"MaxResults"`
	NextToken         string  `json:"NextToken"`
	IncludeDeprecated bool    `json:"IncludeDeprecated"`
}

type versionEntry struct {
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   *epoch   `json:"CreatedDate,omitempty"`
	KmsKeyIDs     []string `json:"KmsKeyIds,omitempty"`
}

type listVersionsOutput struct {
	Versions  []versionEntry `json:"Versions"`
	NextToken string         `json:"NextToken,omitempty"`
	ARN       string         `json:"ARN"`
	Name      string         `json:"Name"`
}

func (s *server) listSecretVersionIDs(c *call, body []byte) (any, *apiError) {
	var in listVersionsInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secret(c, in.SecretID)
	if e != nil {
		return nil, e
	}
	size := s.opts.PageSize
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			return nil, errorf("InvalidParameterException", "MaxResults must be between 1 and 100.")
		}
		size = min(size, *in.MaxResults)
	}
	// Each version lists the keys that encrypt it, as key ARNs ("KmsKeyIds: The KMS keys used to
	// encrypt the secret version": Secrets Manager API reference, SecretVersionsListEntry).
	// Versions without a staging label are deprecated and listed only on request.
	var versions []versionEntry
	for _, v := range sec.Versions {
		if len(v.Stages) == 0 && !in.IncludeDeprecated {
			continue
		}
		ve := versionEntry{VersionID: v.ID, VersionStages: v.Stages, CreatedDate: epochPtr(Epoch)}
		if ve.VersionStages == nil {
			ve.VersionStages = []string{}
		}
		for _, k := range v.Keys {
			ve.KmsKeyIDs = append(ve.KmsKeyIDs, k.ARN)
		}
		versions = append(versions, ve)
	}
	listing := "ListSecretVersionIds\x00" + sec.ARN + "\x00" + strconv.FormatBool(in.IncludeDeprecated)
	items, next, ok := page(versions, listing, in.NextToken, size)
	if !ok {
		return nil, errorf("InvalidNextTokenException", "The NextToken value is invalid.")
	}
	if items == nil {
		items = []versionEntry{}
	}
	return listVersionsOutput{Versions: items, NextToken: next, ARN: sec.ARN, Name: sec.Name}, nil
}
