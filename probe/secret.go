package probe

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/xsdoctor/xsdoctor"
)

// secretResult is what the key reads and the simulations wait for.
type secretResult struct {
	ok        bool
	arn       arn    // the full secret ARN
	kmsKeyID  string // DescribeSecret.KmsKeyId as returned
	versionID string
	err       *xsdoctor.ReadError
}

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

// readSecret fills f.Secret from DescribeSecret (already made when the input had to be resolved)
// and publishes what the key reads need.
func (g *gatherer) readSecret(ctx context.Context, out *secretsmanager.DescribeSecretOutput) {
	sec := &g.f.Secret
	res := secretResult{arn: g.secretARN}
	defer func() { g.secretF.set(res) }()
	var re *xsdoctor.ReadError
	if out == nil {
		out, re = describe(ctx, g.owner, g.secretARN.String())
	}
	if re != nil {
		sec.Err = re
		sec.NotFound = re.Code == "ResourceNotFoundException"
		res.err = re
		return
	}
	if a, ok := parseARN(aws.ToString(out.ARN)); ok && a.String() != g.secretARN.String() {
		// A "full" ARN whose name itself ends in -XXXXXX was a partial ARN after all (Secrets
		// Manager User Guide, "Troubleshoot": such a partial ARN is mistaken for a full one).
		res.arn = a
		g.f.Input.SecretARN, g.f.Input.Resolved = a.String(), true
		sec.ARN = a.String()
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
		sec.VersionID = g.listCurrentVersion(ctx, res.arn.String())
	}
	res.ok, res.kmsKeyID, res.versionID = true, sec.KMSKeyID, sec.VersionID
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
	}
	return ""
}

// readSecretPolicy fills f.Secret.Policy from GetResourcePolicy. It needs only the ARN, so it
// runs beside DescribeSecret. An absent, null or empty ResourcePolicy means no policy
// (aws-semantics §3.3).
func (g *gatherer) readSecretPolicy(ctx context.Context, secretARN string) {
	sec := &g.f.Secret
	if re := g.owner.ready(ctx); re != nil {
		sec.PolicyErr = cause(re)
		return
	}
	out, err := g.owner.sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(secretARN)})
	if err != nil {
		sec.PolicyErr = readError("secretsmanager:GetResourcePolicy", g.owner.accountID(), err)
		return
	}
	sec.Policy = aws.ToString(out.ResourcePolicy)
}
