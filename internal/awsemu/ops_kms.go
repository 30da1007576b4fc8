package awsemu

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// KMS (awsJson1_1, target prefix "TrentService"): DescribeKey, GetKeyPolicy, ListGrants,
// ListAliases (KMS API reference).

type keyIDInput struct {
	KeyID *string `json:"KeyId"`
}

// key resolves KeyId in the caller's account and region unless it is an ARN. It never creates a
// key: DescribeKey("alias/aws/secretsmanager") where no secret made AWS create it is
// NotFoundException here, so a read-only prober that calls it shows up in tests (aws-semantics
// §2.1).
// ownKey resolves a key id or key ARN for an operation KMS allows only in the key's own account
// ("Cross-account use: No" in the KMS API reference), refusing a caller from any other account.
func (s *server) ownKey(c *call, id *string, op string) (*Key, *apiError) {
	k, e := s.key(c, id, false)
	if e != nil {
		return nil, e
	}
	if k.Account != c.caller.Account {
		return nil, accessDenied(c.svc, c.caller, "kms:"+op, k.ARN,
			"because "+op+" cannot be called on a KMS key in another AWS account")
	}
	return k, nil
}

func (s *server) key(c *call, id *string, aliases bool) (*Key, *apiError) {
	if id == nil || *id == "" {
		return nil, validationError(c.svc, "keyId")
	}
	if !aliases {
		// GetKeyPolicy and ListGrants take a key id or key ARN only (KMS API reference:
		// GetKeyPolicy, ListGrants, KeyId).
		if _, _, _, isAlias := aliasRef(*id, "", ""); isAlias {
			return nil, fromModel(&AWSError{Code: CodeKMSNotFound, Message: "Invalid keyId '" + *id + "'"})
		}
	}
	k, err := s.sc.Key(*id, c.caller.Account, c.region)
	return k, fromModel(err)
}

type keyMetadata struct {
	AWSAccountID          string   `json:"AWSAccountId"`
	KeyID                 string   `json:"KeyId"`
	Arn                   string   `json:"Arn"`
	CreationDate          *epoch   `json:"CreationDate"`
	Enabled               bool     `json:"Enabled"`
	Description           string   `json:"Description"`
	KeyUsage              string   `json:"KeyUsage"`
	KeyState              string   `json:"KeyState"`
	DeletionDate          *epoch   `json:"DeletionDate,omitempty"`
	Origin                string   `json:"Origin"`
	KeyManager            string   `json:"KeyManager"`
	CustomerMasterKeySpec string   `json:"CustomerMasterKeySpec"`
	KeySpec               string   `json:"KeySpec"`
	EncryptionAlgorithms  []string `json:"EncryptionAlgorithms"`
	MultiRegion           bool     `json:"MultiRegion"`
}

// pendingDeletionWindow is KMS's default waiting period before a key is deleted (KMS API
// reference: ScheduleKeyDeletion, PendingWindowInDays).
const pendingDeletionWindow = 30 * 24 * time.Hour

func (s *server) describeKey(c *call, body []byte) (any, *apiError) {
	var in keyIDInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	k, e := s.key(c, in.KeyID, true)
	if e != nil {
		return nil, e
	}
	md := keyMetadata{
		AWSAccountID: k.Account, KeyID: k.ID, Arn: k.ARN, CreationDate: epochPtr(Epoch),
		Enabled: k.State == StateEnabled, Description: k.Description, KeyUsage: "ENCRYPT_DECRYPT",
		KeyState: k.State, Origin: "AWS_KMS", KeyManager: k.Manager,
		CustomerMasterKeySpec: "SYMMETRIC_DEFAULT", KeySpec: "SYMMETRIC_DEFAULT",
		EncryptionAlgorithms: []string{"SYMMETRIC_DEFAULT"},
	}
	if k.State == StatePendingDeletion {
		// DeletionDate is set whenever a key is pending deletion (KMS API reference: KeyMetadata).
		when := Epoch.Add(pendingDeletionWindow)
		if t, err := time.Parse(time.RFC3339, k.DeletionDate); err == nil {
			when = t
		}
		md.DeletionDate = epochPtr(when)
	}
	return map[string]keyMetadata{"KeyMetadata": md}, nil
}

type getKeyPolicyInput struct {
	KeyID      *string `json:"KeyId"`
	PolicyName *string `json:"PolicyName"`
}

type getKeyPolicyOutput struct {
	Policy     string `json:"Policy"`
	PolicyName string `json:"PolicyName"`
}

