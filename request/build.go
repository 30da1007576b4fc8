package request

import (
	"cmp"
	"slices"
	"strings"
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
		KeyTags:             f.Key.Tags,
		KeyAliases:          f.Key.Aliases,
	}
	// The KMS hop's aws:ResourceOrgID is the organization of the key's account, whichever of
	// the three accounts that is.
	keyOrg := f.Owner
	switch keyOwner := keyAccount(f); {
	case keyOwner == f.Consumer.ID && keyOwner != f.Secret.Account:
		keyOrg = f.Consumer
	case keyOwner != f.Secret.Account && f.KeyOwner != nil:
		keyOrg = *f.KeyOwner
	}
	p.KeyOrgID, p.KeyOrgUnknown = keyOrg.OrgID, keyOrg.OrgErr != nil
	// The org paths come from the organization reader (ListParents), when it read them.
	p.PrincipalOrgPaths, p.PrincipalOrgPathsUnknown = orgPath(f.Org, f.Consumer)
	p.ResourceOrgPaths, p.ResourceOrgPathsUnknown = orgPath(f.Org, f.Owner)
	p.KeyOrgPaths, p.KeyOrgPathsUnknown = orgPath(f.Org, keyOrg)
	if f.Now != "" {
		p.Now, _ = time.Parse(time.RFC3339, f.Now)
	}
	getSecret, decrypt = GetSecretValue(p), Decrypt(p)
	// One rule for unread facts (SPEC §3): a request is never evaluated as if a fact that was not
	// read were absent; the keys it would fill are unknown instead.
	for _, u := range Unread(f) {
		if u.OnGetSecret {
			getSecret = withUnknown(getSecret, u.Key)
		}
		if u.OnDecrypt {
			decrypt = withUnknown(decrypt, u.Key)
		}
	}
	return getSecret, decrypt
}

// orgPath is the aws:PrincipalOrgPaths or aws:ResourceOrgPaths value of account a: the
// organization id, the root and the OUs down to the account's parent, each followed by "/"
// (IAM User Guide, "AWS global condition context keys"). unknown is true when the account is in
// an organization but the organization reader did not read its path (the key is then unknown,
// not absent); an account in no organization has none ("", false).
func orgPath(org *xsdoctor.Org, a xsdoctor.Account) (path string, unknown bool) {
	if a.NoOrg || a.OrgID == "" && a.OrgErr == nil {
		return "", false
	}
	if org == nil || org.Err != nil || org.ID == "" || a.OrgID != "" && a.OrgID != org.ID {
		return "", true
	}
	for _, acct := range org.Accounts {
		if acct.ID != a.ID || !acct.Member || acct.Err != nil || len(acct.Levels) == 0 {
			continue
		}
		path := org.ID + "/"
		for _, lv := range acct.Levels {
			if lv.Target == a.ID {
				break
			}
			path += lv.Target + "/"
		}
		return path, false
	}
	return "", true
}

// UnreadKey is a context key (or a key prefix ending in "*") that is unknown because the read
// that fills it failed, on which of the two requests, and the failed read.
type UnreadKey struct {
	Key                    string
	OnGetSecret, OnDecrypt bool
	Err                    *xsdoctor.ReadError
}

// Unread lists the context keys the facts leave unknown because a read failed: the version id,
// the role's tags and path, the secret's and the key's tags, the key's aliases, the
// organizations. door names the failed read when a door's answer depends on one of them.
func Unread(f xsdoctor.Facts) []UnreadKey {
	var out []UnreadKey
	add := func(key string, gs, dec bool, err *xsdoctor.ReadError) {
		if err != nil {
			out = append(out, UnreadKey{Key: key, OnGetSecret: gs, OnDecrypt: dec, Err: err})
		}
	}
	if f.Secret.VersionID == "" && !f.Secret.NoCurrentVersion {
		add("kms:EncryptionContext:SecretVersionId", false, true, cmp.Or(f.Secret.VersionsErr, f.Secret.Err))
	}
	if f.Secret.Tags == nil {
		add("aws:ResourceTag/*", true, false, f.Secret.Err)
		add("secretsmanager:ResourceTag/*", true, false, f.Secret.Err)
	}
	if f.Key.Tags == nil {
		add("aws:ResourceTag/*", false, true, f.Key.TagsErr)
	}
	if f.Key.Aliases == nil {
		add("kms:ResourceAliases", false, true, f.Key.AliasesErr)
	}
	if f.Role.Tags == nil {
		add("aws:PrincipalTag/*", true, true, f.Role.Err)
	}
	if f.Role.PathInferred {
		// A session ARN carries no role path (IAM User Guide, "IAM identifiers"): without GetRole
		// the role ARN, and with it aws:PrincipalArn, is a guess.
		add("aws:PrincipalArn", true, true, cmp.Or(f.Role.Err, &xsdoctor.ReadError{Call: "iam:GetRole", Account: f.Consumer.ID}))
	}
	orgErr := func(a xsdoctor.Account) *xsdoctor.ReadError { return a.OrgErr }
	add("aws:PrincipalOrgID", true, true, orgErr(f.Consumer))
	add("aws:ResourceOrgID", true, false, orgErr(f.Owner))
	keyOrg := f.Owner
	switch ka := keyAccount(f); {
	case ka == f.Consumer.ID && ka != f.Secret.Account:
		keyOrg = f.Consumer
	case ka != f.Secret.Account && f.KeyOwner != nil:
		keyOrg = *f.KeyOwner
	}
	add("aws:ResourceOrgID", false, true, orgErr(keyOrg))
	return out
}

// withUnknown removes key (or every key of a "prefix*") from the request's known context and
// declares it unknown.
func withUnknown(r policy.Request, key string) policy.Request {
	ctx := make(map[string][]string, len(r.Context))
	for k, v := range r.Context {
		if !matchKey(key, k) {
			ctx[k] = v
		}
	}
	r.Context = ctx
	if !slices.Contains(r.Unknown, key) {
		r.Unknown = append(slices.Clone(r.Unknown), key)
	}
	return r
}

// matchKey reports whether the context key k is key, or starts with key's prefix when key ends
// in "*". Condition key names are case-insensitive (IAM User Guide, "Condition element").
func matchKey(key, k string) bool {
	if p, ok := strings.CutSuffix(key, "*"); ok {
		return len(k) >= len(p) && strings.EqualFold(k[:len(p)], p)
	}
	return strings.EqualFold(key, k)
}

func keyAccount(f xsdoctor.Facts) string { return cmp.Or(f.Key.Account, f.Secret.Account) }
