package awsemu

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/xsdoctor/xsdoctor/policy"
)

// Secrets, their versions and their replicas (SPEC §6: "versions", "replicas").

// replicationStatuses are the ReplicationStatus[].Status values Secrets Manager reports
// (Secrets Manager API reference: ReplicationStatusType).
var replicationStatuses = map[string]bool{"InSync": true, "InProgress": true, "Failed": true}

func (b *builder) secret(a *Account, name string) {
	path := "accounts." + a.ID + ".secrets." + name
	sec := a.Secrets[name]
	if sec == nil {
		b.fail(path, "want an object, got null")
		return
	}
	if !secretRe.MatchString(name) {
		b.fail(path, "%q is not a secret name (1-512 of letters, digits and /_+=.@-)", name)
	}
	if sec.Region == "" {
		sec.Region = b.s.Region
	} else if !regionRe.MatchString(sec.Region) {
		b.fail(path+".region", "%q is not a region name", sec.Region)
	}
	if sec.Suffix == "" {
		sec.Suffix = SecretSuffix(a.ID, sec.Region, name)
	} else if !suffixRe.MatchString(sec.Suffix) {
		b.fail(path+".suffix", "%q is not six letters or digits", sec.Suffix)
	}
	if sec.DeletedDate != "" {
		if _, err := time.Parse(time.RFC3339, sec.DeletedDate); err != nil {
			b.fail(path+".deleted_date", "want an RFC 3339 time such as 2026-11-01T00:00:00Z")
		}
	}
	sec.Name, sec.Account = name, a.ID
	sec.ARN = secretARN(sec.Region, a.ID, name, sec.Suffix)
	if sec.ResourcePolicy != nil {
		b.parse(path+".resource_policy", sec.ResourcePolicy, policy.MaxSecretPolicyBytes)
	}
	b.tags(path+".tags", sec.Tags)
	b.versions(path, sec)
	b.index(path, sec)
}

func secretARN(region, account, name, suffix string) string {
	return "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + name + "-" + suffix
}

// index makes sec findable by ARN and by name in its account and region.
func (b *builder) index(path string, sec *Secret) {
	k := sec.Account + "/" + sec.Region + "/" + sec.Name
	if prev := b.s.byName[k]; prev != nil && prev != sec {
		b.fail(path, "a secret named %s already exists in %s (%s)", sec.Name, sec.Region, prev.ARN)
		return
	}
	b.s.byName[k] = sec
	b.s.secrets[sec.ARN] = sec
}

// tags checks tag lengths the way AWS counts them, in characters (Unicode code points), not
// bytes: keys 1-128, values 0-256 (Tagging AWS resources: "Tag naming limits and
// requirements").
func (b *builder) tags(path string, tags map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if n, m := utf8.RuneCountInString(k), utf8.RuneCountInString(tags[k]); n == 0 || n > 128 || m > 256 {
			b.fail(path+"."+k, "a tag key is 1-128 characters and a value at most 256 (this key has %d, its value %d)", n, m)
		}
	}
}

// versions applies the defaults of a secret's versions: without a list, one version staged
// AWSCURRENT whose id is derived from the ARN; with one, ids derived where absent. A staging
// label names at most one version (Secrets Manager User Guide: "Secrets Manager concepts",
// staging labels).
func (b *builder) versions(path string, sec *Secret) {
	if sec.Versions == nil {
		sec.Versions = []*SecretVersion{{ID: VersionID(sec.ARN), Stages: []string{stageCurrent}}}
		sec.VersionID = sec.Versions[0].ID
		sec.derivedVersion = true
		return
	}
	ids := map[string]bool{}
	stages := map[string]string{}
	for i, v := range sec.Versions {
		vpath := path + ".versions[" + strconv.Itoa(i) + "]"
		if v == nil {
			b.fail(vpath, "want an object, got null")
			sec.Versions[i] = &SecretVersion{}
			continue
		}
		if v.ID == "" {
			v.ID = versionIDAt(sec.ARN, i)
		} else if n := len(v.ID); n < 32 || n > 64 {
			// VersionId is 32-64 characters (Secrets Manager API reference: ClientRequestToken).
			b.fail(vpath+".id", "%q is not a version id (32-64 characters, e.g. a UUID)", v.ID)
		}
		if ids[v.ID] {
			b.fail(vpath+".id", "version %s is listed twice", v.ID)
		}
		ids[v.ID] = true
		for j, st := range v.Stages {
			spath := fmt.Sprintf("%s.stages[%d]", vpath, j)
			if n := utf8.RuneCountInString(st); n < 1 || n > 256 {
				b.fail(spath, "a staging label is 1-256 characters")
			}
			if prev, dup := stages[st]; dup {
				b.fail(spath, "%s already labels version %s; a staging label names one version", st, prev)
			}
			stages[st] = v.ID
		}
		if v.KMSKeyID != "" && len(v.KMSKeyIDs) > 0 {
			b.fail(vpath, "give kms_key_id or kms_key_ids, not both")
		}
		if v.HasStage(stageCurrent) {
			sec.VersionID = v.ID
		}
	}
}

// versionIDAt derives the id of the i-th listed version; the first one gets the id a secret
// without a version list has.
func versionIDAt(arn string, i int) string {
	if i == 0 {
		return VersionID(arn)
	}
	return uuid("version", arn, strconv.Itoa(i))
}

