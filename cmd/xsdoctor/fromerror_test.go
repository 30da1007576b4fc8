package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

// errorForm wraps an AWS message the way one client or log shows it. principal and secret are
// what CloudTrail carries beside the message; the text forms carry only the message.
type errorForm struct {
	name   string
	format string // the format --from-error must report
	text   func(w workloadError) string
	// cloudTrail forms carry the principal and the secret even when the message does not.
	cloudTrail bool
}

// workloadError is the error the scenario's workload gets: who it is, what it read, what AWS said.
type workloadError struct {
	principal, secret, region, account, code, message string
}

var errorForms = []errorForm{
	{name: "aws-sdk-go-v2", format: "aws-sdk-go-v2", text: func(w workloadError) string {
		return "operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: 4f1c9a52-33d0-4a61-9d2e-1f0e9d8c7b6a, api error " + w.code + ": " + w.message
	}},
	{name: "botocore-traceback", format: "stack-trace/botocore", text: func(w workloadError) string {
		return "Traceback (most recent call last):\n  File \"/app/main.py\", line 12, in <module>\n    secret = client.get_secret_value(SecretId=ARN)\n" +
			"botocore.exceptions.ClientError: An error occurred (" + w.code + ") when calling the GetSecretValue operation: " + w.message + "\n"
	}},
	{name: "java-sdk", format: "java-sdk", text: func(w workloadError) string {
		return "software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException: " + w.message +
			" (Service: SecretsManager, Status Code: 400, Request ID: 1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d)"
	}},
	{name: "lambda-json", format: "lambda-json/botocore", text: func(w workloadError) string {
		b, _ := json.Marshal(map[string]any{"errorType": "ClientError", "requestId": "5e4d3c2b",
			"errorMessage": "An error occurred (" + w.code + ") when calling the GetSecretValue operation: " + w.message})
		return string(b)
	}},
	{name: "cloudtrail-event", format: "cloudtrail-event", cloudTrail: true, text: func(w workloadError) string {
		return cloudTrailEvent(w)
	}},
	{name: "cloudtrail-lookup-events", format: "cloudtrail-lookup-events", cloudTrail: true, text: func(w workloadError) string {
		b, _ := json.Marshal(map[string]any{"Events": []any{map[string]any{"EventName": "GetSecretValue", "CloudTrailEvent": cloudTrailEvent(w)}}})
		return string(b)
	}},
}

func cloudTrailEvent(w workloadError) string {
	b, _ := json.Marshal(map[string]any{
		"eventVersion": "1.09", "eventTime": "2026-03-01T12:00:00Z",
		"userIdentity": map[string]any{"type": "AssumedRole", "arn": w.principal, "accountId": strings.Split(w.principal, ":")[4]},
		"eventSource":  "secretsmanager.amazonaws.com", "eventName": "GetSecretValue", "awsRegion": w.region,
		"errorCode": w.code, "errorMessage": w.message, "requestParameters": map[string]any{"secretId": w.secret},
		"recipientAccountId": w.account,
	})
	return string(b)
}

// specBlames is the policy-type → door table of the error-text contract, written out here on its
// own: resource-based and RCP → the resource's door; identity, boundary, SCP, VPC endpoint →
// consumer-iam; the KMS messages → key-policy and consumer-iam; a session policy → none; the bare
// form → any door.
var specBlames = map[xsdoctor.PolicyType][]xsdoctor.DoorID{
	xsdoctor.PolicyResourceBased: {xsdoctor.DoorSecretPolicy},
	xsdoctor.PolicyRCP:           {xsdoctor.DoorSecretPolicy},
	xsdoctor.PolicyIdentityBased: {xsdoctor.DoorConsumerIAM},
	xsdoctor.PolicyBoundary:      {xsdoctor.DoorConsumerIAM},
	xsdoctor.PolicySCP:           {xsdoctor.DoorConsumerIAM},
	xsdoctor.PolicyVPCEndpoint:   {xsdoctor.DoorConsumerIAM},
	xsdoctor.PolicyKMS:           {xsdoctor.DoorKeyPolicy, xsdoctor.DoorConsumerIAM},
	"":                           {xsdoctor.DoorKeyPolicy, xsdoctor.DoorSecretPolicy, xsdoctor.DoorConsumerIAM},
}

