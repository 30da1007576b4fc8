package awsemu

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// withFaults returns the wire scenario with a faults list.
func withFaults(faults string) string {
	i := strings.LastIndex(wireScenario, `"check"`)
	return wireScenario[:i] + `"faults": ` + faults + ",\n  " + wireScenario[i:]
}

func TestThrottlingFaultsFailTheFirstCallsAndTheSDKRetriesThrough(t *testing.T) {
	e := startEmu(t, withFaults(`[{"call": "kms:GetKeyPolicy", "error": "ThrottlingException", "times": 2}]`), Options{})
	owner := e.kms(e.as(inspectorARN, "ext-1234"))
	before := e.count("TrentService.GetKeyPolicy")
	out, err := owner.GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String(cmkID)})
	if err != nil {
		t.Fatalf("3 attempts should outlast 2 throttles: %v", err)
	}
	if out.Policy == nil || e.count("TrentService.GetKeyPolicy")-before != 3 {
		t.Errorf("want 3 requests (2 throttled, 1 served), got %d", e.count("TrentService.GetKeyPolicy")-before)
	}
	// The fault is spent: the next call succeeds at once.
	before = e.count("TrentService.GetKeyPolicy")
	if _, err := owner.GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String(cmkID)}); err != nil || e.count("TrentService.GetKeyPolicy")-before != 1 {
		t.Errorf("after the fault: %v, %d requests", err, e.count("TrentService.GetKeyPolicy")-before)
	}
}

func TestFaultsSurfaceWithTheirCodeWhenRetriesRunOut(t *testing.T) {
	e := startEmu(t, withFaults(`[
		{"call": "secretsmanager:DescribeSecret", "error": "ThrottlingException", "times": 5},
		{"call": "iam:GetRole", "error": "ThrottlingException", "times": 1},
		{"call": "kms:ListGrants", "error": "AccessDeniedException", "message": "injected denial"},
		{"call": "kms:ListAliases", "error": "KMSInternalException", "times": 1}
	]`), Options{})
	cfg := e.cfg()
	cfg.RetryMaxAttempts = 1

	_, err := e.sm(cfg).DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(sharedARN)})
	wantCode(t, err, "ThrottlingException", "Rate exceeded")

	// IAM and STS spell throttling "Throttling" (awsQuery), and the error comes in XML.
	_, err = e.iam(e.as(inspectorARN, "ext-1234")).GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("inspector")})
	if err != nil {
		t.Fatalf("the default retryer should have absorbed one throttle: %v", err)
	}
	e2 := startEmu(t, withFaults(`[{"call": "iam:GetRole", "error": "ThrottlingException", "times": 1}]`), Options{})
	c2 := e2.cfg()
	c2.RetryMaxAttempts = 1
	_, err = e2.iam(c2).GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("inspector")})
	wantCode(t, err, "Throttling")

	// One fault spelling serves both protocols: AccessDenied for IAM is 403 AccessDenied, and
	// Throttling for KMS is ThrottlingException.
	e3 := startEmu(t, withFaults(`[{"call": "iam:GetRole", "error": "AccessDeniedException"}, {"call": "kms:DescribeKey", "error": "Throttling"}]`), Options{})
	c3 := e3.cfg()
	c3.RetryMaxAttempts = 1
	_, err = e3.iam(c3).GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("inspector")})
	var re *awshttp.ResponseError
	if wantCode(t, err, "AccessDenied"); !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Errorf("query AccessDenied fault: %v", err)
	}
	_, err = e3.kms(c3).DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String(cmkARN)})
	wantCode(t, err, "ThrottlingException")

	// A fault without times fails every call, and is not retried (a client error).
	before := e.count("TrentService.ListGrants")
	for range 2 {
		_, err = e.kms(e.cfg()).ListGrants(ctx(t), &kms.ListGrantsInput{KeyId: aws.String(cmkARN)})
		wantCode(t, err, "AccessDeniedException", "injected denial")
	}
	if n := e.count("TrentService.ListGrants") - before; n != 2 {
		t.Errorf("AccessDeniedException was retried: %d requests for 2 calls", n)
	}

	// A 5xx fault is retried by the SDK.
	before = e.count("TrentService.ListAliases")
	if _, err := e.kms(e.cfg()).ListAliases(ctx(t), &kms.ListAliasesInput{}); err != nil {
		t.Errorf("one KMSInternalException should be retried away: %v", err)
	}
	if n := e.count("TrentService.ListAliases") - before; n != 2 {
		t.Errorf("KMSInternalException: %d requests, want 2", n)
	}
	// Faults match their call only.
	if _, err := e2.kms(c2).ListAliases(ctx(t), &kms.ListAliasesInput{}); err != nil {
		t.Errorf("a call no fault names failed: %v", err)
	}
}

