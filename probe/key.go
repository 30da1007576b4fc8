package probe

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
)

// keyRead is what readKey returns: the key that decides the key-policy door, and the secret's
// configured key resolved to its ARN (for VERSION_KEY_MISMATCH).
type keyRead struct {
	key           xsdoctor.Key
	configuredARN string
}

// readKey identifies the key that encrypts the version GetSecretValue reads, AWSCURRENT, and
// reads it from the key's own account: DescribeKey, GetKeyPolicy, ListGrants, its tags and its
// aliases, all at once. That key is the one in the current version's KmsKeyIds
// (ListSecretVersionIds); when the list gives none (older APIs, moto), or names the configured
// key among others (a version re-encrypted while the old encryption is kept), the configured key
// DescribeSecret.KmsKeyId decides (aws-semantics §3.6; SPEC §3).
//
// How an identifier is resolved (aws-semantics §2.1, §3.2):
//   - absent, or a predefined alias/aws/… name or ARN: the AWS managed key, found with
//     ListAliases (TargetKeyId). Never DescribeKey on the alias: "If you specify a predefined AWS
//     alias (an AWS alias with no key ID), KMS associates the alias with an AWS managed key"
//     (KMS API reference, DescribeKey) — a read that can create a key is not a read.
//   - a customer alias name or alias ARN: DescribeKey with it. DescribeKey accepts "key ID, key
//     ARN, alias name, or alias ARN" and the side effect above is limited to predefined AWS
//     aliases, so for a customer alias it is a pure read; unlike ListAliases it works
//     cross-account with the alias ARN, is authorized by the key's own policy, needs one round
//     trip whatever the number of aliases, and returns the key ARN that GetKeyPolicy and
//     ListGrants require (GetKeyPolicy: "Specify the key ID or key ARN"). ListAliases is the
//     fallback when DescribeKey is denied.
//   - a key id or key ARN: read directly.
//
// The KMS simulation waits for all of it: the key's tags and aliases are context keys of the
// request it asks about.
func (g *gatherer) readKey(ctx context.Context) keyRead {
	var out keyRead

	sec := g.secret.get()
	if sec.Err != nil {
		out.key.Err = cause(sec.Err)
		return out
	}
	secretARN, _ := arn.Parse(sec.ARN)
	conf := g.identify(ctx, resolveKeyRef(sec.KMSKeyID, secretARN))
	out.configuredARN = conf.key.ARN
	deciding := conf
	if cur := currentKeyIDs(sec); len(cur) > 0 && !namesKey(cur, secretARN, conf.key) {
		// AWSCURRENT is not under the configured key: the version's own key decides.
		deciding = g.identify(ctx, resolveKeyRef(cur[0], secretARN))
	}
	out.key = deciding.key
	if !deciding.done {
		out.key = g.keyDetails(ctx, deciding)
	}
	return out
}

// readReplicaKeys reads the key of every replica the primary's DescribeSecret lists, each in
// its own region: ReplicationStatus[].KmsKeyId, or the AWS managed key aws/secretsmanager of that
// region when it is empty (aws-semantics §3.7). The keys come back in the order of
// Secret.Replicas.
func (g *gatherer) readReplicaKeys(ctx context.Context) []xsdoctor.Key {
	sec := g.secret.get()
	if sec.Err != nil || len(sec.Replicas) == 0 {
		return nil
	}
	primary, err := arn.Parse(sec.ARN)
	if err != nil {
		return nil
	}
	keys := make([]xsdoctor.Key, len(sec.Replicas))
	var wg sync.WaitGroup
	for i, r := range sec.Replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := g.identify(ctx, resolveKeyRef(r.KMSKeyID, primary.InRegion(r.Region)))
			keys[i] = id.key
			if !id.done {
				keys[i] = g.keyDetails(ctx, id)
			}
		}()
	}
	wg.Wait()
	return keys
}

// currentKeyIDs are the keys ListSecretVersionIds lists for AWSCURRENT, as AWS wrote them.
func currentKeyIDs(sec xsdoctor.Secret) []string {
	for _, v := range sec.Versions {
		if v.ID == sec.VersionID && v.HasStage(stageCurrent) {
			return v.KMSKeyIDs
		}
	}
	return nil
}

