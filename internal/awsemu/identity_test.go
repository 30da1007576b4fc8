package awsemu

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const inspectorARN = "arn:aws:iam::111111111111:role/ops/inspector"

func TestKeysTheEmulatorDidNotIssueActAsTheOperator(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	out, err := e.sts(e.cfg()).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Arn != DefaultOperator || *out.Account != "999999999999" || !strings.HasPrefix(*out.UserId, "AIDA") {
		t.Errorf("operator identity = %s %s %s", *out.Arn, *out.Account, *out.UserId)
	}
	// An ASIA key the emulator never issued is still just the operator's.
	out, err = e.sts(e.cfg("ASIAUNKNOWNKEY000001", "x", "")).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil || *out.Arn != DefaultOperator {
		t.Errorf("unissued ASIA key: %v %v", out, err)
	}
}

func TestAssumeRoleIssuesDeterministicSessionCredentialsBoundToTheRole(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	in := &sts.AssumeRoleInput{RoleArn: aws.String(inspectorARN), RoleSessionName: aws.String("probe"), ExternalId: aws.String("ext-1234")}
	first, err := e.sts(e.cfg()).AssumeRole(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.sts(e.cfg()).AssumeRole(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	c := first.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || len(*c.AccessKeyId) != 20 || len(*c.SecretAccessKey) != 40 || *c.SessionToken == "" {
		t.Errorf("credentials do not look like STS's: %d-char key %q…", len(*c.AccessKeyId), (*c.AccessKeyId)[:4])
	}
	if *c.AccessKeyId != *again.Credentials.AccessKeyId || *c.SessionToken != *again.Credentials.SessionToken {
		t.Error("the same role and session name gave different credentials")
	}
	if c.Expiration == nil || c.Expiration.Before(time.Now().Add(50*time.Minute)) {
		t.Errorf("Expiration = %v, want about an hour from now", c.Expiration)
	}
	// The assumed-role ARN drops the role's path (/ops/), as AWS does.
	wantARN := "arn:aws:sts::111111111111:assumed-role/inspector/probe"
	if *first.AssumedRoleUser.Arn != wantARN || !strings.HasPrefix(*first.AssumedRoleUser.AssumedRoleId, "AROA") ||
		!strings.HasSuffix(*first.AssumedRoleUser.AssumedRoleId, ":probe") {
		t.Errorf("AssumedRoleUser = %s %s", *first.AssumedRoleUser.Arn, *first.AssumedRoleUser.AssumedRoleId)
	}
	who, err := e.sts(e.cfg(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *who.Arn != wantARN || *who.Account != ownerAcct || *who.UserId != *first.AssumedRoleUser.AssumedRoleId {
		t.Errorf("GetCallerIdentity as the session = %s %s %s", *who.Arn, *who.Account, *who.UserId)
	}
}

func TestAssumeRoleRefusesWhatAWSRefuses(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	cases := []struct {
		name, role, externalID, code string
	}{
		{"a role that does not exist", "arn:aws:iam::111111111111:role/nope", "", "AccessDenied"},
		{"a role that is not assumable", "arn:aws:iam::111111111111:role/locked", "", "AccessDenied"},
		{"a role asking for an external id when none is given", inspectorARN, "", "AccessDenied"},
		{"a role asking for an external id when another is given", inspectorARN, "ext-9999", "AccessDenied"},
		{"a role ARN without the role's path", "arn:aws:iam::111111111111:role/inspector", "ext-1234", "AccessDenied"},
		{"a role in an account the scenario does not have", "arn:aws:iam::444444444444:role/app", "", "AccessDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(tc.role), RoleSessionName: aws.String("s1")}
			if tc.externalID != "" {
				in.ExternalId = aws.String(tc.externalID)
			}
			_, err := e.sts(e.cfg()).AssumeRole(ctx(t), in)
			wantCode(t, err, tc.code, "is not authorized to perform: sts:AssumeRole on resource: "+tc.role, DefaultOperator)
		})
	}
}

func TestAssumeRoleValidatesDurationAndRoleChaining(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	_, err := e.sts(e.cfg()).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/app"),
		RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError", "MaxSessionDuration")

	// Role chaining: a session assuming another role is capped at one hour.
	app := e.as("arn:aws:iam::222222222222:role/app")
	_, err = e.sts(app).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::333333333333:role/solo"),
		RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(3601)})
	wantCode(t, err, "ValidationError", "role chaining")
	out, err := e.sts(app).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::333333333333:role/solo"),
		RoleSessionName: aws.String("s2")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::333333333333:assumed-role/solo/s2" {
		t.Errorf("chained session = %s", *out.AssumedRoleUser.Arn)
	}
}

func TestSessionCredentialsNeedTheirTokenTheirSignatureAndExpire(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	e := startEmu(t, wireScenario, Options{Now: clock.Now})
	out, err := e.sts(e.cfg()).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/app"),
		RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !c.Expiration.Equal(clock.Now().Add(15 * time.Minute)) {
		t.Errorf("Expiration = %v, want the injected clock + 900s", c.Expiration)
	}
	// The same key with another token is refused by STS (query) and KMS (JSON) in their words.
	bad := e.cfg(*c.AccessKeyId, *c.SecretAccessKey, "forged")
	_, err = e.sts(bad).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId", "security token included in the request is invalid")
	_, err = e.kms(bad).ListAliases(ctx(t), &kms.ListAliasesInput{})
	wantCode(t, err, "UnrecognizedClientException")

	// The right token with the wrong secret key: the signature does not verify.
	wrongSecret := e.cfg(*c.AccessKeyId, "wrong"+(*c.SecretAccessKey)[5:], *c.SessionToken)
	_, err = e.sts(wrongSecret).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	wantCode(t, err, "SignatureDoesNotMatch", "signature we calculated does not match")
	_, err = e.kms(wrongSecret).ListAliases(ctx(t), &kms.ListAliasesInput{})
	wantCode(t, err, "InvalidSignatureException")
	// And with the right one, every protocol verifies (the SDK signs Host, X-Amz-Target, …).
	if _, err := e.kms(e.cfg(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)).ListAliases(ctx(t), &kms.ListAliasesInput{}); err != nil {
		t.Errorf("a correctly signed KMS call: %v", err)
	}

	clock.Advance(16 * time.Minute)
	good := e.cfg(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	_, err = e.sts(good).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	wantCode(t, err, "ExpiredToken", "expired")
	_, err = e.kms(good).ListAliases(ctx(t), &kms.ListAliasesInput{})
	wantCode(t, err, "ExpiredTokenException", "expired")
}

func TestUnsignedRequestsAreRefused(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	cfg := e.cfg()
	cfg.Credentials = aws.AnonymousCredentials{}
	_, err := e.sts(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	wantCode(t, err, "MissingAuthenticationToken")
	_, err = e.kms(cfg).ListAliases(ctx(t), &kms.ListAliasesInput{})
	wantCode(t, err, "MissingAuthenticationTokenException")
}

func TestGetCallerIdentityIgnoresDeniedCalls(t *testing.T) {
	e := startEmu(t, strings.Replace(wireScenario, `"denied_calls": ["kms:GetKeyPolicy",`, `"denied_calls": ["sts:GetCallerIdentity", "kms:GetKeyPolicy",`, 1), Options{})
	cfg := e.as("arn:aws:iam::111111111111:role/restricted")
	out, err := e.sts(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity needs no permission and works under any deny: %v", err)
	}
	if *out.Arn != "arn:aws:sts::111111111111:assumed-role/restricted/test" {
		t.Errorf("Arn = %s", *out.Arn)
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
