package request

import (
	"cmp"
	"time"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
)

// Build makes the two requests of a cross-account GetSecretValue from the facts the probe read:
// the consumer's own secretsmanager:GetSecretValue and the kms:Decrypt Secrets Manager makes for
// it. It is the one place that turns facts into requests: probe sends their known keys to the
// simulator and door evaluates them, so both ask the same question (SPEC §3, "Request context
// the tool builds").
//
// Build reads only the subject the probe normalised (Secret.ARN/Partition/Account/Region,
// Key.ARN/Account, Role.ARN, the accounts' ids) and the facts that fill context keys; it parses
// no input.
func Build(f xsdoctor.Facts) (getSecret, decrypt policy.Request) {
	p := Params{
		SecretARN:        f.Secret.ARN,
		VersionID:        f.Secret.VersionID,
		Region:           f.Secret.Region,
		KeyARN:           f.Key.ARN,
		KeyAccount:       f.Key.Account,
		PrincipalARN:     cmp.Or(f.Input.ConsumerArg, f.Role.ARN),
		RoleARN:          f.Role.ARN,
		RoleID:           f.Role.ID,
		PrincipalAccount: f.Consumer.ID,
		PrincipalTags:    f.Role.Tags,

		PrincipalOrgID:      f.Consumer.OrgID,
		PrincipalOrgUnknown: f.Consumer.OrgErr != nil,
		ResourceAccount:     f.Secret.Account,
		ResourceOrgID:       f.Owner.OrgID,
		ResourceOrgUnknown:  f.Owner.OrgErr != nil,
		SecretTags:          f.Secret.Tags,
	}
	// The KMS hop's aws:ResourceOrgID is the organization of the key's account, whichever of
	// the three accounts that is.
	switch keyOwner := keyAccount(f); {
	case keyOwner == f.Consumer.ID && keyOwner != f.Secret.Account:
		p.KeyOrgID, p.KeyOrgUnknown = f.Consumer.OrgID, f.Consumer.OrgErr != nil
	case keyOwner != f.Secret.Account && f.KeyOwner != nil:
		p.KeyOrgID, p.KeyOrgUnknown = f.KeyOwner.OrgID, f.KeyOwner.OrgErr != nil
	default:
		p.KeyOrgID, p.KeyOrgUnknown = f.Owner.OrgID, f.Owner.OrgErr != nil
	}
	if f.Now != "" {
		p.Now, _ = time.Parse(time.RFC3339, f.Now)
	}
	return GetSecretValue(p), Decrypt(p)
}

func keyAccount(f xsdoctor.Facts) string { return cmp.Or(f.Key.Account, f.Secret.Account) }