// namesKey reports whether one of ids (in any of the four forms) is the key k, identified.
func namesKey(ids []string, secret arn.ARN, k xsdoctor.Key) bool {
	for _, id := range ids {
		ref := resolveKeyRef(id, secret)
		switch {
		case ref.keyARN() != "" && ref.keyARN() == k.ARN:
			return true
		case ref.Alias != "" && ref.Alias == k.Alias && ref.Account == k.Account:
			return true
		}
	}
	return false
}

// identified is a key whose ARN is known (or why not), with the session and region to read it in.
type identified struct {
	key  xsdoctor.Key
	meta *kmstypes.KeyMetadata // DescribeKey's answer, when identification needed it
	s    *session
	opt  func(*kms.Options)
	done bool // nothing more can be read
}

// identify resolves a key reference to the key's ARN and account.
func (g *gatherer) identify(ctx context.Context, ref keyRef) identified {
	var id identified
	key := &id.key
	key.Account, key.Region, key.Alias = ref.Account, ref.Region, ref.Alias
	id.s = g.keySession(ref.Account)
	id.opt = func(o *kms.Options) { o.Region = ref.Region }
	if ref.Account != g.ownerAccount && ref.Account != g.consumer.Account {
		g.orgOf(ref.Account, id.s) // the KMS hop's aws:ResourceOrgID; read beside the key
	}
	if re := id.s.ready(ctx); re != nil {
		key.Err = cause(re)
		key.PolicyErr, key.GrantsErr = cause(re), cause(re)
		id.done = true
		return id
	}
	switch {
	case ref.KeyID != "":
		key.ID, key.ARN = ref.KeyID, ref.keyARN()
	case ref.predefined():
		kid, re := g.aliasTarget(ctx, id.s, ref, id.opt)
		if re != nil {
			key.Err, id.done = re, true
			return id
		}
		key.ID = kid
		key.ARN = arn.Key(ref.Partition, ref.Region, ref.Account, kid).String()
	default:
		out, err := id.s.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref.aliasID())}, id.opt)
		if err == nil && out.KeyMetadata != nil {
			id.meta = out.KeyMetadata
			key.ID, key.ARN = aws.ToString(id.meta.KeyId), aws.ToString(id.meta.Arn)
			break
		}
		re := readError("kms:DescribeKey", id.s.accountID(), err)
		if err != nil && !accessDenied[re.Code] {
			key.Err, id.done = re, true
			return id
		}
		kid, lre := g.aliasTarget(ctx, id.s, ref, id.opt)
		if lre != nil {
			key.Err, id.done = re, true // DescribeKey's denial is the fact; ListAliases was only the fallback
			return id
		}
		key.ID = kid
		key.ARN = arn.Key(ref.Partition, ref.Region, ref.Account, kid).String()
		key.Err = re // the key is identified, but its state and manager are unread
	}
	if a, ok := arn.Split(key.ARN); ok && a.Account != key.Account {
		// DescribeKey named a key in another account than the identifier did: read it there.
		key.Account, key.Region = a.Account, a.Region
		id.s = g.keySession(a.Account)
		if a.Account != g.ownerAccount && a.Account != g.consumer.Account {
			g.orgOf(a.Account, id.s)
		}
		if re := id.s.ready(ctx); re != nil {
			key.PolicyErr, key.GrantsErr = cause(re), cause(re)
			id.done = true
		}
	}
	return id
}

