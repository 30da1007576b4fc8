package probe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// countingServer counts every HTTP request and answers each with an error, so a request that
// gets through is visible.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		w.Write([]byte(`{"__type":"ValidationException","message":"test server"}`))
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func testSession(t *testing.T, url string, allowed func(string) bool) (*session, *recorder) {
	isolate(t)
	base, err := loadBase(context.Background(), Options{Endpoint: url,
		ConfigOptions: []func(*config.LoadOptions) error{config.WithCredentialsProvider(operatorCreds), fastRetries}}, "", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	return newSession(base, rec, sessionConfig{purpose: "owner", account: "111111111111", allowed: allowed}), rec
}

func TestTheAllowlistRefusesMutatingCallsBeforeAnyRequestLeaves(t *testing.T) {
	ts, n := countingServer(t)
	s, rec := testSession(t, ts.URL, allowRead)
	ctx := context.Background()
	mutations := map[string]func() error{
		"kms:ScheduleKeyDeletion": func() error {
			_, err := s.kms.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab")})
			return err
		},
		"kms:PutKeyPolicy": func() error {
			_, err := s.kms.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String("k"), Policy: aws.String("{}"), PolicyName: aws.String("default")})
			return err
		},
		"kms:Decrypt": func() error {
			_, err := s.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: []byte("x")})
			return err
		},
		"secretsmanager:PutResourcePolicy": func() error {
			_, err := s.sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("s"), ResourcePolicy: aws.String("{}")})
			return err
		},
		"secretsmanager:DeleteSecret": func() error {
			_, err := s.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("s")})
			return err
		},
		// Reading a value is not an inspector's business: only --live's own client may.
		"secretsmanager:GetSecretValue": func() error {
			_, err := s.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
			return err
		},
		"iam:PutRolePolicy": func() error {
			_, err := s.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p"), PolicyDocument: aws.String("{}")})
			return err
		},
		"iam:UpdateAssumeRolePolicy": func() error {
			_, err := s.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String("{}")})
			return err
		},
		"organizations:LeaveOrganization": func() error {
			_, err := s.org.LeaveOrganization(ctx, &organizations.LeaveOrganizationInput{})
			return err
		},
		"sts:AssumeRoleWithWebIdentity": func() error {
			_, err := s.sts.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::1:role/r"), RoleSessionName: aws.String("s"), WebIdentityToken: aws.String("t")})
			return err
		},
	}
	for name, call := range mutations {
		err := call()
		var refused *RefusedError
		if !errors.As(err, &refused) || refused.Call != name {
			t.Errorf("%s: err = %v, want refused by the allowlist", name, err)
		}
	}
	if got := n.Load(); got != 0 {
		t.Errorf("%d requests left the process; the allowlist must stop them before the wire", got)
	}
	if calls, _, _ := rec.result(); len(calls) != 0 {
		t.Errorf("refused calls are not AWS calls: %+v", calls)
	}

	// The guard does not get in the way of the reads: they reach the server.
	_, err := s.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String("k"), PolicyName: aws.String("default")})
	if errorCode(err) != "ValidationException" || n.Load() == 0 {
		t.Errorf("an allowlisted read must be sent: err %v, %d requests", err, n.Load())
	}
	if calls, _, _ := rec.result(); len(calls) != 1 || calls[0].Operation != "GetKeyPolicy" || calls[0].ErrorCode != "ValidationException" {
		t.Errorf("the read is recorded once with its error code: %+v", calls)
	}
}

func TestOnlyTheLiveClientMayGetSecretValue(t *testing.T) {
	ts, n := countingServer(t)
	s, _ := testSession(t, ts.URL, func(c string) bool { return readOnly[c] || c == liveOnly })
	_, err := s.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
	var refused *RefusedError
	if errors.As(err, &refused) || n.Load() != 1 {
		t.Errorf("the live client must send GetSecretValue: err %v, %d requests", err, n.Load())
	}
	_, err = s.kms.ScheduleKeyDeletion(context.Background(), &kms.ScheduleKeyDeletionInput{KeyId: aws.String("k")})
	if !errors.As(err, &refused) || n.Load() != 1 {
		t.Errorf("the live client is read-only otherwise: err %v", err)
	}
}

func TestEveryAllowlistedOperationIsARead(t *testing.T) {
	// The names that change state in the services the probe talks to all start with one of
	// these verbs; none may be on the allowlist.
	verbs := []string{"Put", "Create", "Delete", "Update", "Schedule", "Cancel", "Enable", "Disable", "Tag", "Untag",
		"Attach", "Detach", "Revoke", "Retire", "Rotate", "Restore", "Replicate", "Remove", "Set", "Leave", "Encrypt",
		"Decrypt", "Generate", "ReEncrypt", "Sign", "Import", "Validate", "Batch"}
	for call := range readOnly {
		_, op := splitCall(call)
		for _, v := range verbs {
			if strings.HasPrefix(op, v) {
				t.Errorf("%s is on the read-only allowlist", call)
			}
		}
	}
	if readOnly[liveOnly] {
		t.Errorf("%s must be allowed only on the live client", liveOnly)
	}
}
