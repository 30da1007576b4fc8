package probe

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
)

// describe is DescribeSecret, with the resolution of a name or partial ARN when given one (the
// caller's own account and region; Secrets Manager API reference, DescribeSecret.SecretId:
// "For an ARN, we recommend that you specify a complete ARN rather than a partial ARN").
func describe(ctx context.Context, s *session, id string) (*secretsmanager.DescribeSecretOutput, *xsdoctor.ReadError) {
	if re := s.ready(ctx); re != nil {
		return nil, cause(re)
	}
	out, err := s.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		return nil, readError("secretsmanager:DescribeSecret", s.accountID(), err)
	}
	return out, nil
}

// readSecret reads the secret with DescribeSecret (already made when the input had to be
// resolved) and returns it with its subject normalised: the ARN DescribeSecret gave, its
// partition, account and region.
func (g *gatherer) readSecret(ctx context.Context, out *secretsmanager.DescribeSecretOutput) xsdoctor.Secret {
	a := g.secretARN
	sec := xsdoctor.Secret{ARN: a.String(), Partition: a.Partition, Account: a.Account, Region: a.Region}
	var re *xsdoctor.ReadError
	if out == nil {
		out, re = describe(ctx, g.owner, g.secretARN.String())
	}
	if re != nil {
		sec.Err = re
		sec.NotFound = re.Code == "ResourceNotFoundException"
		return sec
	}
	if got, err := arn.Parse(aws.ToString(out.ARN)); err == nil && got != a {
		sec.ARN, sec.Partition, sec.Account, sec.Region = got.String(), got.Partition, got.Account, got.Region
	}
	sec.Name = aws.ToString(out.Name)
	sec.KMSKeyID = aws.ToString(out.KmsKeyId)
	if out.DeletedDate != nil {
		sec.DeletedDate = out.DeletedDate.UTC().Format(time.RFC3339)
	}
	if len(out.Tags) > 0 {
		sec.Tags = map[string]string{}
		for _, t := range out.Tags {
			sec.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	sec.VersionID = currentVersion(out.VersionIdsToStages)
	if sec.VersionID == "" && len(out.VersionIdsToStages) == 0 && out.DeletedDate == nil {
		// VersionIdsToStages is optional in the model ("Secrets Manager only returns fields that
		// have a value"); ask ListSecretVersionIds before giving up on the encryption context's
		// SecretVersionId.
		sec.VersionID = g.listCurrentVersion(ctx, sec.ARN)
	}
	return sec
}

// currentVersion is the version id staged AWSCURRENT (Secrets Manager User Guide, "Secret
// versions": "AWSCURRENT … the current version of the secret").
func currentVersion(stages map[string][]string) string {
	for id, labels := range stages {
		for _, l := range labels {
			if l == "AWSCURRENT" {
				return id
			}
		}
	}
	return ""
}

func (g *gatherer) listCurrentVersion(ctx context.Context, secretARN string) string {
	p := secretsmanager.NewListSecretVersionIdsPaginator(g.owner.sm, &secretsmanager.ListSecretVersionIdsInput{
		SecretId: aws.String(secretARN),
	})
	guard := newPageGuard("secretsmanager:ListSecretVersionIds", g.owner.accountID())
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			// The version id only refines the encryption context; its absence is visible in
			// the facts (empty VersionID), so the failure is recorded in the calls only.
			return ""
		}
		for _, v := range page.Versions {
			for _, l := range v.VersionStages {
				if l == "AWSCURRENT" {
					return aws.ToString(v.VersionId)
				}
			}
		}
		if guard.next(page.NextToken) != nil {
			return "" // a repeated token: the version id stays unknown, as for a failed read
		}
	}
	return ""
}

// readSecretPolicy reads the resource policy with GetResourcePolicy. It needs only the ARN, so
// it runs beside DescribeSecret. An absent, null or empty ResourcePolicy means no policy
// (aws-semantics §3.3).
func (g *gatherer) readSecretPolicy(ctx context.Context, secretARN string) policyRead {
	if re := g.owner.ready(ctx); re != nil {
		return policyRead{err: cause(re)}
	}
	out, err := g.owner.sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(secretARN)})
	if err != nil {
		return policyRead{err: readError("secretsmanager:GetResourcePolicy", g.owner.accountID(), err)}
	}
	return policyRead{text: aws.ToString(out.ResourcePolicy)}
}
