package awsemu

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

const (
	appARN   = "arn:aws:iam::222222222222:role/app"
	nokmsARN = "arn:aws:iam::222222222222:role/nokms"
	soloARN  = "arn:aws:iam::333333333333:role/solo"
)

func TestDescribeSecretFindsSecretsByTheAccountInTheirARN(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	app := e.sm(e.as(appARN))
	out, err := app.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(sharedARN)})
	if err != nil {
		t.Fatal(err)
	}
	if *out.ARN != sharedARN || *out.Name != "shared" || aws.ToString(out.KmsKeyId) != "alias/shared-a" {
		t.Errorf("DescribeSecret = %s %s KmsKeyId=%q", *out.ARN, *out.Name, aws.ToString(out.KmsKeyId))
	}
	if len(out.VersionIdsToStages) != 1 || out.CreatedDate == nil || !out.CreatedDate.Equal(Epoch) || out.DeletedDate != nil {
		t.Errorf("VersionIdsToStages=%v CreatedDate=%v DeletedDate=%v", out.VersionIdsToStages, out.CreatedDate, out.DeletedDate)
	}
	for id, stages := range out.VersionIdsToStages {
		if id != VersionID(sharedARN) || len(stages) != 1 || stages[0] != "AWSCURRENT" {
			t.Errorf("version %s stages %v", id, stages)
		}
	}

	// A bare name resolves in the caller's own account: the consumer finds nothing, as on AWS.
	_, err = app.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("shared")})
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("bare name from another account: want ResourceNotFoundException, got %v", err)
	}
	wantCode(t, err, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")

	owner := e.sm(e.as(inspectorARN, "ext-1234"))
	for _, id := range []string{"shared", "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared"} {
		out, err := owner.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		if err != nil || *out.ARN != sharedARN {
			t.Errorf("owner DescribeSecret(%s) = %v, %v", id, out, err)
		}
	}
}

func TestDescribeSecretOmitsTheAWSManagedKeyAndShowsDeletion(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	sm := e.sm(e.cfg())
	plain, err := sm.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("arn:aws:secretsmanager:us-east-1:111111111111:secret:plain")})
	if err != nil {
		t.Fatal(err)
	}
	if plain.KmsKeyId != nil {
		t.Errorf("a secret on aws/secretsmanager must have no KmsKeyId, got %q", *plain.KmsKeyId)
	}
	gone, err := sm.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("arn:aws:secretsmanager:us-east-1:111111111111:secret:gone")})
	if err != nil {
		t.Fatal(err)
	}
	if gone.DeletedDate == nil || gone.DeletedDate.UTC().Format("2006-01-02") != "2026-11-01" {
		t.Errorf("DeletedDate = %v", gone.DeletedDate)
	}
	if aws.ToString(gone.KmsKeyId) != cmkID {
		t.Errorf("KmsKeyId = %q, want the key id exactly as written", aws.ToString(gone.KmsKeyId))
	}
}

func TestGetResourcePolicyReturnsPlainJSONOrNothing(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	sm := e.sm(e.as(appARN))
	out, err := sm.GetResourcePolicy(ctx(t), &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(sharedARN)})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Statement []struct{ Action string } }
	if err := json.Unmarshal([]byte(aws.ToString(out.ResourcePolicy)), &doc); err != nil || len(doc.Statement) != 1 ||
		doc.Statement[0].Action != "secretsmanager:GetSecretValue" {
		t.Errorf("ResourcePolicy is not the scenario's JSON: %q (%v)", aws.ToString(out.ResourcePolicy), err)
	}
	if *out.ARN != sharedARN || *out.Name != "shared" {
		t.Errorf("ARN/Name = %s %s", *out.ARN, *out.Name)
	}
	none, err := sm.GetResourcePolicy(ctx(t), &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("arn:aws:secretsmanager:us-east-1:111111111111:secret:plain")})
	if err != nil || none.ResourcePolicy != nil || none.ARN == nil {
		t.Errorf("a secret without a policy: %+v %v", none, err)
	}
	_, err = sm.GetResourcePolicy(ctx(t), &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("arn:aws:secretsmanager:us-east-1:111111111111:secret:gone")})
	var ir *smtypes.InvalidRequestException
	if !errors.As(err, &ir) {
		t.Errorf("a secret marked for deletion: want InvalidRequestException, got %v", err)
	}
}

func TestGetSecretValueIsAuthorizedOnBothSidesAndTheKMSHop(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	cases := []struct {
		name, role, secret, code, msg string
	}{
		{"the consumer whose three doors are open reads it", appARN, sharedARN, "", ""},
		{"a consumer without kms:Decrypt gets the KMS-side denial", nokmsARN, sharedARN, "AccessDeniedException", "Access to KMS is not allowed"},
		{"an account the secret policy does not name is denied by the resource policy", soloARN, sharedARN, "AccessDeniedException", "resource-based policy"},
		{"a bare name from another account is not found", appARN, "shared", "ResourceNotFoundException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.sm(e.as(tc.role)).GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(tc.secret)})
			if tc.code != "" {
				wantCode(t, err, tc.code, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.SecretString) != "canary-shared" || *out.VersionId != VersionID(sharedARN) || out.VersionStages[0] != "AWSCURRENT" {
				t.Errorf("GetSecretValue = version %s stages %v", *out.VersionId, out.VersionStages)
			}
		})
	}
	t.Run("a version that does not exist is not found", func(t *testing.T) {
		_, err := e.sm(e.as(appARN)).GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(sharedARN), VersionStage: aws.String("AWSPREVIOUS")})
		wantCode(t, err, "ResourceNotFoundException", "staging label: AWSPREVIOUS")
	})
}

func TestListSecretVersionIdsShowsTheCurrentVersion(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	sm := e.sm(e.as(appARN))
	p := secretsmanager.NewListSecretVersionIdsPaginator(sm, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(sharedARN)})
	var versions []smtypes.SecretVersionsListEntry
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, out.Versions...)
	}
	if len(versions) != 1 || *versions[0].VersionId != VersionID(sharedARN) || versions[0].VersionStages[0] != "AWSCURRENT" ||
		len(versions[0].KmsKeyIds) != 1 || versions[0].KmsKeyIds[0] != cmkARN {
		t.Errorf("versions = %+v", versions)
	}
	_, err := sm.ListSecretVersionIds(ctx(t), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(sharedARN), NextToken: aws.String("forged")})
	var bad *smtypes.InvalidNextTokenException
	if !errors.As(err, &bad) {
		t.Errorf("forged NextToken: want InvalidNextTokenException, got %v", err)
	}
}

func TestDeniedCallsRefuseSecretsManagerReads(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	_, err := e.sm(e.as("arn:aws:iam::111111111111:role/restricted")).DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("shared")})
	wantCode(t, err, "AccessDeniedException", "secretsmanager:DescribeSecret on resource: "+sharedARN, "explicit deny")
}
