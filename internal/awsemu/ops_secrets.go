package awsemu

import (
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
	VersionIdsToStages map[string][]string `json:"VersionIdsToStages,omitempty"`
	CreatedDate        *epoch              `json:"CreatedDate,omitempty"`
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
		KmsKeyID:           describedKeyID(sec),
		LastChangedDate:    epochPtr(Epoch),
		CreatedDate:        epochPtr(Epoch),
		VersionIdsToStages: map[string][]string{sec.VersionID: {stageCurrent}},
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

// describedKeyID is DescribeSecret.KmsKeyId: the identifier exactly as the secret was given it
// (key id, key ARN, alias name or alias ARN), and absent when the secret uses the AWS managed key
// aws/secretsmanager ("If the secret is encrypted with the AWS managed key aws/secretsmanager,
// this field is omitted": Secrets Manager API reference, DescribeSecret).
func describedKeyID(sec *Secret) string {
	if sec.Key != nil && sec.Key.Manager == ManagerAWS {
		for _, al := range sec.Key.Aliases {
			if al == AWSManagedSecretsAlias {
				return ""
			}
		}
	}
	return sec.KMSKeyID
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
// Secrets Manager makes (aws-semantics §0), through the scenario model's authorizer.
func (s *server) getSecretValue(c *call, body []byte) (any, *apiError) {
	var in getSecretValueInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	sec, e := s.secret(c, in.SecretID)
	if e != nil {
		return nil, e
	}
	if e := fromModel(s.sc.AuthorizeGetSecretValue(c.authzCaller(), sec, c.now)); e != nil {
		return nil, e
	}
	// The version is chosen after authorization: a caller that may not read the secret learns
	// nothing about its versions.
	if in.VersionID != "" && in.VersionID != sec.VersionID {
		return nil, fromModel(&AWSError{Code: CodeSecretNotFound, Message: "Secrets Manager can't find the specified secret value for VersionId: " + in.VersionID})
	}
	if in.VersionStage != "" && in.VersionStage != stageCurrent {
		return nil, fromModel(&AWSError{Code: CodeSecretNotFound, Message: "Secrets Manager can't find the specified secret value for staging label: " + in.VersionStage})
	}
	return getSecretValueOutput{ARN: sec.ARN, Name: sec.Name, VersionID: sec.VersionID, SecretString: sec.Value,
		VersionStages: []string{stageCurrent}, CreatedDate: epochPtr(Epoch)}, nil
}

type listVersionsInput struct {
	SecretID   *string `json:"SecretId"`
	MaxResults *int    `json:"MaxResults"`
	NextToken  string  `json:"NextToken"`
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
	// A scenario secret has one version, staged AWSCURRENT (SPEC §6).
	versions := []versionEntry{{VersionID: sec.VersionID, VersionStages: []string{stageCurrent}, CreatedDate: epochPtr(Epoch)}}
	if sec.Key != nil {
		versions[0].KmsKeyIDs = []string{sec.Key.ARN}
	}
	items, next, ok := page(versions, "ListSecretVersionIds\x00"+sec.ARN, in.NextToken, size)
	if !ok {
		return nil, errorf("InvalidNextTokenException", "The NextToken value is invalid.")
	}
	return listVersionsOutput{Versions: items, NextToken: next, ARN: sec.ARN, Name: sec.Name}, nil
}
