package awsemu

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Versions, replicas and resource tags (SPEC §6 "versions", "replicas"; issue 8), through the
// real SDK clients.

const (
	rotatedARN     = "arn:aws:secretsmanager:us-east-1:111111111111:secret:rotated-RoTaTe"
	reencryptedARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:reencrypted-ReEnCr"
	replicatedARN  = "arn:aws:secretsmanager:us-east-1:111111111111:secret:replicated-RePlIc"
	sharedKeyARN   = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func versionsScenario(t testing.TB) string {
	return string(mustRead(t, "testdata/versions-replicas.json"))
}

// inRegion is cfg signing for another region, as a client of that region's endpoint would.
func inRegion(cfg aws.Config, region string) aws.Config {
	cfg.Region = region
	return cfg
}

func awsManagedKeyARN(account, region string) string {
	return keyARN(region, account, KeyID(account, region, AWSManagedSecretsAlias))
}

func TestListSecretVersionIdsShowsEveryVersionsKeysAndStages(t *testing.T) {
	e := startEmu(t, versionsScenario(t), Options{})
	sm := e.sm(e.as("arn:aws:iam::111111111111:role/inspector"))
	collect := func(deprecated bool) map[string]smtypes.SecretVersionsListEntry {
		got := map[string]smtypes.SecretVersionsListEntry{}
		pages := secretsmanager.NewListSecretVersionIdsPaginator(sm, &secretsmanager.ListSecretVersionIdsInput{
			SecretId: aws.String(rotatedARN), IncludeDeprecated: aws.Bool(deprecated)})
		n := 0
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			n++
			for _, v := range out.Versions {
				got[*v.VersionId] = v
			}
		}
		if deprecated && n < 2 {
			t.Errorf("three versions came in %d page(s); the emulator pages by two", n)
		}
		return got
	}
	all := collect(true)
	current := all["11111111-1111-4111-8111-111111111111"]
	if !slices.Equal(current.VersionStages, []string{"AWSCURRENT"}) ||
		!slices.Equal(current.KmsKeyIds, []string{awsManagedKeyARN("111111111111", "us-east-1")}) {
		t.Errorf("AWSCURRENT, listed without a key, must be under the AWS managed key: %v %v", current.VersionStages, current.KmsKeyIds)
	}
	previous := all[versionIDAt(rotatedARN, 1)]
	if !slices.Equal(previous.VersionStages, []string{"AWSPREVIOUS"}) || !slices.Equal(previous.KmsKeyIds, []string{sharedKeyARN}) {
		t.Errorf("AWSPREVIOUS, given by alias ARN, must list the key ARN: %v %v", previous.VersionStages, previous.KmsKeyIds)
	}
	if _, ok := all["33333333-3333-4333-8333-333333333333"]; !ok || len(all) != 3 {
		t.Errorf("IncludeDeprecated lists the version without a label too: %v", all)
	}
	if staged := collect(false); len(staged) != 2 {
		t.Errorf("without IncludeDeprecated only labelled versions are listed, got %d", len(staged))
	}

	re, err := sm.ListSecretVersionIds(ctx(t), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(reencryptedARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(re.Versions) != 1 || !slices.Equal(re.Versions[0].KmsKeyIds, []string{awsManagedKeyARN("111111111111", "us-east-1"), sharedKeyARN}) {
		t.Errorf("a re-encrypted version lists both keys in order: %+v", re.Versions)
	}
	empty, err := sm.ListSecretVersionIds(ctx(t), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("empty")})
	if err != nil || len(empty.Versions) != 0 {
		t.Errorf("a secret created without a value has no versions: %+v %v", empty, err)
	}
}

func TestDescribeSecretShowsVersionsTagsAndReplication(t *testing.T) {
	e := startEmu(t, versionsScenario(t), Options{})
	cfg := e.as("arn:aws:iam::111111111111:role/inspector")
	out, err := e.sm(cfg).DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(rotatedARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.VersionIdsToStages) != 2 || !slices.Equal(out.VersionIdsToStages["11111111-1111-4111-8111-111111111111"], []string{"AWSCURRENT"}) {
		t.Errorf("VersionIdsToStages = %v (the unlabelled version is deprecated and left out)", out.VersionIdsToStages)
	}
	if aws.ToString(out.KmsKeyId) != "alias/shared" || out.PrimaryRegion != nil || out.ReplicationStatus != nil {
		t.Errorf("KmsKeyId=%q PrimaryRegion=%v ReplicationStatus=%v", aws.ToString(out.KmsKeyId), out.PrimaryRegion, out.ReplicationStatus)
	}

	primary, err := e.sm(cfg).DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(replicatedARN)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(primary.PrimaryRegion) != "us-east-1" || len(primary.Tags) != 1 || *primary.Tags[0].Key != "env" || *primary.Tags[0].Value != "prod" {
		t.Errorf("PrimaryRegion=%v Tags=%v", aws.ToString(primary.PrimaryRegion), primary.Tags)
	}
	type rs struct{ region, key, status string }
	var got []rs
	for _, r := range primary.ReplicationStatus {
		got = append(got, rs{aws.ToString(r.Region), aws.ToString(r.KmsKeyId), string(r.Status)})
	}
	want := []rs{{"eu-west-1", "alias/eu", "InSync"}, {"us-west-2", "", "InProgress"}, {"eu-central-1", "alias/de", "InSync"}}
	if !slices.Equal(got, want) {
		t.Errorf("ReplicationStatus = %v, want %v (KmsKeyId as written, absent for the AWS managed key)", got, want)
	}

	// Each replica is a secret of its own region, found by ARN or by name there.
	euARN := strings.Replace(replicatedARN, "us-east-1", "eu-west-1", 1)
	for _, id := range []string{euARN, "replicated"} {
		rep, err := e.sm(inRegion(cfg, "eu-west-1")).DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("replica by %s: %v", id, err)
		}
		if *rep.ARN != euARN || aws.ToString(rep.PrimaryRegion) != "us-east-1" || aws.ToString(rep.KmsKeyId) != "alias/eu" ||
			len(rep.Tags) != 1 || rep.ReplicationStatus != nil || len(rep.VersionIdsToStages) != 1 {
			t.Errorf("replica = ARN %s PrimaryRegion %v KmsKeyId %v Tags %v ReplicationStatus %v Versions %v", *rep.ARN,
				aws.ToString(rep.PrimaryRegion), aws.ToString(rep.KmsKeyId), rep.Tags, rep.ReplicationStatus, rep.VersionIdsToStages)
		}
		for id := range rep.VersionIdsToStages {
			if id != VersionID(replicatedARN) {
				t.Errorf("a replica keeps the primary's version ids: %s", id)
			}
		}
	}
	west := strings.Replace(replicatedARN, "us-east-1", "us-west-2", 1)
	vs, err := e.sm(inRegion(cfg, "us-west-2")).ListSecretVersionIds(ctx(t), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(west)})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != 1 || !slices.Equal(vs.Versions[0].KmsKeyIds, []string{awsManagedKeyARN("111111111111", "us-west-2")}) {
		t.Errorf("a replica without a key is under its region's AWS managed key: %+v", vs.Versions)
	}
	// The loader created that AWS managed key, listed with its alias in its region.
	al, err := e.kms(inRegion(cfg, "us-west-2")).DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/secretsmanager")})
	if err != nil || *al.KeyMetadata.Arn != awsManagedKeyARN("111111111111", "us-west-2") || al.KeyMetadata.KeyManager != "AWS" {
		t.Errorf("aws/secretsmanager in us-west-2: %+v %v", al, err)
	}
}