func TestLatencyFaultsDelayEveryMatchingCall(t *testing.T) {
	e := startEmu(t, withFaults(`[{"call": "*", "latency_ms": 60}, {"call": "sts:GetCallerIdentity", "latency_ms": 40}]`), Options{})
	start := time.Now()
	if _, err := e.sts(e.cfg()).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("GetCallerIdentity took %v, want at least 60+40ms", d)
	}
	start = time.Now()
	if _, err := e.kms(e.cfg()).ListAliases(ctx(t), &kms.ListAliasesInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 60*time.Millisecond || d > 2*time.Second {
		t.Errorf("ListAliases took %v, want 60ms and change", d)
	}
	// A client that gives up does not keep the server busy.
	e2 := startEmu(t, withFaults(`[{"call": "*", "latency_ms": 5000}]`), Options{})
	c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	cfg := e2.cfg()
	cfg.RetryMaxAttempts = 1
	start = time.Now()
	_, err := e2.sts(cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	if err == nil || time.Since(start) > time.Second {
		t.Errorf("cancelled call: %v after %v", err, time.Since(start))
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		t.Errorf("a cancelled call should fail in the client, not with an API error: %v", err)
	}
}

func TestConnectionResetClosesTheConnectionWithoutAnAnswer(t *testing.T) {
	e := startEmu(t, withFaults(`[
		{"call": "kms:DescribeKey", "error": "ConnectionReset", "times": 1},
		{"call": "secretsmanager:DescribeSecret", "error": "ConnectionReset"}
	]`), Options{})
	// One reset is retried away by the SDK, as a dropped connection is on AWS.
	before := e.count("TrentService.DescribeKey")
	if _, err := e.kms(e.cfg()).DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String(cmkARN)}); err != nil {
		t.Fatalf("one reset should be retried away: %v", err)
	}
	if n := e.count("TrentService.DescribeKey") - before; n != 2 {
		t.Errorf("DescribeKey after one reset: %d requests, want 2", n)
	}
	// Every attempt reset: the client sees a transport error, never an AWS error code.
	before = e.count("secretsmanager.DescribeSecret")
	_, err := e.sm(e.cfg()).DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(sharedARN)})
	var api smithy.APIError
	var re *awshttp.ResponseError
	if err == nil || errors.As(err, &api) || (errors.As(err, &re) && re.HTTPStatusCode() != 0) {
		t.Fatalf("want a transport error without a response (no status, no code), got %v", err)
	}
	if !strings.Contains(err.Error(), "connection reset") && !strings.Contains(err.Error(), "EOF") {
		t.Errorf("error %q names neither a reset nor an EOF", err)
	}
	if n := e.count("secretsmanager.DescribeSecret") - before; n != 3 {
		t.Errorf("a reset is retryable: %d attempts, want the configured 3", n)
	}
	if strings.Contains(e.log.String(), "panicked") {
		t.Errorf("a reset is not a crash: %s", e.log.String())
	}
}

func TestServerFaultsAre5xxInEveryProtocol(t *testing.T) {
	e := startEmu(t, withFaults(`[
		{"call": "kms:ListAliases", "error": "InternalFailure"},
		{"call": "secretsmanager:DescribeSecret", "error": "ServiceUnavailable"},
		{"call": "iam:GetRole", "error": "ServiceUnavailable"},
		{"call": "sts:GetCallerIdentity", "error": "InternalFailure"}
	]`), Options{})
	cfg := e.cfg()
	cfg.RetryMaxAttempts = 2
	calls := []struct {
		op     string
		status int
		call   func() error
	}{
		{"TrentService.ListAliases", 500, func() error { _, err := e.kms(cfg).ListAliases(ctx(t), &kms.ListAliasesInput{}); return err }},
		{"secretsmanager.DescribeSecret", 503, func() error {
			_, err := e.sm(cfg).DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(sharedARN)})
			return err
		}},
		{"GetRole", 503, func() error {
			_, err := e.iam(cfg).GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("inspector")})
			return err
		}},
		{"GetCallerIdentity", 500, func() error {
			_, err := e.sts(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			return err
		}},
	}
	for _, c := range calls {
		before := e.count(c.op)
		err := c.call()
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != c.status {
			t.Errorf("%s: want HTTP %d, got %v", c.op, c.status, err)
		}
		if n := e.count(c.op) - before; n != 2 {
			t.Errorf("%s: a 5xx is retried: %d attempts, want 2", c.op, n)
		}
	}
}