// getKeyPolicy answers only in the key's own account: "Cross-account use: No. You cannot perform
// this operation on a KMS key in a different AWS account" (KMS API reference: GetKeyPolicy).
// The policy is a plain JSON string. PolicyName defaults to "default", its only valid value.
func (s *server) getKeyPolicy(c *call, body []byte) (any, *apiError) {
	var in getKeyPolicyInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	k, e := s.ownKey(c, in.KeyID, "GetKeyPolicy")
	if e != nil {
		return nil, e
	}
	if in.PolicyName != nil && *in.PolicyName != "default" {
		return nil, errorf(CodeKMSNotFound, "No such policy exists")
	}
	return getKeyPolicyOutput{Policy: k.Policy.String(), PolicyName: "default"}, nil
}

type listGrantsInput struct {
	KeyID            *string `json:"KeyId"`
	Limit            *int    `json:"Limit"`
	Marker           string  `json:"Marker"`
	GrantID          string  `json:"GrantId"`
	GranteePrincipal string  `json:"GranteePrincipal"`
}

type grantConstraints struct {
	EncryptionContextSubset map[string]string `json:"EncryptionContextSubset,omitempty"`
	EncryptionContextEquals map[string]string `json:"EncryptionContextEquals,omitempty"`
}

type grantEntry struct {
	KeyID             string            `json:"KeyId"`
	GrantID           string            `json:"GrantId"`
	Name              string            `json:"Name,omitempty"`
	CreationDate      *epoch            `json:"CreationDate"`
	GranteePrincipal  string            `json:"GranteePrincipal"`
	RetiringPrincipal string            `json:"RetiringPrincipal,omitempty"`
	IssuingAccount    string            `json:"IssuingAccount"`
	Operations        []string          `json:"Operations"`
	Constraints       *grantConstraints `json:"Constraints,omitempty"`
}

type listGrantsOutput struct {
	Grants     []grantEntry `json:"Grants"`
	NextMarker string       `json:"NextMarker,omitempty"`
	Truncated  bool         `json:"Truncated"`
}

// listGrants works cross-account with the key ARN (KMS API reference: ListGrants).
func (s *server) listGrants(c *call, body []byte) (any, *apiError) {
	var in listGrantsInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	k, e := s.key(c, in.KeyID, false)
	if e != nil {
		return nil, e
	}
	size, e := kmsLimit(s.opts.PageSize, in.Limit)
	if e != nil {
		return nil, e
	}
	var all []grantEntry
	for _, g := range k.Grants {
		if in.GrantID != "" && g.ID != in.GrantID {
			continue
		}
		if in.GranteePrincipal != "" && g.GranteePrincipal != in.GranteePrincipal {
			continue
		}
		ge := grantEntry{KeyID: k.ARN, GrantID: g.ID, Name: g.Name, CreationDate: epochPtr(Epoch),
			GranteePrincipal: g.GranteePrincipal, RetiringPrincipal: g.RetiringPrincipal,
			IssuingAccount: g.IssuingAccount, Operations: g.Operations}
		if gc := g.Constraints; gc != nil && (gc.EncryptionContextSubset != nil || gc.EncryptionContextEquals != nil) {
			ge.Constraints = &grantConstraints{EncryptionContextSubset: gc.EncryptionContextSubset, EncryptionContextEquals: gc.EncryptionContextEquals}
		}
		all = append(all, ge)
	}
	items, next, ok := page(all, "ListGrants\x00"+k.ARN+"\x00"+in.GrantID+"\x00"+in.GranteePrincipal, in.Marker, size)
	if !ok {
		return nil, errorf("InvalidMarkerException", "The marker that specifies where pagination should next begin is not valid.")
	}
	if items == nil {
		items = []grantEntry{}
	}
	return listGrantsOutput{Grants: items, NextMarker: next, Truncated: next != ""}, nil
}

// kmsLimit validates Limit (1 to 100) and caps it at the emulator's page size.
func kmsLimit(pageSize int, limit *int) (int, *apiError) {
	if limit == nil {
		return pageSize, nil
	}
	if *limit < 1 || *limit > 1000 {
		return 0, errorf("ValidationException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000", *limit)
	}
	return min(pageSize, *limit), nil
}

type listAliasesInput struct {
	KeyID  *string `json:"KeyId"`
	Limit  *int    `json:"Limit"`
	Marker string  `json:"Marker"`
}

type aliasEntry struct {
	AliasName       string `json:"AliasName"`
	AliasArn        string `json:"AliasArn"`
	TargetKeyID     string `json:"TargetKeyId,omitempty"`
	CreationDate    *epoch `json:"CreationDate,omitempty"`
	LastUpdatedDate *epoch `json:"LastUpdatedDate,omitempty"`
}

type listAliasesOutput struct {
	Aliases    []aliasEntry `json:"Aliases"`
	NextMarker string       `json:"NextMarker,omitempty"`
	Truncated  bool         `json:"Truncated"`
}