// secretKeys resolves the keys of a secret, of its versions and of its replicas once every
// account's keys are indexed, and derives the replica secrets.
func (b *builder) secretKeys(path string, sec *Secret) {
	sec.Key = b.secretKey(path+".kms_key_id", sec.KMSKeyID, sec.Account, sec.Region)
	for i, v := range sec.Versions {
		vpath := path + ".versions[" + strconv.Itoa(i) + "]"
		refs := v.KMSKeyIDs
		if v.KMSKeyID != "" {
			refs = []string{v.KMSKeyID}
		}
		switch {
		case len(refs) > 0:
			for j, ref := range refs {
				field := vpath + ".kms_key_id"
				if len(v.KMSKeyIDs) > 0 {
					field = fmt.Sprintf("%s.kms_key_ids[%d]", vpath, j)
				}
				if k := b.secretKey(field, ref, sec.Account, sec.Region); k != nil {
					v.Keys = append(v.Keys, k)
				}
			}
		case sec.derivedVersion:
			// The one version of a secret that lists none is encrypted under its key.
			if sec.Key != nil {
				v.Keys = []*Key{sec.Key}
			}
		default:
			// A listed version without a key is under the AWS managed key of the secret's
			// region (SPEC §6).
			if k := b.secretKey(vpath+".kms_key_id", "", sec.Account, sec.Region); k != nil {
				v.Keys = []*Key{k}
			}
		}
	}
	for i, r := range sec.Replicas {
		b.replica(fmt.Sprintf("%s.replicas[%d]", path, i), sec, r)
	}
	if len(sec.Replicas) > 0 {
		sec.PrimaryRegion = sec.Region
	}
}

// secretKey resolves a key identifier the way Secrets Manager does for a secret in account and
// region ("" is the AWS managed key aws/secretsmanager, created when first used), and checks that
// the key is in the secret's region, as CreateSecret requires (Secrets Manager User Guide:
// "Secret encryption and decryption").
func (b *builder) secretKey(path, ref, account, region string) *Key {
	if ref == "" {
		ref = AWSManagedSecretsAlias
	}
	if acct, reg, aliasName, ok := aliasRef(ref, account, region); ok && aliasName == AWSManagedSecretsAlias && b.s.Accounts[acct] != nil {
		b.awsManagedKey(acct, reg)
	}
	k, err := b.s.resolveKey(ref, account, region)
	if err != nil {
		b.fail(path, "%s: no key the scenario defines (add it under accounts.<id>.keys)", err.Message)
		return nil
	}
	if k.Region != region {
		b.fail(path, "the key is in %s; Secrets Manager encrypts a secret with a key in its own region (%s)", k.Region, region)
	}
	return k
}

// replica derives the replica secret of primary in r.Region: same account, name and suffix
// (the ARN differs only in its region), the primary's resource policy, tags, value and version
// ids, every version encrypted under the replica's own key (Secrets Manager User Guide:
// "Replicate AWS Secrets Manager secrets across Regions").
func (b *builder) replica(path string, primary *Secret, r *Replica) {
	if r == nil {
		b.fail(path, "want an object, got null")
		return
	}
	if !regionRe.MatchString(r.Region) {
		b.fail(path+".region", "%q is not a region name", r.Region)
		return
	}
	if r.Region == primary.Region {
		b.fail(path+".region", "a replica is in another region than its primary (%s)", primary.Region)
		return
	}
	if r.Status == "" {
		r.Status = "InSync"
	} else if !replicationStatuses[r.Status] {
		b.fail(path+".status", "%q is not InSync, InProgress or Failed", r.Status)
	}
	key := b.secretKey(path+".kms_key_id", r.KMSKeyID, primary.Account, r.Region)
	rs := &Secret{
		Region: r.Region, Suffix: primary.Suffix, KMSKeyID: r.KMSKeyID, ResourcePolicy: primary.ResourcePolicy,
		DeletedDate: primary.DeletedDate, Value: primary.Value, Description: primary.Description, Tags: primary.Tags,
		Name: primary.Name, Account: primary.Account, VersionID: primary.VersionID, Key: key,
		ARN: secretARN(r.Region, primary.Account, primary.Name, primary.Suffix), PrimaryRegion: primary.Region,
		Primary: primary, derivedVersion: primary.derivedVersion,
	}
	rs.Versions = make([]*SecretVersion, 0, len(primary.Versions))
	for _, v := range primary.Versions {
		rv := &SecretVersion{ID: v.ID, Stages: v.Stages}
		if key != nil {
			rv.Keys = []*Key{key}
		}
		rs.Versions = append(rs.Versions, rv)
	}
	for _, other := range primary.Replicas {
		if other != r && other != nil && other.Region == r.Region {
			b.fail(path+".region", "the secret is replicated to %s twice", r.Region)
			return
		}
	}
	r.Secret = rs
	b.index(path, rs)
}

// CurrentVersion returns the version staged AWSCURRENT, nil when none is (a secret created
// without a value).
func (sec *Secret) CurrentVersion() *SecretVersion {
	return sec.VersionByStage(stageCurrent)
}

// VersionByStage returns the version that carries stage, nil when none does.
func (sec *Secret) VersionByStage(stage string) *SecretVersion {
	for _, v := range sec.Versions {
		if v.HasStage(stage) {
			return v
		}
	}
	return nil
}

// VersionByID returns the version with id, nil when there is none.
func (sec *Secret) VersionByID(id string) *SecretVersion {
	for _, v := range sec.Versions {
		if v.ID == id {
			return v
		}
	}
	return nil
}

// DecryptKey is the key Secrets Manager decrypts version v with: the secret's configured key when
// the version is encrypted under it, else the first key the version lists (aws-semantics §3.6:
// a version keeps the encryption of the key it was written with until it is re-encrypted).
func (sec *Secret) DecryptKey(v *SecretVersion) *Key {
	for _, k := range v.Keys {
		if k == sec.Key {
			return k
		}
	}
	if len(v.Keys) > 0 {
		return v.Keys[0]
	}
	return sec.Key
}
