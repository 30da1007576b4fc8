package bench_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xsdoctor/xsdoctor/interop"
)

// sequentialBaseline is the honest baseline beside the AWS CLI runbook: one process, one SDK
// client per identity, making the runbook's reads (runbook.sh, step for step) one after another.
// It pays no process start-up per call, so the ratio check / baseline measures what xsdoctor's
// concurrency buys, while runbook / check also counts the CLI's start-up on every command.
// It returns the number of AWS calls made.
func sequentialBaseline(ctx context.Context, endpoint string, sc scenario) (int, error) {
	c := sc.Check
	region := strings.Split(c.Secret, ":")[3]
	calls := 0
	base := aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(interop.BaseAccessKeyID, interop.BaseSecretAccessKey, ""),
	}
	call := func(err error, what string) error {
		calls++
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}

	// 1. The two inspector roles.
	assume := func(role string) (aws.Config, error) {
		out, err := sts.NewFromConfig(base).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("baseline")})
		if err := call(err, "assume "+role); err != nil {
			return aws.Config{}, err
		}
		cfg := base.Copy()
		k := out.Credentials
		cfg.Credentials = credentials.NewStaticCredentialsProvider(*k.AccessKeyId, *k.SecretAccessKey, *k.SessionToken)
		return cfg, nil
	}
	owner, err := assume(c.OwnerRole)
	if err != nil {
		return calls, err
	}
	consumer, err := assume(c.ConsumerRole)
	if err != nil {
		return calls, err
	}

	// 2. Owner account: the secret, its resource policy, its key (the AWS managed key found
	// through ListAliases when the secret names none, as runbook.sh does).
	sm, km := secretsmanager.NewFromConfig(owner), kms.NewFromConfig(owner)
	secret, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(c.Secret)})
	if err := call(err, "describe-secret"); err != nil {
		return calls, err
	}
	_, err = sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(c.Secret)})
	calls++ // a missing policy is itself a fact
	keyID := aws.ToString(secret.KmsKeyId)
	if keyID == "" {
		aliases, err := km.ListAliases(ctx, &kms.ListAliasesInput{})
		if err := call(err, "list-aliases"); err != nil {
			return calls, err
		}
		for _, a := range aliases.Aliases {
			if aws.ToString(a.AliasName) == "alias/aws/secretsmanager" {
				keyID = aws.ToString(a.TargetKeyId)
			}
		}
	}
	key, err := km.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err := call(err, "describe-key"); err != nil {
		return calls, err
	}
	keyARN := key.KeyMetadata.Arn
	_, _ = km.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: keyARN, PolicyName: aws.String("default")})
	_, _ = km.ListGrants(ctx, &kms.ListGrantsInput{KeyId: keyARN})
	_, _ = organizations.NewFromConfig(owner).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	calls += 3

	// 3. Consumer account: the role, its inline and attached policies.
	im := iam.NewFromConfig(consumer)
	roleName := c.Consumer[strings.LastIndex(c.Consumer, "/")+1:]
	if strings.Contains(c.Consumer, ":assumed-role/") {
		roleName = strings.Split(c.Consumer, "/")[1]
	}
	role, err := im.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	if err := call(err, "get-role"); err != nil {
		return calls, err
	}
	inline, err := im.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(roleName)})
	if err := call(err, "list-role-policies"); err != nil {
		return calls, err
	}
	for _, name := range inline.PolicyNames {
		_, err := im.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(roleName), PolicyName: aws.String(name)})
		if err := call(err, "get-role-policy"); err != nil {
			return calls, err
		}
	}
	attached, err := im.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(roleName)})
	if err := call(err, "list-attached-role-policies"); err != nil {
		return calls, err
	}
	for _, p := range attached.AttachedPolicies {
		pol, err := im.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.PolicyArn})
		if err := call(err, "get-policy"); err != nil {
			return calls, err
		}
		v, err := im.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.PolicyArn, VersionId: pol.Policy.DefaultVersionId})
		if err := call(err, "get-policy-version"); err != nil {
			return calls, err
		}
		if _, err := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document)); err != nil {
			return calls, fmt.Errorf("policy document of %s: %w", aws.ToString(p.PolicyArn), err)
		}
	}
	_, _ = organizations.NewFromConfig(consumer).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	calls++

	// 4. The simulator, once per action, with the context Secrets Manager sends on the KMS hop.
	roleARN := role.Role.Arn
	_, _ = im.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: roleARN,
		ActionNames: []string{"secretsmanager:GetSecretValue"}, ResourceArns: []string{c.Secret}})
	consumerAccount := strings.Split(aws.ToString(roleARN), ":")[4]
	_, _ = im.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: roleARN,
		ActionNames: []string{"kms:Decrypt"}, ResourceArns: []string{aws.ToString(keyARN)},
		ContextEntries: []iamtypes.ContextEntry{
			{ContextKeyName: aws.String("kms:ViaService"), ContextKeyValues: []string{"secretsmanager." + region + ".amazonaws.com"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString},
			{ContextKeyName: aws.String("kms:CallerAccount"), ContextKeyValues: []string{consumerAccount}, ContextKeyType: iamtypes.ContextKeyTypeEnumString},
		}})
	calls += 2
	return calls, nil
}

// TestSequentialBaselineMakesTheRunbooksCalls runs the baseline once against the emulator (so it
// cannot rot unnoticed) and holds it to the runbook's calls: every one answered, one after
// another (as many sequential rounds as calls), none twice.
func TestSequentialBaselineMakesTheRunbooksCalls(t *testing.T) {
	for _, bs := range benchScenarios {
		t.Run(bs.name, func(t *testing.T) {
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			emu := startRecordingEmulator(t, bs.file)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			n, err := sequentialBaseline(ctx, emu.URL, loadScenario(t, bs.file))
			if err != nil {
				t.Fatal(err)
			}
			calls := emu.calls()
			if n != bs.runbookCalls || len(calls) != n {
				t.Errorf("baseline counted %d calls and the emulator answered %d, want the runbook's %d", n, len(calls), bs.runbookCalls)
			}
			for _, c := range calls {
				if c.ErrorCode != "" {
					t.Errorf("%s:%s failed with %s", c.Service, c.Operation, c.ErrorCode)
				}
			}
			if rounds := len(sequentialRounds(calls)); rounds != len(calls) {
				t.Errorf("%d rounds for %d calls: the baseline must make them one after another", rounds, len(calls))
			}
			for _, dup := range repeatedCalls(calls) {
				t.Errorf("asked twice: %s", dup)
			}
		})
	}
}
