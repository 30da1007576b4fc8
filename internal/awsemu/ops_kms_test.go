package awsemu

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

func TestDescribeKeyResolvesEveryIdentifierForm(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	owner := e.kms(e.as(inspectorARN, "ext-1234"))
	app := e.kms(e.as(appARN))
	cases := []struct {
		name   string
		client *kms.Client
		keyID  string
	}{
		{"a key id in the caller's account", owner, cmkID},
		{"a key ARN", owner, cmkARN},
		{"an alias name in the caller's account", owner, "alias/shared-b"},
		{"an alias ARN", owner, "arn:aws:kms:us-east-1:111111111111:alias/shared-c"},
		{"a key ARN from another account", app, cmkARN},
		{"an alias ARN from another account", app, "arn:aws:kms:us-east-1:111111111111:alias/shared-a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.client.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String(tc.keyID)})
			if err != nil {
				t.Fatal(err)
			}
			md := out.KeyMetadata
			if *md.KeyId != cmkID || *md.Arn != cmkARN || *md.AWSAccountId != ownerAcct || md.KeyManager != kmstypes.KeyManagerTypeCustomer ||
				md.KeyState != kmstypes.KeyStateEnabled || !md.Enabled || md.KeySpec != kmstypes.KeySpecSymmetricDefault ||
				md.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt || md.CreationDate == nil || !md.CreationDate.Equal(Epoch) {
				t.Errorf("KeyMetadata = %+v", md)
			}
		})
	}
	t.Run("a key id from another account names nothing there", func(t *testing.T) {
		_, err := app.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String(cmkID)})
		var nf *kmstypes.NotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("want NotFoundException, got %v", err)
		}
	})
}

func TestDescribeKeyShowsStatesAndTheAWSManagedKeyAndNeverCreatesOne(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	owner := e.kms(e.cfg())
	ownerSession := e.kms(e.as(inspectorARN, "ext-1234"))
	disabled, err := ownerSession.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String("alias/old")})
	if err != nil {
		t.Fatal(err)
	}
	if disabled.KeyMetadata.KeyState != kmstypes.KeyStateDisabled || disabled.KeyMetadata.Enabled {
		t.Errorf("disabled key: %s enabled=%v", disabled.KeyMetadata.KeyState, disabled.KeyMetadata.Enabled)
	}
	doomedARN := keyARN("us-east-1", ownerAcct, KeyID(ownerAcct, "us-east-1", "doomed-key"))
	doomed, err := owner.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String(doomedARN)})
	if err != nil {
		t.Fatal(err)
	}
	if doomed.KeyMetadata.KeyState != kmstypes.KeyStatePendingDeletion || doomed.KeyMetadata.DeletionDate == nil ||
		doomed.KeyMetadata.DeletionDate.UTC().Format("2006-01-02") != "2026-12-01" {
		t.Errorf("pending deletion key: %s %v", doomed.KeyMetadata.KeyState, doomed.KeyMetadata.DeletionDate)
	}

	// The owner account holds a secret without kms_key_id, so aws/secretsmanager exists there.
	managed, err := ownerSession.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/secretsmanager")})
	if err != nil {
		t.Fatal(err)
	}
	if managed.KeyMetadata.KeyManager != kmstypes.KeyManagerTypeAws || *managed.KeyMetadata.Description != AWSManagedSecretsKeyDescription {
		t.Errorf("aws/secretsmanager: %s %q", managed.KeyMetadata.KeyManager, *managed.KeyMetadata.Description)
	}
	// The consumer account has no secret: DescribeKey must not create the key there.
	app := e.kms(e.as(appARN))
	for range 2 {
		_, err = app.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/secretsmanager")})
		wantCode(t, err, "NotFoundException", "alias/aws/secretsmanager is not found")
	}
	aliases, err := app.ListAliases(ctx(t), &kms.ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, al := range aliases.Aliases {
		if *al.AliasName == AWSManagedSecretsAlias && al.TargetKeyId != nil {
			t.Errorf("DescribeKey created aws/secretsmanager in the consumer account (TargetKeyId %s)", *al.TargetKeyId)
		}
	}
}

func TestGetKeyPolicyAnswersOnlyInTheKeysAccount(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	owner := e.kms(e.as(inspectorARN, "ext-1234"))
	out, err := owner.GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String(cmkARN), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(*out.Policy), &doc); err != nil || len(doc.Statement) != 2 || doc.Statement[1].Sid != "Consumer" {
		t.Errorf("Policy = %q (%v)", *out.Policy, err)
	}
	if aws.ToString(out.PolicyName) != "default" {
		t.Errorf("PolicyName = %q", aws.ToString(out.PolicyName))
	}
	// Without PolicyName AWS defaults to "default".
	if _, err := owner.GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String(cmkID)}); err != nil {
		t.Errorf("GetKeyPolicy without PolicyName: %v", err)
	}
	// A key without a policy in the scenario has KMS's default key policy.
	def, err := owner.GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String(KeyID(ownerAcct, "us-east-1", "disabled-key"))})
	if err != nil || *def.Policy != DefaultKeyPolicy(ownerAcct) {
		t.Errorf("default key policy: %v %v", def, err)
	}

	_, err = e.kms(e.as(appARN)).GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String(cmkARN), PolicyName: aws.String("default")})
	wantCode(t, err, "AccessDeniedException", "kms:GetKeyPolicy", cmkARN, "another AWS account")

	_, err = owner.GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String("alias/shared-a")})
	wantCode(t, err, "NotFoundException")
	_, err = owner.GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String(cmkID), PolicyName: aws.String("other")})
	wantCode(t, err, "NotFoundException", "No such policy exists")

	_, err = e.kms(e.as("arn:aws:iam::111111111111:role/restricted")).GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String(cmkID)})
	wantCode(t, err, "AccessDeniedException", "assumed-role/restricted/test", "kms:GetKeyPolicy", cmkARN)
}

