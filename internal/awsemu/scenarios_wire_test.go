package awsemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestEverySharedScenarioIsServedOverTheWire serves each shared scenario and walks it as the
// probe would, through the SDK: the operator assumes the inspector roles and the consumer,
// reads the secret's description as the owner, and reads the value as the consumer. Where the
// scenario says what the live read gives, the emulator must give the same.
func TestEverySharedScenarioIsServedOverTheWire(t *testing.T) {
	for _, f := range sharedScenarioFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			s, _, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			e := startEmu(t, string(mustRead(t, f)), Options{})
			check := s.Check
			for _, role := range []string{check.OwnerRole, check.ConsumerRole} {
				if role == "" {
					continue
				}
				who, err := e.sts(e.as(role)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
				if err != nil || *who.Account != arnAccount(role) {
					t.Errorf("%s: GetCallerIdentity = %v, %v", role, who, err)
				}
			}
			// Secrets Manager is regional: call the endpoint of the secret's region.
			inRegion := func(cfg aws.Config) aws.Config {
				if p, ok := parseARN(check.Secret); ok {
					cfg.Region = p.Region
				}
				return cfg
			}
			if check.OwnerRole != "" {
				out, err := e.sm(inRegion(e.as(check.OwnerRole))).DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(check.Secret)})
				if err != nil {
					t.Errorf("owner DescribeSecret: %v", err)
				} else if !strings.HasPrefix(*out.ARN, "arn:aws:secretsmanager:") {
					t.Errorf("owner DescribeSecret ARN = %s", *out.ARN)
				}
			}
			if s.Expect == nil || s.Expect.Live == "" {
				return
			}
			consumer := inRegion(e.as(check.Consumer))
			_, err = e.sm(consumer).GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(check.Secret)})
			switch s.Expect.Live {
			case "allowed":
				if err != nil {
					t.Errorf("expect.live is allowed, the emulator refused: %v", err)
				}
			case "denied":
				wantCode(t, err, "AccessDeniedException")
			}
		})
	}
}

func TestDebugLogsOneLinePerCallWithoutCredentials(t *testing.T) {
	e := startEmu(t, wireScenario, Options{Debug: true})
	out, err := e.sts(e.cfg()).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(appARN), RoleSessionName: aws.String("dbg")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.cfg(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	if _, err := e.sm(cfg).GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(sharedARN)}); err != nil {
		t.Fatal(err)
	}
	log := e.log.String()
	for _, want := range []string{"sts:AssumeRole caller=" + DefaultOperator, "secretsmanager:GetSecretValue caller=arn:aws:sts::222222222222:assumed-role/app/dbg", "status=200"} {
		if !strings.Contains(log, want) {
			t.Errorf("debug log lacks %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken, "canary-shared", "AKIAOPERATOREXAMPLE1"} {
		if strings.Contains(log, secret) {
			t.Errorf("debug log contains a credential or secret value")
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
