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
	"github.com/xsdoctor/xsdoctor/arn"
)

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
//
// It publishes the key's identity in g.keyID the moment it is known, so that the KMS simulation
// starts beside the key policy and grant reads, and returns everything it read.
func (g *gatherer) readKey(ctx context.Context) xsdoctor.Key {
	var key xsdoctor.Key
	published := false
	publish := func() {
		if !published {
			published = true
			g.keyID.set(xsdoctor.Key{ARN: key.ARN, Account: key.Account, Region: key.Region})
		}
	}
	defer publish()

	sec := g.secret.get()
	if sec.Err != nil {
		key.Err = cause(sec.Err)
		return key
	}
	secretARN, _ := arn.Parse(sec.ARN)
	ref := resolveKeyRef(sec.KMSKeyID, secretARN)
	key.Account, key.Region, key.Alias = ref.Account, ref.Region, ref.Alias
	s := g.keySession(ref.Account)
	if ref.Account != g.ownerAccount && ref.Account != g.consumer.Account {
		g.orgOf(ref.Account, s) // the KMS hop's aws:ResourceOrgID; read beside the key
	}
	if re := s.ready(ctx); re != nil {
		key.Err = cause(re)
		key.PolicyErr, key.GrantsErr = cause(re), cause(re)
		return key
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
			return key
		}
		key.ID = id
		key.ARN = arn.Key(ref.Partition, ref.Region, ref.Account, id).String()
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
			return key
		}
		id, lre := g.aliasTarget(ctx, s, ref, opt)
		if lre != nil {
			key.Err = re // DescribeKey's denial is the fact; ListAliases was only the fallback
			return key
		}
		key.ID = id
		key.ARN = arn.Key(ref.Partition, ref.Region, ref.Account, id).String()
		key.Err = re // the key is identified, but its state and manager are unread
	}
	if a, ok := arn.Split(key.ARN); ok && a.Account != key.Account {
		// DescribeKey named a key in another account than the identifier did: read it there.
		key.Account, key.Region = a.Account, a.Region
		s = g.keySession(a.Account)
		if a.Account != g.ownerAccount && a.Account != g.consumer.Account {
			g.orgOf(a.Account, s)
		}
		if re := s.ready(ctx); re != nil {
			key.PolicyErr, key.GrantsErr = cause(re), cause(re)
			return key
		}
	}
	publish() // the KMS simulation can start now

	keyARN, keyAccount := key.ARN, key.Account
	var (
		wg          sync.WaitGroup
		described   *kmstypes.KeyMetadata
		describeErr *xsdoctor.ReadError
		policy      policyRead
		grants      []xsdoctor.Grant
		grantsErr   *xsdoctor.ReadError
	)
	if meta == nil && key.Err == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := s.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyARN)}, opt)
			if err != nil {
				describeErr = readError("kms:DescribeKey", s.accountID(), err)
				return
			}
			described = out.KeyMetadata
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		policy = g.keyPolicy(ctx, s, keyARN, keyAccount, opt)
	}()
	go func() {
		defer wg.Done()
		grants, grantsErr = g.listGrants(ctx, s, keyARN, opt)
	}()
	wg.Wait()
	if described != nil {
		meta = described
	}
	if describeErr != nil {
		key.Err = describeErr
	}
	if meta != nil {
		// Manager and State are only what DescribeKey said, so the report can cite
		// kms:DescribeKey for them. That the key is AWS managed is also known without
		// DescribeKey, from Key.Alias: the alias/aws/ prefix is reserved for AWS managed keys
		// (KMS API reference, CreateAlias), and moto reports KeyManager CUSTOMER for the key
		// behind alias/aws/secretsmanager (wire.md).
		key.State, key.Manager = string(meta.KeyState), string(meta.KeyManager)
	}
	key.Policy, key.PolicyErr = policy.text, policy.err
	key.Grants, key.GrantsErr = grants, grantsErr
	return key
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
	guard := newPageGuard("kms:ListAliases", s.accountID())
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
		if page.Truncated {
			if re := guard.next(page.NextMarker); re != nil {
				return "", re
			}
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
	guard := newPageGuard("kms:ListGrants", s.accountID())
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
		if page.Truncated {
			if re := guard.next(page.NextMarker); re != nil {
				return grants, re
			}
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
