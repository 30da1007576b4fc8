package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/errtext"
	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

// realCorpus is where the text the real clients print is kept, beside the hand-written forms, so
// that the parser's own tests read it too.
var realCorpus = filepath.Join("..", "..", "errtext", "testdata", "corpus")

// realCase is one failing read: a scenario whose consumer is refused, and the session it reads as.
type realCase struct {
	name     string // the corpus files are real-<client>-<name>.txtar
	scenario string
	session  string
	want     xsdoctor.ErrorText // what the parser must read (Format and Principal filled per client)
}

var realCases = []realCase{
	{name: "resource-policy", scenario: "secret-has-no-resource-policy.json", session: "i-0f1e2d3c4b5a69788",
		want: xsdoctor.ErrorText{Action: "secretsmanager:GetSecretValue", PolicyType: xsdoctor.PolicyResourceBased, Deny: xsdoctor.DenyImplicit,
			Resource: "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/reporting/redshift-etl-user-LeXoM1"}},
	{name: "kms", scenario: "key-policy-has-no-statement-for-consumer.json", session: "fraud-scoring-7d4f9",
		want: xsdoctor.ErrorText{Action: "secretsmanager:GetSecretValue", PolicyType: xsdoctor.PolicyKMS}},
}

// requestID is the only part of a real error that changes from run to run.
var requestID = regexp.MustCompile(`(RequestID: )[0-9a-fA-F-]+`)

func normalizeRealError(s string) string {
	return requestID.ReplaceAllString(s, "${1}00000000-0000-0000-0000-000000000000")
}

// TestRealClientErrors makes aws-sdk-go-v2, the AWS CLI and boto3 (botocore) read a secret they are
// refused, from the emulator, as the consumer's own session; keeps what they print in the corpus
// (-update rewrites it; otherwise the live text must equal the stored one, so the corpus cannot
// rot); and feeds the stored text back through "demo --from-error", which must reach the same
// diagnosis as the plain run. Without the aws command (or python3 with boto3) that client is
// skipped, except under CI=true, where it fails.
func TestRealClientErrors(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, rc := range realCases {
		t.Run(rc.name, func(t *testing.T) {
			file := filepath.Join(scenarioDir(t), rc.scenario)
			s, _, err := awsemu.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(awsemu.New(s, awsemu.Options{}))
			defer srv.Close()
			creds := assumeConsumer(t, srv.URL, s.Check.Consumer, rc.session)
			principal := strings.Replace(strings.Replace(s.Check.Consumer, ":iam::", ":sts::", 1), ":role/", ":assumed-role/", 1) + "/" + rc.session

			captured := map[string]string{"aws-sdk-go-v2": goSDKError(t, srv.URL, creds, s.Check.Secret)}
			if cli, ok := cliError(t, srv.URL, creds, s.Check.Secret, empty); ok {
				captured["aws-cli"] = cli
			}
			if py, ok := boto3Error(t, srv.URL, creds, s.Check.Secret, empty); ok {
				captured["botocore"] = py
			}
			for client, text := range captured {
				path := filepath.Join(realCorpus, "real-"+client+"-"+rc.name+".txtar")
				want := rc.want
				want.Format = client
				if rc.want.PolicyType != xsdoctor.PolicyKMS {
					want.Principal = principal
				}
				if *update {
					writeRealCorpus(t, path, client, rc, text, want)
				}
				stored := readRealCorpus(t, path)
				if stored != text {
					t.Errorf("%s now prints\n%s\nbut the corpus (%s) holds\n%s\n(go test ./cmd/xsdoctor -run TestRealClientErrors -update rewrites it)", client, text, path, stored)
				}
				fromStoredError(t, file, path, stored, want)
			}
		})
	}
}

// fromStoredError feeds a stored real error through the parser and through demo --from-error.
func fromStoredError(t *testing.T, scenario, path, text string, want xsdoctor.ErrorText) {
	t.Helper()
	e, err := errtext.Parse(text)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if e.Principal != want.Principal || e.Action != want.Action || e.PolicyType != want.PolicyType || e.Deny != want.Deny || e.Format != want.Format || e.Resource != want.Resource {
		t.Errorf("%s: parsed %+v, want %+v", path, e, want)
	}
	plain, plainCode := demoReport(t, "--scenario", scenario, "--live=false")
	args := []string{"--scenario", scenario, "--from-error", path + ".input", "--live=false"}
	if err := os.WriteFile(path+".input", []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path + ".input")
	if e.Principal != "" {
		// The error names the secret and the consumer: the scenario's check block must not.
		args[1] = withoutSecretAndConsumer(t, scenario, t.TempDir())
	}
	d, code := demoReport(t, args...)
	compareFromError(t, errorForm{name: filepath.Base(path), format: want.Format}, workloadError{principal: want.Principal, code: "AccessDeniedException"}, plain, plainCode, d, code, false)
}