// TestFromErrorScenarios: for every shared scenario, the error its workload would log — decided by
// the emulator as AWS decides it, wrapped in several forms — leads "demo --scenario F --from-error
// E", with the secret and the consumer removed from the scenario's check block, to the same doors,
// codes and exit code as the plain run; input.error shows what was parsed, the principal exactly
// as written; ERROR_POINTS_ELSEWHERE appears exactly where the contract says. A workload whose
// read succeeds logs no error: for those the test uses the error an unread resource control
// policy would give, which must point elsewhere. An error raised for another role than the
// --consumer checked must point elsewhere too.
func TestFromErrorScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenarioDir(t), "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	tmp := t.TempDir()
	runs := 0
	for i, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			s, _, err := awsemu.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			plain, plainCode := demoReport(t, "--scenario", file, "--live=false")
			w := workloadErrorOf(t, s, i)
			stripped := withoutSecretAndConsumer(t, file, tmp)

			// Two forms per scenario, a text one and a CloudTrail one, rotating through them all.
			text := errorForms[i%4]
			trail := errorForms[4+i%2]
			for _, form := range []errorForm{text, trail} {
				errFile := filepath.Join(tmp, name+"."+form.name+".txt")
				if err := os.WriteFile(errFile, []byte(form.text(w)), 0o600); err != nil {
					t.Fatal(err)
				}
				// The KMS messages (and a deletion's InvalidRequestException) name neither the
				// secret nor the consumer: only CloudTrail carries them beside the message.
				namesNeither := !strings.Contains(w.message, "is not authorized") && !form.cloudTrail
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), []string{"demo", "--scenario", stripped, "--from-error", errFile, "--live=false", "-o", "json"}, nil, &stdout, &stderr)
				runs++
				if namesNeither {
					// A usage error that says what it looked for.
					if code != exitUsage || !strings.Contains(stderr.String(), "looked for") {
						t.Errorf("%s: KMS message alone: exit %d, want 2 saying what it looked for; stderr:\n%s", form.name, code, stderr.String())
					}
					continue
				}
				var d xsdoctor.Diagnosis
				if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
					t.Fatalf("%s: exit %d, not a JSON report: %v\nstderr:\n%s", form.name, code, err, stderr.String())
				}
				for _, v := range reportSchema(t).Validate(stdout.Bytes()) {
					t.Errorf("%s: the report does not validate against docs/report.schema.json: %s", form.name, v)
				}
				compareFromError(t, form, w, plain, plainCode, d, code, false)
			}

			// The error of another role than the one checked (--consumer wins over the error).
			other := w
			other.principal = "arn:aws:sts::" + s.Check.Consumer[13:25] + ":assumed-role/eks-node-group-role/i-0123456789abcdef0"
			if !strings.Contains(other.message, "is not authorized") {
				other.message = "User: " + other.principal + " is not authorized to perform: secretsmanager:GetSecretValue on resource: " + w.secret + " because no identity-based policy allows the secretsmanager:GetSecretValue action"
			} else {
				other.message = strings.Replace(other.message, w.principal, other.principal, 1)
			}
			errFile := filepath.Join(tmp, name+".other.txt")
			if err := os.WriteFile(errFile, []byte(errorForms[0].text(other)), 0o600); err != nil {
				t.Fatal(err)
			}
			d, code := demoReport(t, "--scenario", stripped, "--from-error", errFile, "--consumer", s.Check.Consumer, "--live=false")
			runs++
			compareFromError(t, errorForms[0], other, plain, plainCode, d, code, true)
		})
	}
	t.Logf("%d runs from errors", runs)
}

// compareFromError checks one --from-error run against the plain run of the same scenario.
func compareFromError(t *testing.T, form errorForm, w workloadError, plain xsdoctor.Diagnosis, plainCode int, d xsdoctor.Diagnosis, code int, otherRole bool) {
	t.Helper()
	if code != plainCode {
		t.Errorf("%s: exit %d, want %d as without --from-error", form.name, code, plainCode)
	}
	for i := range plain.Doors {
		p, g := plain.Doors[i], d.Doors[i]
		if p.State != g.State || !slices.Equal(sortedCodes(p.Findings), sortedCodes(g.Findings)) {
			t.Errorf("%s: door %s is %s %v, want %s %v", form.name, g.Door, g.State, sortedCodes(g.Findings), p.State, sortedCodes(p.Findings))
		}
	}
	top := slices.DeleteFunc(sortedCodes(d.Findings), func(c string) bool { return c == string(xsdoctor.ErrorPointsElsewhere) })
	if want := sortedCodes(plain.Findings); !slices.Equal(top, want) {
		t.Errorf("%s: top-level findings %v, want %v", form.name, top, want)
	}
	if d.Consumer.RoleARN != plain.Consumer.RoleARN && !otherRole {
		t.Errorf("%s: consumer role %s, want %s", form.name, d.Consumer.RoleARN, plain.Consumer.RoleARN)
	}
	e := d.Input.Error
	if e == nil {
		t.Fatalf("%s: no input.error in the report", form.name)
	}
	if e.Principal != w.principal {
		t.Errorf("%s: input.error.principal %q, want %q exactly as written", form.name, e.Principal, w.principal)
	}
	if e.Format != form.format {
		t.Errorf("%s: input.error.format %q, want %q", form.name, e.Format, form.format)
	}
	if e.Action != "secretsmanager:GetSecretValue" {
		t.Errorf("%s: input.error.action %q", form.name, e.Action)
	}

	// Where ERROR_POINTS_ELSEWHERE belongs: the blamed doors all open, no door, another role.
	want := otherRole
	denial := strings.Contains(w.code, "AccessDenied")
	if blamed, ok := specBlames[e.PolicyType]; ok && denial && !want {
		want = true
		for _, id := range blamed {
			for _, door := range d.Doors {
				if door.Door == id && door.State != xsdoctor.StateOpen {
					want = false
				}
			}
		}
	} else if e.PolicyType == xsdoctor.PolicySession {
		want = true
	}
	got := slices.Contains(sortedCodes(d.Findings), string(xsdoctor.ErrorPointsElsewhere))
	if got != want {
		t.Errorf("%s: ERROR_POINTS_ELSEWHERE %v, want %v (policy type %q, doors %v)", form.name, got, want, e.PolicyType, doorStatesOf(d))
	}
	if d.ErrorMatch == nil || d.ErrorMatch.Elsewhere != got {
		t.Errorf("%s: error_match %+v disagrees with the findings", form.name, d.ErrorMatch)
	}
}