// keyDetails reads an identified key: DescribeKey (unless identification already did), the key
// policy, the grants, the tags and the aliases, all at once.
func (g *gatherer) keyDetails(ctx context.Context, id identified) xsdoctor.Key {
	key, s, opt := id.key, id.s, id.opt
	var (
		wg          sync.WaitGroup
		described   = id.meta
		describeErr *xsdoctor.ReadError
		policy      policyRead
		grants      []xsdoctor.Grant
		grantsErr   *xsdoctor.ReadError
		tags        map[string]string
		tagsErr     *xsdoctor.ReadError
		aliases     []string
		aliasesErr  *xsdoctor.ReadError
	)
	if described == nil && key.Err == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := s.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key.ARN)}, opt)
			if err != nil {
				describeErr = readError("kms:DescribeKey", s.accountID(), err)
				return
			}
			described = out.KeyMetadata
		}()
	}
	wg.Add(4)
	go func() {
		defer wg.Done()
		policy = g.keyPolicy(ctx, s, key.ARN, key.Account, opt)
	}()
	go func() {
		defer wg.Done()
		grants, grantsErr = g.listGrants(ctx, s, key.ARN, opt)
	}()
	go func() {
		defer wg.Done()
		tags, tagsErr = g.keyTags(ctx, s, key.ARN, key.Account, opt)
	}()
	go func() {
		defer wg.Done()
		aliases, aliasesErr = g.keyAliases(ctx, s, key.ARN, key.Account, opt)
	}()
	wg.Wait()
	if describeErr != nil {
		key.Err = describeErr
	}
	if described != nil {
		// Manager and State are only what DescribeKey said, so the report can cite
		// kms:DescribeKey for them. That the key is AWS managed is also known without
		// DescribeKey, from Key.Alias: the alias/aws/ prefix is reserved for AWS managed keys
		// (KMS API reference, CreateAlias), and moto reports KeyManager CUSTOMER for the key
		// behind alias/aws/secretsmanager (wire.md).
		key.State, key.Manager = string(described.KeyState), string(described.KeyManager)
	}
	key.Policy, key.PolicyErr = policy.text, policy.err
	key.Grants, key.GrantsErr = grants, grantsErr
	key.Tags, key.TagsErr = tags, tagsErr
	key.Aliases, key.AliasesErr = aliases, aliasesErr
	if slices.Contains(key.Aliases, AWSManagedSecretsAlias) && key.Alias == "" {
		key.Alias = AWSManagedSecretsAlias
	}
	return key
}

// keyTags reads the key's tags (kms:ListResourceTags, paginated): the KMS hop's aws:ResourceTag/*.
// It works only from the key's own account ("You cannot perform this operation on a KMS key in a
// different AWS account", KMS API reference, ListResourceTags).
func (g *gatherer) keyTags(ctx context.Context, s *session, keyARN, keyAccount string, opt func(*kms.Options)) (map[string]string, *xsdoctor.ReadError) {
	if s.accountID() != keyAccount {
		return nil, &xsdoctor.ReadError{Call: "kms:ListResourceTags", Account: keyAccount, Code: CodeNoCredentials,
			Message: fmt.Sprintf("ListResourceTags only works from the key's own account %s; pass --key-role with a read-only role there", keyAccount)}
	}
	p := kms.NewListResourceTagsPaginator(s.kms, &kms.ListResourceTagsInput{KeyId: aws.String(keyARN)}, func(o *kms.ListResourceTagsPaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	var tags map[string]string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, opt)
		if err != nil {
			return nil, readError("kms:ListResourceTags", s.accountID(), err)
		}
		for _, t := range page.Tags {
			if tags == nil {
				tags = map[string]string{}
			}
			tags[aws.ToString(t.TagKey)] = aws.ToString(t.TagValue)
		}
	}
	return tags, nil
}

// keyAliases reads the aliases of the key (ListAliases with KeyId, paginated; "The KMS key must
// be in the same AWS account as the caller", KMS API reference): the KMS hop's
// kms:ResourceAliases.
func (g *gatherer) keyAliases(ctx context.Context, s *session, keyARN, keyAccount string, opt func(*kms.Options)) ([]string, *xsdoctor.ReadError) {
	if s.accountID() != keyAccount {
		return nil, &xsdoctor.ReadError{Call: "kms:ListAliases", Account: keyAccount, Code: CodeNoCredentials,
			Message: fmt.Sprintf("ListAliases only lists the caller's own account; pass --key-role with a read-only role in %s", keyAccount)}
	}
	p := kms.NewListAliasesPaginator(s.kms, &kms.ListAliasesInput{KeyId: aws.String(keyARN)}, func(o *kms.ListAliasesPaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	var aliases []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, opt)
		if err != nil {
			return nil, readError("kms:ListAliases", s.accountID(), err)
		}
		for _, a := range page.Aliases {
			aliases = append(aliases, aws.ToString(a.AliasName))
		}
	}
	slices.Sort(aliases)
	return aliases, nil
}