// predefinedAliases are the aliases AWS reserves for its managed keys. ListAliases shows them
// before the service has created the key, without a TargetKeyId: "The response might include
// several aliases that do not have a TargetKeyId field. These are predefined aliases that AWS has
// created but has not yet associated with a KMS key" (KMS API reference: ListAliases).
var predefinedAliases = []string{
	"alias/aws/acm", "alias/aws/dynamodb", "alias/aws/ebs", "alias/aws/elasticfilesystem",
	"alias/aws/es", "alias/aws/glue", "alias/aws/kinesisvideo", "alias/aws/lambda", "alias/aws/rds",
	"alias/aws/redshift", "alias/aws/s3", AWSManagedSecretsAlias, "alias/aws/ssm", "alias/aws/xray",
}

// listAliases lists the caller's own account and region only ("Cross-account use: No": KMS API
// reference, ListAliases).
func (s *server) listAliases(c *call, body []byte) (any, *apiError) {
	var in listAliasesInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	size, e := kmsLimit(s.opts.PageSize, in.Limit)
	if e != nil {
		return nil, e
	}
	account, region := c.caller.Account, c.region
	var filter *Key
	if in.KeyID != nil {
		k, e := s.key(c, in.KeyID, false)
		if e != nil {
			return nil, e
		}
		if k.Account != account {
			return nil, accessDenied(c.svc, c.caller, "kms:ListAliases", k.ARN,
				"because ListAliases cannot list the aliases of a KMS key in another AWS account")
		}
		filter = k
	}
	var all []aliasEntry
	have := map[string]bool{}
	for _, al := range s.sc.Aliases(account, region, filter) {
		have[al.Name] = true
		all = append(all, aliasEntry{AliasName: al.Name, AliasArn: al.ARN, TargetKeyID: al.Key.ID,
			CreationDate: epochPtr(Epoch), LastUpdatedDate: epochPtr(Epoch)})
	}
	if filter == nil {
		for _, name := range predefinedAliases {
			if !have[name] {
				all = append(all, aliasEntry{AliasName: name, AliasArn: aliasARN(region, account, name)})
			}
		}
	}
	sortAliases(all)
	items, next, ok := page(all, "ListAliases\x00"+account+"\x00"+region+"\x00"+filterID(filter), in.Marker, size)
	if !ok {
		return nil, errorf("InvalidMarkerException", "The marker that specifies where pagination should next begin is not valid.")
	}
	if items == nil {
		items = []aliasEntry{}
	}
	return listAliasesOutput{Aliases: items, NextMarker: next, Truncated: next != ""}, nil
}

func sortAliases(a []aliasEntry) {
	slices.SortFunc(a, func(x, y aliasEntry) int { return strings.Compare(x.AliasName, y.AliasName) })
}

func filterID(k *Key) string {
	if k == nil {
		return ""
	}
	return k.ARN
}

type listResourceTagsInput struct {
	KeyID  *string `json:"KeyId"`
	Limit  *int    `json:"Limit"`
	Marker string  `json:"Marker"`
}

type kmsTag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

type listResourceTagsOutput struct {
	Tags       []kmsTag `json:"Tags"`
	NextMarker string   `json:"NextMarker,omitempty"`
	Truncated  bool     `json:"Truncated"`
}

// listResourceTags returns a key's tags sorted by key. It takes a key id or key ARN and answers
// only in the key's own account: "Cross-account use: No. You cannot perform this operation on a
// KMS key in a different AWS account" (KMS API reference: ListResourceTags).
func (s *server) listResourceTags(c *call, body []byte) (any, *apiError) {
	var in listResourceTagsInput
	if e := decodeJSON(body, &in); e != nil {
		return nil, e
	}
	k, e := s.ownKey(c, in.KeyID, "ListResourceTags")
	if e != nil {
		return nil, e
	}
	size, e := kmsLimit(s.opts.PageSize, in.Limit)
	if e != nil {
		return nil, e
	}
	all := make([]kmsTag, 0, len(k.Tags))
	for _, name := range slices.Sorted(maps.Keys(k.Tags)) {
		all = append(all, kmsTag{TagKey: name, TagValue: k.Tags[name]})
	}
	items, next, ok := page(all, "ListResourceTags\x00"+k.ARN, in.Marker, size)
	if !ok {
		return nil, errorf("InvalidMarkerException", "The marker that specifies where pagination should next begin is not valid.")
	}
	if items == nil {
		items = []kmsTag{}
	}
	return listResourceTagsOutput{Tags: items, NextMarker: next, Truncated: next != ""}, nil
}