func TestGetSecretValueDecryptsWithTheKeyOfTheVersionRead(t *testing.T) {
	e := startEmu(t, versionsScenario(t), Options{})
	app := e.as(appARN)
	cases := []struct {
		name, region, secret, stage, code, msg, value string
	}{
		{"the current version left under the AWS managed key after a key change is refused with AWS's words",
			"us-east-1", rotatedARN, "", "AccessDeniedException", MessageVersionKeyMismatch, ""},
		{"the previous version, under the configured key, is read", "us-east-1", rotatedARN, "AWSPREVIOUS", "", "", "canary-rotated"},
		{"a version re-encrypted under the configured key is read with it", "us-east-1", reencryptedARN, "", "", "", "canary-reencrypted"},
		{"a secret created without a value has no AWSCURRENT", "us-east-1",
			"arn:aws:secretsmanager:us-east-1:111111111111:secret:empty-EmPtYy", "", "ResourceNotFoundException", "staging label: AWSCURRENT", ""},
		{"a stage nobody carries is not found", "us-east-1", rotatedARN, "AWSPENDING", "ResourceNotFoundException", "AWSPENDING", ""},
		{"a key without the tag the key policy requires refuses the hop", "us-east-1",
			"arn:aws:secretsmanager:us-east-1:111111111111:secret:untagged-key-UnTaGd", "", "AccessDeniedException", MessageKMSNotAllowed, ""},
		{"the primary is read with its tagged, aliased key", "us-east-1", replicatedARN, "", "", "", "canary-replicated"},
		{"a replica whose key pins kms:ViaService to the primary's region is refused", "eu-west-1",
			strings.Replace(replicatedARN, "us-east-1", "eu-west-1", 1), "", "AccessDeniedException", MessageKMSNotAllowed, ""},
		{"a replica under its region's AWS managed key is refused across accounts", "us-west-2",
			strings.Replace(replicatedARN, "us-east-1", "us-west-2", 1), "", "AccessDeniedException", MessageKMSNotAllowed, ""},
		{"a replica whose key admits its own region's Secrets Manager is read", "eu-central-1",
			strings.Replace(replicatedARN, "us-east-1", "eu-central-1", 1), "", "", "", "canary-replicated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(tc.secret)}
			if tc.stage != "" {
				in.VersionStage = aws.String(tc.stage)
			}
			out, err := e.sm(inRegion(app, tc.region)).GetSecretValue(ctx(t), in)
			if tc.code != "" {
				api := wantCode(t, err, tc.code, tc.msg)
				if tc.msg == MessageKMSNotAllowed && api.ErrorMessage() != MessageKMSNotAllowed {
					t.Errorf("message %q, want exactly %q", api.ErrorMessage(), MessageKMSNotAllowed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.SecretString) != tc.value || aws.ToString(out.ARN) != tc.secret {
				t.Errorf("got %s from %s", aws.ToString(out.SecretString), aws.ToString(out.ARN))
			}
			if tc.stage != "" && !slices.Contains(out.VersionStages, tc.stage) {
				t.Errorf("VersionStages %v lack %s", out.VersionStages, tc.stage)
			}
		})
	}
}

// secretsmanager:VersionStage is in the request only when the client sends it, so a secret
// policy that requires AWSCURRENT refuses clients that send no stage (issue 8).
func TestVersionStageIsInTheRequestOnlyWhenTheClientSendsIt(t *testing.T) {
	e := startEmu(t, versionsScenario(t), Options{})
	sm := e.sm(e.as(appARN))
	id := aws.String("arn:aws:secretsmanager:us-east-1:111111111111:secret:current-only-CuRrNt")
	_, err := sm.GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: id})
	wantCode(t, err, "AccessDeniedException", "because no resource-based policy allows the secretsmanager:GetSecretValue action")
	out, err := sm.GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: id, VersionStage: aws.String("AWSCURRENT")})
	if err != nil || aws.ToString(out.SecretString) != "canary-current-only" {
		t.Errorf("with VersionStage AWSCURRENT: %v", err)
	}
}