// workloadErrorOf asks the emulator what the scenario's consumer gets from GetSecretValue, as a
// session named like an application's (AWS decides the same for any session of the role).
func workloadErrorOf(t *testing.T, s *awsemu.Scenario, i int) workloadError {
	t.Helper()
	role, aerr := s.Role("", s.Check.Consumer)
	if aerr != nil {
		role = s.RoleForSession(s.Check.Consumer)
	}
	if role == nil {
		t.Fatalf("no role for %s", s.Check.Consumer)
	}
	session := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/app-%d", role.Account, role.Name, i)
	if strings.Contains(s.Check.Consumer, ":assumed-role/") {
		session = s.Check.Consumer
	}
	sec, aerr := s.Secret(s.Check.Secret, role.Account, s.Region)
	if aerr != nil {
		t.Fatalf("secret %s: %v", s.Check.Secret, aerr)
	}
	w := workloadError{principal: session, secret: sec.ARN, region: sec.Region, account: sec.Account}
	dec := s.DecideGetSecretValue(awsemu.Caller{ARN: session, Account: role.Account, Role: role}, sec, awsemu.SecretRead{}, time.Now())
	if dec.Err == nil {
		// The read succeeds as far as anything readable goes: the error an unread RCP gives.
		w.code = "AccessDeniedException"
		w.message = "User: " + session + " is not authorized to perform: secretsmanager:GetSecretValue on resource: " + sec.ARN + " with an explicit deny in a resource control policy"
		return w
	}
	w.code, w.message = dec.Err.Code, dec.Err.Message
	return w
}

// withoutSecretAndConsumer writes a copy of the scenario whose check block has neither.
func withoutSecretAndConsumer(t *testing.T, file, dir string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	check, _ := raw["check"].(map[string]any)
	delete(check, "secret")
	delete(check, "consumer")
	out, _ := json.Marshal(raw)
	path := filepath.Join(dir, "stripped-"+filepath.Base(file))
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// demoJSON runs demo with args and -o json and returns the report and the exit code.
func demoReport(t *testing.T, args ...string) (xsdoctor.Diagnosis, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append(append([]string{"demo"}, args...), "-o", "json"), nil, &stdout, &stderr)
	var d xsdoctor.Diagnosis
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatalf("demo %v: exit %d, not a JSON report: %v\nstderr:\n%s", args, code, err, stderr.String())
	}
	for _, v := range reportSchema(t).Validate(stdout.Bytes()) {
		t.Errorf("demo %v: the report does not validate against docs/report.schema.json: %s", args, v)
	}
	return d, code
}

func sortedCodes(fs []xsdoctor.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Code))
	}
	slices.Sort(out)
	return out
}

func doorStatesOf(d xsdoctor.Diagnosis) map[xsdoctor.DoorID]xsdoctor.State {
	m := map[xsdoctor.DoorID]xsdoctor.State{}
	for _, door := range d.Doors {
		m[door.Door] = door.State
	}
	return m
}