func TestListGrantsPaginatesAndWorksAcrossAccounts(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	app := e.kms(e.as(appARN))
	before := e.count("TrentService.ListGrants")
	p := kms.NewListGrantsPaginator(app, &kms.ListGrantsInput{KeyId: aws.String(cmkARN)})
	var grants []kmstypes.GrantListEntry
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		grants = append(grants, out.Grants...)
	}
	if pages != 2 || e.count("TrentService.ListGrants")-before != 2 {
		t.Errorf("3 grants at page size 2 took %d pages", pages)
	}
	if len(grants) != 3 {
		t.Fatalf("got %d grants, want 3", len(grants))
	}
	g := grants[0]
	if *g.KeyId != cmkARN || len(*g.GrantId) != 64 || *g.Name != "g1" || *g.GranteePrincipal != appARN ||
		*g.IssuingAccount != "arn:aws:iam::111111111111:root" || g.Operations[0] != kmstypes.GrantOperationDecrypt ||
		g.Constraints == nil || g.Constraints.EncryptionContextSubset["SecretARN"] == "" || g.CreationDate == nil {
		t.Errorf("grant = %+v", g)
	}
	if grants[1].Constraints != nil {
		t.Errorf("a grant without constraints has Constraints %+v", grants[1].Constraints)
	}

	one, err := app.ListGrants(ctx(t), &kms.ListGrantsInput{KeyId: aws.String(cmkARN), GranteePrincipal: aws.String("arn:aws:iam::333333333333:root")})
	if err != nil || len(one.Grants) != 1 || one.Truncated {
		t.Errorf("GranteePrincipal filter: %+v %v", one, err)
	}
	_, err = app.ListGrants(ctx(t), &kms.ListGrantsInput{KeyId: aws.String(cmkARN), Marker: aws.String("forged")})
	var bad *kmstypes.InvalidMarkerException
	if !errors.As(err, &bad) {
		t.Errorf("forged Marker: want InvalidMarkerException, got %v", err)
	}
	// ListGrants needs the key ARN from another account; the key id resolves in the caller's.
	_, err = app.ListGrants(ctx(t), &kms.ListGrantsInput{KeyId: aws.String(cmkID)})
	wantCode(t, err, "NotFoundException")
}

func TestListAliasesListsTheCallersAccountWithPredefinedAliases(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	owner := e.kms(e.as(inspectorARN, "ext-1234"))
	before := e.count("TrentService.ListAliases")
	p := kms.NewListAliasesPaginator(owner, &kms.ListAliasesInput{})
	targets := map[string]string{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, al := range out.Aliases {
			targets[*al.AliasName] = aws.ToString(al.TargetKeyId)
			if *al.AliasArn != "arn:aws:kms:us-east-1:111111111111:"+*al.AliasName {
				t.Errorf("AliasArn = %s", *al.AliasArn)
			}
		}
	}
	pages := e.count("TrentService.ListAliases") - before
	// 4 scenario aliases + aws/secretsmanager + 13 other predefined aliases, 2 a page.
	if len(targets) != 18 || pages != 9 {
		t.Errorf("got %d aliases in %d pages, want 18 in 9", len(targets), pages)
	}
	if targets["alias/shared-a"] != cmkID || targets["alias/old"] != KeyID(ownerAcct, "us-east-1", "disabled-key") {
		t.Errorf("TargetKeyId: %v", targets)
	}
	if targets[AWSManagedSecretsAlias] != KeyID(ownerAcct, "us-east-1", AWSManagedSecretsAlias) {
		t.Errorf("aws/secretsmanager target = %q", targets[AWSManagedSecretsAlias])
	}
	if v, ok := targets["alias/aws/s3"]; !ok || v != "" {
		t.Errorf("predefined alias/aws/s3 should be listed without TargetKeyId: %q %v", v, ok)
	}

	byKey, err := owner.ListAliases(ctx(t), &kms.ListAliasesInput{KeyId: aws.String(cmkID), Limit: aws.Int32(10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(byKey.Aliases) != 2 || !byKey.Truncated || *byKey.Aliases[0].AliasName != "alias/shared-a" {
		t.Errorf("ListAliases(KeyId) first page = %+v truncated=%v", byKey.Aliases, byKey.Truncated)
	}
	_, err = owner.ListAliases(ctx(t), &kms.ListAliasesInput{Limit: aws.Int32(0)})
	wantCode(t, err, "ValidationException")
}
