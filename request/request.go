// Package request builds the two authorization requests a cross-account GetSecretValue really
// makes (SPEC §3, "Request context the tool builds"; aws-semantics §0): the consumer's own
// secretsmanager:GetSecretValue, and the kms:Decrypt that Secrets Manager makes on the consumer's
// behalf. door/ judges them; internal/awsemu authorizes with them, so both see the same request.
package request

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/xsdoctor/xsdoctor/arn"
	"github.com/xsdoctor/xsdoctor/policy"
)

// Params is what the two requests are built from.
type Params struct {
	SecretARN  string // full secret ARN
	VersionID  string // the AWSCURRENT version id (encryption context SecretVersionId)
	Region     string // the secret's region
	KeyARN     string // the key that encrypts the secret
	KeyAccount string

	PrincipalARN     string // as the consumer calls: assumed-role session ARN or role ARN
	RoleARN          string // the role ARN with its path (aws:PrincipalArn)
	RoleID           string // RoleId, AROA…
	PrincipalAccount string
	PrincipalTags    map[string]string

	// Org ids: empty with *Unknown false means the account is in no organization (the key is
	// then absent); *Unknown true means the lookup failed (the key is then unknown).
	PrincipalOrgID      string
	PrincipalOrgUnknown bool
	ResourceAccount     string // the secret's account
	ResourceOrgID       string
	ResourceOrgUnknown  bool
	KeyOrgID            string
	KeyOrgUnknown       bool
	// Org paths (aws:PrincipalOrgPaths, aws:ResourceOrgPaths), e.g.
	// "o-a1b2c3d4e5/r-ab12/ou-ab12-1111/", known only through the organization reader (ListParents).
	// Empty with *PathsUnknown false leaves the key out (the account is in no organization);
	// *PathsUnknown true means the path was not read, so the key is unknown, never taken as absent.
	PrincipalOrgPaths        string
	PrincipalOrgPathsUnknown bool
	ResourceOrgPaths         string
	ResourceOrgPathsUnknown  bool
	KeyOrgPaths              string
	KeyOrgPathsUnknown       bool

	// SecretTags are the secret's tags: the GetSecretValue request's resource tags.
	SecretTags map[string]string
	// KeyTags (kms:ListResourceTags) are the Decrypt request's resource tags; KeyAliases
	// (ListAliases) its kms:ResourceAliases.
	KeyTags    map[string]string
	KeyAliases []string

	Now time.Time
}

// UnknownOnConsumerRequest lists the keys that cannot be known offline for the consumer's own
// request (SPEC §3): the network path, the client, MFA, request tags and source identity, and
// the version the client asks for — secretsmanager:VersionStage and VersionId are present only
// when the client sends them, and the AWS CLI, boto3 and the CSI driver's provider do not by
// default (Secrets Manager service authorization reference, condition keys).
var UnknownOnConsumerRequest = []string{
	"aws:SourceVpce", "aws:SourceVpc", "aws:SourceIp", "aws:VpcSourceIp",
	"aws:UserAgent", "aws:Referer", "aws:MultiFactorAuth*",
	"aws:RequestTag/*", "aws:TagKeys", "aws:SourceIdentity",
	"secretsmanager:VersionStage", "secretsmanager:VersionId",
}

// ViaService is the kms:ViaService value of Secrets Manager in region.
func ViaService(region string) string { return "secretsmanager." + region + ".amazonaws.com" }

func (p Params) principal() policy.Principal {
	pr := policy.Principal{ARN: p.PrincipalARN, Account: p.PrincipalAccount, RoleARN: p.RoleARN, UniqueID: p.RoleID}
	if a, ok := arn.Split(p.PrincipalARN); ok {
		switch {
		case a.IsAssumedRole():
			pr.Type = policy.AssumedRole
		case a.IsRole():
			pr.Type = policy.Role
		}
	}
	return pr
}

