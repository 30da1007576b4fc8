package probe

import (
	"cmp"
	"context"
	"slices"
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
// resolved) and, beside it, every version with ListSecretVersionIds, and returns it with its
// subject normalised: the ARN DescribeSecret gave, its partition, account and region.
func (g *gatherer) readSecret(ctx context.Context, out *secretsmanager.DescribeSecretOutput) xsdoctor.Secret {
	a := g.secretARN
	sec := xsdoctor.Secret{ARN: a.String(), Partition: a.Partition, Account: a.Account, Region: a.Region}
	type listed struct {
		versions []xsdoctor.Version
		err      *xsdoctor.ReadError
	}
	lv := make(chan listed, 1)
	go func() {
		v, re := g.listVersions(ctx, a.String())
		lv <- listed{v, re}
	}()
	var re *xsdoctor.ReadError
	if out == nil {
		out, re = describe(ctx, g.owner, a.String())
	}
	l := <-lv
	sec.Versions, sec.VersionsErr = l.versions, l.err
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
	sec.PrimaryRegion = aws.ToString(out.PrimaryRegion)
	if out.DeletedDate != nil {
		sec.DeletedDate = out.DeletedDate.UTC().Format(time.RFC3339)
	}
	if len(out.Tags) > 0 {
		sec.Tags = map[string]string{}
		for _, t := range out.Tags {
			sec.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	for _, r := range out.ReplicationStatus {
		sec.Replicas = append(sec.Replicas, xsdoctor.Replica{Region: aws.ToString(r.Region),
			KMSKeyID: aws.ToString(r.KmsKeyId), Status: string(r.Status)})
	}
	slices.SortFunc(sec.Replicas, func(x, y xsdoctor.Replica) int { return cmp.Compare(x.Region, y.Region) })

	// The AWSCURRENT version (Secrets Manager User Guide, "Secret versions": "AWSCURRENT … the
	// current version of the secret"): from DescribeSecret.VersionIdsToStages, which is optional in
	// the model ("Secrets Manager only returns fields that have a value"), else from the list.
	sec.VersionID = currentVersion(out.VersionIdsToStages)
	if sec.VersionID == "" {
		for _, v := range sec.Versions {
			if v.HasStage(stageCurrent) {
				sec.VersionID = v.ID
			}
		}
	}
	// No AWSCURRENT anywhere, with the version list read: the secret has no value (created
	// without one), and GetSecretValue fails with ResourceNotFoundException whatever the doors
	// say (Secrets Manager API reference, GetSecretValue).
	sec.NoCurrentVersion = sec.VersionID == "" && sec.VersionsErr == nil
	return sec
}

// stageCurrent is the staging label of the version GetSecretValue reads by default.
const stageCurrent = "AWSCURRENT"

// currentVersion is the version id staged AWSCURRENT.
func currentVersion(stages map[string][]string) string {
	for id, labels := range stages {
		if slices.Contains(labels, stageCurrent) {
			return id
		}
	}
	return ""
}

// listVersions reads every version of the secret, deprecated ones (no staging label) included,
// with the keys that encrypt each (ListSecretVersionIds, paginated; a repeated NextToken stops
// the listing instead of looping).
func (g *gatherer) listVersions(ctx context.Context, secretARN string) ([]xsdoctor.Version, *xsdoctor.ReadError) {
	if re := g.owner.ready(ctx); re != nil {
		return nil, cause(re)
	}
	p := secretsmanager.NewListSecretVersionIdsPaginator(g.owner.sm, &secretsmanager.ListSecretVersionIdsInput{
		SecretId: aws.String(secretARN), IncludeDeprecated: aws.Bool(true),
	}, func(o *secretsmanager.ListSecretVersionIdsPaginatorOptions) { o.StopOnDuplicateToken = true })
	var versions []xsdoctor.Version
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, readError("secretsmanager:ListSecretVersionIds", g.owner.accountID(), err)
		}
		for _, v := range page.Versions {
			versions = append(versions, xsdoctor.Version{ID: aws.ToString(v.VersionId),
				Stages: append([]string{}, v.VersionStages...), KMSKeyIDs: v.KmsKeyIds})
		}
	}
	slices.SortFunc(versions, func(x, y xsdoctor.Version) int { return cmp.Compare(x.ID, y.ID) })
	return versions, nil
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