// assumeConsumer assumes the scenario's consumer role at the emulator, as the workload would.
func assumeConsumer(t *testing.T, endpoint, role, session string) aws.Credentials {
	t.Helper()
	cfg := emuConfig(t, endpoint, credentials.NewStaticCredentialsProvider("xsdoctor-test-operator", "xsdoctor-test-operator", ""))
	out, err := sts.NewFromConfig(cfg).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String(session)})
	if err != nil {
		t.Fatalf("assume %s: %v", role, err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
}

func emuConfig(t *testing.T, endpoint string, p aws.CredentialsProvider) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithCredentialsProvider(p),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}), config.WithBaseEndpoint(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// goSDKError is what a Go workload logs: err.Error() of a refused GetSecretValue.
func goSDKError(t *testing.T, endpoint string, c aws.Credentials, secret string) string {
	t.Helper()
	cfg := emuConfig(t, endpoint, credentials.StaticCredentialsProvider{Value: c})
	_, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret)})
	if err == nil {
		t.Fatalf("GetSecretValue of %s succeeded; the case needs a refusal", secret)
	}
	return normalizeRealError(err.Error())
}

// cliError is what the AWS CLI prints on stderr for the same read.
func cliError(t *testing.T, endpoint string, c aws.Credentials, secret, emptyConfig string) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the aws command is not installed; under CI=true the AWS CLI's real error text must be checked")
		}
		t.Logf("skipping the AWS CLI: %v", err)
		return "", false
	}
	cmd := exec.Command(bin, "secretsmanager", "get-secret-value", "--secret-id", secret, "--region", "us-east-1")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + c.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey, "AWS_SESSION_TOKEN=" + c.SessionToken,
		"AWS_CONFIG_FILE=" + emptyConfig, "AWS_SHARED_CREDENTIALS_FILE=" + emptyConfig, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("aws: want a failure, got %v; stdout %q", err, stdout.String())
	}
	if stdout.Len() != 0 {
		t.Fatalf("aws printed a result on stdout: the read was not refused")
	}
	return normalizeRealError(stderr.String()), true
}

// boto3Error is the last line of the traceback a Python workload logs when boto3 is refused: the
// ClientError with its message (the frames above it name this machine's paths, so they are left
// out).
func boto3Error(t *testing.T, endpoint string, c aws.Credentials, secret, emptyConfig string) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(bin, "-c", "import boto3").Run()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with boto3 is not installed; under CI=true botocore's real error text must be checked: %v", err)
		}
		t.Logf("skipping boto3: %v", err)
		return "", false
	}
	script := "import boto3\nboto3.client('secretsmanager', region_name='us-east-1').get_secret_value(SecretId='" + secret + "')\n"
	cmd := exec.Command(bin, "-c", script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + c.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey, "AWS_SESSION_TOKEN=" + c.SessionToken,
		"AWS_CONFIG_FILE=" + emptyConfig, "AWS_SHARED_CREDENTIALS_FILE=" + emptyConfig, "AWS_EC2_METADATA_DISABLED=true"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("boto3 read %s: the read was not refused", secret)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "botocore.exceptions.ClientError: ") {
		t.Fatalf("boto3's traceback does not end in a ClientError:\n%s", stderr.String())
	}
	return last + "\n", true
}

func writeRealCorpus(t *testing.T, path, client string, rc realCase, text string, want xsdoctor.ErrorText) {
	t.Helper()
	w := map[string]string{"principal": want.Principal, "action": want.Action, "resource": want.Resource, "secret": want.Resource,
		"policy_type": string(want.PolicyType), "deny": want.Deny, "format": want.Format}
	if want.Resource != "" {
		w["region"], w["account"] = "us-east-1", "111111111111"
	}
	for k, v := range w {
		if v == "" {
			delete(w, k)
		}
	}
	wantJSON, _ := json.MarshalIndent(w, "", "  ")
	a := &txtar.Archive{
		Comment: []byte("What " + client + " really prints when the emulator refuses GetSecretValue (" + rc.scenario + "), captured by\ncmd/xsdoctor TestRealClientErrors; the request id is zeroed. Do not edit: run it with -update.\n"),
		Files:   []txtar.File{{Name: "input", Data: []byte(text)}, {Name: "want", Data: append(wantJSON, '\n')}},
	}
	if !strings.HasSuffix(text, "\n") {
		// txtar ends every file with a newline; the comment says to drop it again.
		a.Files[0].Data = append(a.Files[0].Data, '\n')
		a.Comment = append(a.Comment, "The input has no trailing newline.\n"...)
	}
	if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readRealCorpus returns the stored input, without the newline txtar adds to a text that has none.
func readRealCorpus(t *testing.T, path string) string {
	t.Helper()
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/xsdoctor -run TestRealClientErrors -update writes it)", err)
	}
	for _, f := range a.Files {
		if f.Name == "input" {
			if bytes.Contains(a.Comment, []byte("no trailing newline.")) {
				return strings.TrimSuffix(string(f.Data), "\n")
			}
			return string(f.Data)
		}
	}
	t.Fatalf("%s: no input section", path)
	return ""
}