// checkFromError runs "check --from-error -" with the error on stdin against the classic trap's
// emulator (awsEnv), with extra flags, and returns the report.
func checkFromError(t *testing.T, errText string, args ...string) (xsdoctor.Diagnosis, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runWith(context.Background(), append([]string{"check", "--from-error", "-", "--owner-role", trapOwner,
		"--consumer-role", trapReader, "-o", "json", "--timeout", "20s"}, args...), nil, strings.NewReader(errText), &stdout, &stderr)
	var d xsdoctor.Diagnosis
	if code != exitUsage {
		if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
			t.Fatalf("exit %d, not a JSON report: %v\nstderr:\n%s", code, err, stderr.String())
		}
	}
	return d, code, stderr.String()
}

// TestCheckFromErrorTakesWhatTheErrorSays: check reads the error from stdin, takes the secret and
// the consumer from it, resolves the session to its role (with its path, from GetRole), and keeps
// the principal exactly as written in input.error.
func TestCheckFromErrorTakesWhatTheErrorSays(t *testing.T) {
	awsEnv(t)
	session := "arn:aws:sts::222222222222:assumed-role/billing-worker/billing-worker-0a1b"
	errText := "2026-03-01T12:00:00Z ERROR load config: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: 1, api error AccessDeniedException: Access to KMS is not allowed"
	// The KMS message names neither: the flags give them.
	d, code, stderr := checkFromError(t, errText, trapSecret, "--consumer", session)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	if d.Consumer.RoleARN != trapConsumer || d.Input.Error == nil || d.Input.Error.PolicyType != xsdoctor.PolicyKMS || d.Input.Error.Format != "cloudwatch/aws-sdk-go-v2" {
		t.Errorf("consumer %+v, input.error %+v", d.Consumer, d.Input.Error)
	}
	if slices.Contains(sortedCodes(d.Findings), string(xsdoctor.ErrorPointsElsewhere)) {
		t.Errorf("the key-policy door is closed: the KMS message does not point elsewhere")
	}

	// The whole message: nothing on the command line but the inspectors.
	msg := "User: " + session + " is not authorized to perform: secretsmanager:GetSecretValue on resource: " + trapSecret + " because no identity-based policy allows the secretsmanager:GetSecretValue action"
	d, code, stderr = checkFromError(t, msg)
	if code != 1 || d.Secret.ARN != trapSecret || d.Consumer.RoleARN != trapConsumer || d.Input.Error.Principal != session || d.Consumer.Principal != session {
		t.Errorf("exit %d, secret %s, consumer %+v, error %+v; stderr %s", code, d.Secret.ARN, d.Consumer, d.Input.Error, stderr)
	}
	if d.Input.OwnerRole != trapOwner || d.Input.ConsumerRole != trapReader || d.Input.Secret != trapSecret || d.Input.Consumer != session {
		t.Errorf("input %+v does not record what was given", d.Input)
	}
}

// TestCheckFromErrorFlagsWin: a secret argument and --consumer on the command line win over the
// error; the error, raised for another role, then points elsewhere.
func TestCheckFromErrorFlagsWin(t *testing.T) {
	awsEnv(t)
	msg := "User: arn:aws:sts::222222222222:assumed-role/eks-nodes/i-0123456789abcdef0 is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-west-1:111111111111:secret:other-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action"
	d, code, stderr := checkFromError(t, msg, trapSecret, "--consumer", trapConsumer)
	if code != 1 || d.Secret.ARN != trapSecret || d.Consumer.RoleARN != trapConsumer {
		t.Fatalf("exit %d, secret %s, consumer %s: the flags must win; stderr %s", code, d.Secret.ARN, d.Consumer.RoleARN, stderr)
	}
	f := d.Findings[slices.IndexFunc(d.Findings, func(f xsdoctor.Finding) bool { return f.Code == xsdoctor.ErrorPointsElsewhere })]
	if !strings.Contains(f.Summary, "eks-nodes") || !strings.Contains(f.Detail, "EC2 instance") {
		t.Errorf("ERROR_POINTS_ELSEWHERE does not name the other principal and its likely mistake: %+v", f)
	}
}

// TestCheckFromErrorResolvesAPartialARN: a CloudTrail event whose secretId is a partial ARN is
// resolved as check resolves one (INPUT_NOT_FULL_ARN).
func TestCheckFromErrorResolvesAPartialARN(t *testing.T) {
	awsEnv(t)
	w := workloadError{principal: "arn:aws:sts::222222222222:assumed-role/billing-worker/s1",
		secret: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/billing/stripe-api-key", region: "eu-west-1",
		account: "222222222222", code: "AccessDenied", message: "Access to KMS is not allowed"}
	d, code, stderr := checkFromError(t, cloudTrailEvent(w))
	if code != 1 || d.Secret.ARN != trapSecret || !slices.Contains(sortedCodes(d.Findings), string(xsdoctor.InputNotFullARN)) {
		t.Errorf("exit %d, secret %s, findings %v; stderr %s", code, d.Secret.ARN, sortedCodes(d.Findings), stderr)
	}
}
