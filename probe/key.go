package probe

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/xsdoctor/xsdoctor"
)

// keyResult is what the KMS simulation waits for.
type keyResult struct {
	arn     string // the key ARN; "" when the key could not be identified
	account string
}

// readKey identifies the secret's key from DescribeSecret.KmsKeyId and reads it from the key's
// own account: DescribeKey, GetKeyPolicy and ListGrants, all three at once.
//
// How the identifier is resolved (aws-semantics §2.1, §3.2):
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
func (g *gatherer) readKey(ctx context.Context) {
	key := &g.f.Key
	res := keyResult{}
	published := false
	publish := func() {
		if !published {
			published = true
			g.keyF.set(res)
		}
	}
	defer publish()

	sec := g.secretF.get()
	if !sec.ok {
		key.Err = cause(sec.err)
		return
	}
	ref := resolveKeyRef(sec.kmsKeyID, sec.arn)
	key.Account, key.Region, key.Alias = ref.Account, ref.Region, ref.Alias
	s := g.keySession(ref.Account)
	if ref.Account != g.ownerAccount && ref.Account != g.consumer.Account {
		g.keyOwner(ref.Account, s)
	}
	if re := s.ready(ctx); re != nil {
		key.Err = cause(re)
		key.PolicyErr, key.GrantsErr = cause(re), cause(re)
		return
	}
	opt := func(o *kms.Options) { o.Region = ref.Region }

	var meta *kmstypes.KeyMetadata
	switch {
	case ref.KeyID != "":
		key.ID, key.ARN = ref.KeyID, ref.keyARN()
	case ref.predefined():
		id, re := g.aliasTarget(ctx, s, ref, opt)
		if re != nil {
			key.Err = re
			return
		}
		key.ID = id
		key.ARN = keyRef{Partition: ref.Partition, Region: ref.Region, Account: ref.Account, KeyID: id}.keyARN()
	default:
		out, err := s.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref.aliasID())}, opt)
		if err == nil && out.KeyMetadata != nil {
			meta = out.KeyMetadata
			key.ID, key.ARN = aws.ToString(meta.KeyId), aws.ToString(meta.Arn)
			break
		}
		re := readError("kms:DescribeKey", s.accountID(), err)
		if err != nil && !accessDenied[re.Code] {
			key.Err = re
			return
		}
		id, lre := g.aliasTarget(ctx, s, ref, opt)
		if lre != nil {
			key.Err = re // DescribeKey's denial is the fact; ListAliases was only the fallback
			return
		}
		key.ID = id
		key.ARN = keyRef{Partition: ref.Partition, Region: ref.Region, Account: ref.Account, KeyID: id}.keyARN()
		key.Err = re // the key is identified, but its state and manager are unread
	}
	if a, ok := parseARN(key.ARN); ok && a.Account != key.Account {
		// DescribeKey named a key in another account than the identifier did: read it there.
		key.Account, key.Region = a.Account, a.Region
		s = g.keySession(a.Account)
		if re := s.ready(ctx); re != nil {
			key.PolicyErr, key.GrantsErr = cause(re), cause(re)
			res = keyResult{arn: key.ARN, account: key.Account}
			return
		}
	}
	keyARN, keyAccount := key.ARN, key.Account
	res = keyResult{arn: keyARN, account: keyAccount}
	publish() // the KMS simulation can start now

	var wg sync.WaitGroup
	if meta == nil && key.Err == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := s.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyARN)}, opt)
			if err != nil {
				key.Err = readError("kms:DescribeKey", s.accountID(), err)
				return
			}
			g.keyMeta(out.KeyMetadata)
		}()
	} else if meta != nil {
		g.keyMeta(meta)
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		if s.accountID() != keyAccount {
			key.PolicyErr = &xsdoctor.ReadError{Call: "kms:GetKeyPolicy", Account: keyAccount, Code: CodeNoCredentials,
				Message: fmt.Sprintf("GetKeyPolicy only works from the key's own account %s; pass --key-role with a read-only role there", keyAccount)}
			return
		}
		// PolicyName is always sent: "default" is the only name, and moto (like older KMS)
		// answers NotFoundException without it (wire.md; KMS API reference, GetKeyPolicy).
		out, err := s.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default")}, opt)
		if err != nil {
			key.PolicyErr = readError("kms:GetKeyPolicy", s.accountID(), err)
			return
		}
		key.Policy = aws.ToString(out.Policy)
	}()
	go func() {
		defer wg.Done()
		grants, re := g.listGrants(ctx, s, keyARN, opt)
		key.Grants, key.GrantsErr = grants, re
	}()
	wg.Wait()
}

// keyMeta records DescribeKey's answer, and only that: Manager and State are what KMS said, so
// the report can cite kms:DescribeKey for them. That the key is AWS managed is also known without
// DescribeKey, from Key.Alias: the alias/aws/ prefix is reserved for AWS managed keys (KMS API
// reference, CreateAlias), and moto reports KeyManager CUSTOMER for the key behind
// alias/aws/secretsmanager (wire.md).
func (g *gatherer) keyMeta(meta *kmstypes.KeyMetadata) {
	if meta == nil {
		return
	}
	key := &g.f.Key
	key.State = string(meta.KeyState)
	key.Manager = string(meta.KeyManager)
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