// keyPolicy reads the key policy. GetKeyPolicy only works from the key's own account, so without
// credentials there it is recorded as not attempted.
func (g *gatherer) keyPolicy(ctx context.Context, s *session, keyARN, keyAccount string, opt func(*kms.Options)) policyRead {
	if s.accountID() != keyAccount {
		return policyRead{err: &xsdoctor.ReadError{Call: "kms:GetKeyPolicy", Account: keyAccount, Code: CodeNoCredentials,
			Message: fmt.Sprintf("GetKeyPolicy only works from the key's own account %s; pass --key-role with a read-only role there", keyAccount)}}
	}
	// PolicyName is always sent: "default" is the only name, and moto (like older KMS) answers
	// NotFoundException without it (wire.md; KMS API reference, GetKeyPolicy).
	out, err := s.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default")}, opt)
	if err != nil {
		return policyRead{err: readError("kms:GetKeyPolicy", s.accountID(), err)}
	}
	return policyRead{text: aws.ToString(out.Policy)}
}

// aliasTarget finds an alias's TargetKeyId with ListAliases (paginated; it lists the caller's
// own account only, so it needs credentials in the alias's account).
func (g *gatherer) aliasTarget(ctx context.Context, s *session, ref keyRef, opt func(*kms.Options)) (string, *xsdoctor.ReadError) {
	if s.accountID() != ref.Account {
		return "", &xsdoctor.ReadError{Call: "kms:ListAliases", Account: ref.Account, Code: CodeNoCredentials,
			Message: fmt.Sprintf("%s can only be resolved from account %s; pass --key-role with a read-only role there", ref.Alias, ref.Account)}
	}
	p := kms.NewListAliasesPaginator(s.kms, &kms.ListAliasesInput{}, func(o *kms.ListAliasesPaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, opt)
		if err != nil {
			return "", readError("kms:ListAliases", s.accountID(), err)
		}
		for _, a := range page.Aliases {
			if aws.ToString(a.AliasName) != ref.Alias {
				continue
			}
			if id := aws.ToString(a.TargetKeyId); id != "" {
				return id, nil
			}
			return "", &xsdoctor.ReadError{Call: "kms:ListAliases", Account: ref.Account,
				Message: ref.Alias + " is not associated with a key yet in " + ref.Region}
		}
	}
	return "", &xsdoctor.ReadError{Call: "kms:ListAliases", Account: ref.Account, Code: "NotFoundException",
		Message: fmt.Sprintf("no alias %s in account %s, region %s", ref.Alias, ref.Account, ref.Region)}
}

// listGrants reads every grant on the key (ListGrants, paginated with Marker/NextMarker; the key
// ARN works cross-account).
func (g *gatherer) listGrants(ctx context.Context, s *session, keyARN string, opt func(*kms.Options)) ([]xsdoctor.Grant, *xsdoctor.ReadError) {
	var grants []xsdoctor.Grant
	p := kms.NewListGrantsPaginator(s.kms, &kms.ListGrantsInput{KeyId: aws.String(keyARN)}, func(o *kms.ListGrantsPaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, opt)
		if err != nil {
			return grants, readError("kms:ListGrants", s.accountID(), err)
		}
		for _, e := range page.Grants {
			gr := xsdoctor.Grant{
				ID:               aws.ToString(e.GrantId),
				Name:             aws.ToString(e.Name),
				GranteePrincipal: aws.ToString(e.GranteePrincipal),
			}
			for _, op := range e.Operations {
				gr.Operations = append(gr.Operations, string(op))
			}
			if c := e.Constraints; c != nil {
				if len(c.EncryptionContextSubset) > 0 {
					gr.EncryptionContextSubset = c.EncryptionContextSubset
				}
				if len(c.EncryptionContextEquals) > 0 {
					gr.EncryptionContextEquals = c.EncryptionContextEquals
				}
			}
			grants = append(grants, gr)
		}
	}
	sort.SliceStable(grants, func(i, j int) bool { return grants[i].ID < grants[j].ID })
	return grants, nil
}

// keySession picks the credentials to read a key in account with: --key-role when it is a role
// there, else the owner's or the consumer's when the key lives in their account, else the
// owner's (DescribeKey and ListGrants work cross-account by key ARN; GetKeyPolicy does not, and
// is then recorded as not attempted).
func (g *gatherer) keySession(account string) *session {
	switch {
	case g.key != nil && g.key.accountID() == account:
		return g.key
	case account == g.owner.accountID():
		return g.owner
	case account == g.consumerSess.accountID():
		return g.consumerSess
	}
	return g.owner
}
