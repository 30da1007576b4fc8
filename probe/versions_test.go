package probe

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

// ownScenario is a scenario of the repository's catalogue (top-level scenarios/).
func ownScenario(name string) string { return filepath.Join("..", "scenarios", name+".json") }

func TestGatherReadsTheKeyThatEncryptsAWSCURRENT(t *testing.T) {
	isolate(t)
	e := startEmu(t, ownScenario("current-version-under-aws-managed-key-after-key-change"), awsemu.Options{})
	f := e.gather(e.options())
	if f.Secret.VersionsErr != nil || len(f.Secret.Versions) != 1 || !f.Secret.Versions[0].HasStage("AWSCURRENT") {
		t.Fatalf("versions = %+v, err %+v", f.Secret.Versions, f.Secret.VersionsErr)
	}
	if f.Secret.KMSKeyARN != f.Secret.KMSKeyID {
		t.Errorf("the configured key %q should resolve to itself (a key ARN), got %q", f.Secret.KMSKeyID, f.Secret.KMSKeyARN)
	}
	if f.Key.ARN == f.Secret.KMSKeyARN || f.Key.Manager != "AWS" || !slices.Contains(f.Key.Aliases, AWSManagedSecretsAlias) {
		t.Errorf("the deciding key must be AWSCURRENT's AWS managed key, got %+v", f.Key)
	}
	if !slices.Contains(f.Secret.Versions[0].KMSKeyIDs, f.Key.ARN) {
		t.Errorf("AWSCURRENT's KmsKeyIds %v do not name the key read %s", f.Secret.Versions[0].KMSKeyIDs, f.Key.ARN)
	}
}

func TestGatherKeepsTheConfiguredKeyWhenTheVersionListsIt(t *testing.T) {
	isolate(t)
	e := startEmu(t, ownScenario("version-reencrypted-lists-both-keys"), awsemu.Options{})
	f := e.gather(e.options())
	if f.Key.ARN != f.Secret.KMSKeyARN || len(f.Secret.Versions[0].KMSKeyIDs) != 2 {
		t.Errorf("key %s, configured %s, versions %+v", f.Key.ARN, f.Secret.KMSKeyARN, f.Secret.Versions)
	}
}

func TestGatherReadsEachReplicasKeyInItsRegion(t *testing.T) {
	isolate(t)
	e := startEmu(t, ownScenario("primary-with-a-replica-under-the-aws-managed-key"), awsemu.Options{})
	f := e.gather(e.options())
	if len(f.Secret.Replicas) != 1 {
		t.Fatalf("replicas = %+v", f.Secret.Replicas)
	}
	r := f.Secret.Replicas[0]
	if r.Region != "eu-west-1" || r.Key == nil || r.Key.Region != "eu-west-1" || !strings.Contains(r.Key.ARN, ":eu-west-1:") || r.Key.Manager != "AWS" {
		t.Errorf("replica = %+v, key %+v", r, r.Key)
	}
}

func TestGatherReadsAReplicaARNInItsOwnRegion(t *testing.T) {
	isolate(t)
	e := startEmu(t, ownScenario("replica-key-policy-pins-via-service-to-the-primary-region"), awsemu.Options{})
	f := e.gather(e.options())
	if f.Secret.Region != "eu-west-1" || f.Secret.PrimaryRegion != "us-east-1" || f.Key.Region != "eu-west-1" || f.Key.Policy == "" {
		t.Errorf("secret %s (primary %s), key %s in %s", f.Secret.ARN, f.Secret.PrimaryRegion, f.Key.ARN, f.Key.Region)
	}
}

func TestGatherTellsASecretWithoutAWSCURRENT(t *testing.T) {
	isolate(t)
	e := startEmu(t, ownScenario("secret-with-no-current-version"), awsemu.Options{})
	f := e.gather(e.options())
	if !f.Secret.NoCurrentVersion || f.Secret.VersionID != "" {
		t.Errorf("secret = %+v", f.Secret)
	}
}

func TestGatherReadsTheKeysTags(t *testing.T) {
	isolate(t)
	e := startEmu(t, ownScenario("key-policy-admits-the-consumer-for-tagged-keys"), awsemu.Options{})
	f := e.gather(e.options())
	if f.Key.Tags["share"] != "partners" || f.Key.TagsErr != nil || len(f.Key.Aliases) == 0 {
		t.Errorf("key tags %v (%+v), aliases %v", f.Key.Tags, f.Key.TagsErr, f.Key.Aliases)
	}
}