// common holds the keys both requests carry.
func (p Params) common(resourceAccount, resourceOrg string, resourceOrgUnknown bool, resourcePaths string, resourcePathsUnknown bool) (map[string][]string, []string) {
	ctx := map[string][]string{
		"aws:PrincipalArn":     {p.RoleARN},
		"aws:PrincipalAccount": {p.PrincipalAccount},
		"aws:ResourceAccount":  {resourceAccount},
		"aws:RequestedRegion":  {p.Region},
		"aws:SecureTransport":  {"true"},
	}
	if p.RoleARN == "" {
		ctx["aws:PrincipalArn"] = []string{p.PrincipalARN}
	}
	if !p.Now.IsZero() {
		ctx["aws:CurrentTime"] = []string{p.Now.UTC().Format(time.RFC3339)}
		ctx["aws:EpochTime"] = []string{strconv.FormatInt(p.Now.Unix(), 10)}
	}
	var unknown []string
	switch {
	case p.PrincipalOrgUnknown:
		unknown = append(unknown, "aws:PrincipalOrgID", "aws:PrincipalOrgPaths")
	case p.PrincipalOrgID != "":
		ctx["aws:PrincipalOrgID"] = []string{p.PrincipalOrgID}
		switch {
		case p.PrincipalOrgPaths != "":
			ctx["aws:PrincipalOrgPaths"] = []string{p.PrincipalOrgPaths}
		case p.PrincipalOrgPathsUnknown:
			unknown = append(unknown, "aws:PrincipalOrgPaths")
		}
	}
	switch {
	case resourceOrgUnknown:
		unknown = append(unknown, "aws:ResourceOrgID", "aws:ResourceOrgPaths")
	case resourceOrg != "":
		ctx["aws:ResourceOrgID"] = []string{resourceOrg}
		switch {
		case resourcePaths != "":
			ctx["aws:ResourceOrgPaths"] = []string{resourcePaths}
		case resourcePathsUnknown:
			unknown = append(unknown, "aws:ResourceOrgPaths")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.PrincipalTags)) {
		ctx["aws:PrincipalTag/"+k] = []string{p.PrincipalTags[k]}
	}
	return ctx, unknown
}

// GetSecretValue is the consumer's own secretsmanager:GetSecretValue request.
func GetSecretValue(p Params) policy.Request {
	ctx, unknown := p.common(p.ResourceAccount, p.ResourceOrgID, p.ResourceOrgUnknown, p.ResourceOrgPaths, p.ResourceOrgPathsUnknown)
	ctx["secretsmanager:SecretId"] = []string{p.SecretARN}
	ctx["aws:ViaAWSService"] = []string{"false"}
	// The secret's tags are the request's resource tags (Secrets Manager service authorization
	// reference: aws:ResourceTag/${TagKey}, secretsmanager:ResourceTag/tag-key).
	for _, k := range slices.Sorted(maps.Keys(p.SecretTags)) {
		ctx["aws:ResourceTag/"+k] = []string{p.SecretTags[k]}
		ctx["secretsmanager:ResourceTag/"+k] = []string{p.SecretTags[k]}
	}
	return policy.Request{
		Principal:       p.principal(),
		Action:          "secretsmanager:GetSecretValue",
		Resource:        p.SecretARN,
		ResourceAccount: p.ResourceAccount,
		Context:         ctx,
		Unknown:         append(unknown, UnknownOnConsumerRequest...),
	}
}

// Decrypt is the kms:Decrypt Secrets Manager makes for the consumer. Network keys are absent on
// this hop: Secrets Manager makes the call, not the workload (SPEC §3).
func Decrypt(p Params) policy.Request {
	keyAccount := p.KeyAccount
	if keyAccount == "" {
		keyAccount = p.ResourceAccount
	}
	org, orgUnknown := p.ResourceOrgID, p.ResourceOrgUnknown
	paths, pathsUnknown := p.ResourceOrgPaths, p.ResourceOrgPathsUnknown
	if keyAccount != p.ResourceAccount {
		org, orgUnknown = p.KeyOrgID, p.KeyOrgUnknown
		paths, pathsUnknown = p.KeyOrgPaths, p.KeyOrgPathsUnknown
	}
	ctx, unknown := p.common(keyAccount, org, orgUnknown, paths, pathsUnknown)
	ctx["kms:ViaService"] = []string{ViaService(p.Region)}
	ctx["kms:CallerAccount"] = []string{p.PrincipalAccount}
	ctx["kms:EncryptionContext:SecretARN"] = []string{p.SecretARN}
	ctx["kms:EncryptionContextKeys"] = []string{"SecretARN", "SecretVersionId"}
	if p.VersionID != "" {
		ctx["kms:EncryptionContext:SecretVersionId"] = []string{p.VersionID}
	}
	ctx["aws:ViaAWSService"] = []string{"true"}
	// The key's tags and aliases are the request's resource tags and kms:ResourceAliases (KMS
	// Developer Guide: "ABAC for AWS KMS", aws:ResourceTag and kms:ResourceAliases).
	for _, k := range slices.Sorted(maps.Keys(p.KeyTags)) {
		ctx["aws:ResourceTag/"+k] = []string{p.KeyTags[k]}
	}
	if len(p.KeyAliases) > 0 {
		ctx["kms:ResourceAliases"] = append([]string(nil), p.KeyAliases...)
	}
	return policy.Request{
		Principal:       p.principal(),
		Action:          "kms:Decrypt",
		Resource:        p.KeyARN,
		ResourceAccount: keyAccount,
		Context:         ctx,
		Unknown:         unknown,
	}
}

// EncryptionContext is the encryption context Secrets Manager sends with Decrypt.
func EncryptionContext(secretARN, versionID string) map[string]string {
	return map[string]string{"SecretARN": secretARN, "SecretVersionId": versionID}
}