func TestListResourceTagsPaginatesInTheKeysAccountOnly(t *testing.T) {
	e := startEmu(t, versionsScenario(t), Options{})
	client := e.kms(e.as("arn:aws:iam::111111111111:role/inspector"))
	var got []string
	pages := kms.NewListResourceTagsPaginator(client, &kms.ListResourceTagsInput{KeyId: aws.String(sharedKeyARN)})
	n := 0
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, tag := range out.Tags {
			got = append(got, *tag.TagKey+"="+*tag.TagValue)
		}
	}
	if want := []string{"cost-center=42", "share=partners", "team=orders"}; !slices.Equal(got, want) || n != 2 {
		t.Errorf("tags %v in %d pages, want %v in 2", got, n, want)
	}
	_, err := e.kms(e.as(appARN)).ListResourceTags(ctx(t), &kms.ListResourceTagsInput{KeyId: aws.String(sharedKeyARN)})
	wantCode(t, err, "AccessDeniedException", "another AWS account")
	_, err = client.ListResourceTags(ctx(t), &kms.ListResourceTagsInput{KeyId: aws.String("alias/shared")})
	wantCode(t, err, "NotFoundException")
}

func TestVersionAndReplicaMistakesAreLoadErrors(t *testing.T) {
	base := func(secret string) string {
		return `{"name": "x", "accounts": {"111111111111": {
		  "keys": {"k": {"aliases": ["alias/k"]}, "ie": {"region": "eu-west-1", "aliases": ["alias/ie"]}},
		  "secrets": {"s": ` + secret + `}}},
		  "check": {"secret": "s", "consumer": "arn:aws:iam::111111111111:role/r"}}`
	}
	cases := []struct{ name, secret, want string }{
		{"a staging label on two versions", `{"versions": [{"stages": ["AWSCURRENT"]}, {"stages": ["AWSCURRENT"]}]}`, "versions[1].stages[0]: AWSCURRENT already labels"},
		{"both kms_key_id and kms_key_ids", `{"versions": [{"stages": ["AWSCURRENT"], "kms_key_id": "alias/k", "kms_key_ids": ["alias/k"]}]}`, "versions[0]: give kms_key_id or kms_key_ids"},
		{"a version key nothing defines", `{"versions": [{"kms_key_ids": ["alias/k", "alias/nope"]}]}`, "versions[0].kms_key_ids[1]: Alias"},
		{"a version key in another region", `{"versions": [{"kms_key_id": "arn:aws:kms:eu-west-1:111111111111:alias/ie"}]}`, "versions[0].kms_key_id: the key is in eu-west-1"},
		{"a short version id", `{"versions": [{"id": "v1"}]}`, `versions[0].id: "v1" is not a version id`},
		{"a replica in the primary's region", `{"replicas": [{"region": "us-east-1"}]}`, "replicas[0].region: a replica is in another region"},
		{"a replica key of the primary's region", `{"replicas": [{"region": "eu-west-1", "kms_key_id": "alias/k"}]}`, "replicas[0].kms_key_id: Alias arn:aws:kms:eu-west-1:111111111111:alias/k is not found"},
		{"a replica status AWS does not use", `{"replicas": [{"region": "eu-west-1", "status": "Done"}]}`, `replicas[0].status: "Done"`},
		{"a tag value of 257 characters", `{"tags": {"k": "` + strings.Repeat("é", 257) + `"}}`, "tags.k: a tag key is 1-128 characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse([]byte(base(tc.secret)))
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a load error containing %q", err, tc.want)
			}
		})
	}
	// Tag lengths count characters: 128 two-byte characters are a legal key, 256 a legal value.
	if _, _, err := Parse([]byte(base(`{"tags": {"` + strings.Repeat("é", 128) + `": "` + strings.Repeat("ü", 256) + `"}}`))); err != nil {
		t.Errorf("a 128-character key with a 256-character value must load: %v", err)
	}
}
