package awsemu

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The AWS CLI test: a client written by AWS (the AWS CLI v1, botocore) against the real
// `xsdoctor emulate` binary, as an assumed role in each account, for every call the emulator
// answers. botocore parses each protocol strictly by the service model and follows pagination
// markers by itself, so a wrong envelope, member name, timestamp or marker fails here even when
// the Go SDK would let it pass.

// awsCLIPath finds the AWS CLI. Under CI=true a missing CLI fails the test; elsewhere it skips,
// saying so.
func awsCLIPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("aws")
	if err != nil {
		const shim = "/root/.pyenv/shims/aws" // where this machine image installs it
		if _, serr := os.Stat(shim); serr == nil {
			p, err = shim, nil
		}
	}
	if err == nil {
		// A pyenv shim costs a bash start-up per call; run the interpreter's own script.
		if filepath.Base(filepath.Dir(p)) == "shims" {
			out, werr := exec.Command(filepath.Join(filepath.Dir(p), "..", "libexec", "pyenv"), "which", "aws").Output()
			if real := string(bytes.TrimSpace(out)); werr == nil && real != "" {
				return real
			}
		}
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("the AWS CLI (aws) is not installed, and CI=true requires the AWS CLI test to run")
	}
	t.Skip("SKIPPED: the AWS CLI (aws) is not installed; the AWS CLI test did not run (it is required under CI=true)")
	return ""
}

// buildXsdoctor builds cmd/xsdoctor into a temporary directory.
func buildXsdoctor(t *testing.T) string {
	t.Helper()
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(root)) == 0 {
		t.Fatalf("go env GOMOD: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "xsdoctor")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/xsdoctor")
	cmd.Dir = filepath.Dir(string(bytes.TrimSpace(root)))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/xsdoctor: %v\n%s", err, out)
	}
	return bin
}

var urlRe = regexp.MustCompile(`^http://[0-9.]+:[0-9]+$`)

// startEmulate runs `xsdoctor emulate --scenario path --listen 127.0.0.1:0` and returns the
// endpoint URL it prints on its first line. Cleanup interrupts it, as Ctrl-C would, and
// requires a clean exit.
func startEmulate(t *testing.T, bin, path string) string {
	t.Helper()
	cmd := exec.Command(bin, "emulate", "--scenario", path, "--listen", "127.0.0.1:0")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := bufio.NewScanner(stdout)
	first := make(chan string, 1)
	go func() {
		if lines.Scan() {
			first <- lines.Text()
		}
		close(first)
		for lines.Scan() {
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("xsdoctor emulate did not exit cleanly on interrupt: %v\n%s", err, stderr.String())
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Errorf("xsdoctor emulate did not stop within 15s of an interrupt")
		}
	})
	select {
	case line, ok := <-first:
		if !ok {
			t.Fatalf("xsdoctor emulate printed nothing; stderr:\n%s", stderr.String())
		}
		// SPEC §2: the endpoint URL is the first line, alone, so scripts can read it.
		if !urlRe.MatchString(line) || !strings.HasPrefix(line, "http://127.0.0.1:") {
			t.Fatalf("the first line of xsdoctor emulate is %q, want the loopback endpoint URL alone", line)
		}
		return line
	case <-time.After(30 * time.Second):
		t.Fatalf("xsdoctor emulate printed no endpoint within 30s; stderr:\n%s", stderr.String())
	}
	return ""
}

// awsCLI runs the AWS CLI against the emulator with no configuration but the environment.
type awsCLI struct {
	t        *testing.T
	bin      string
	endpoint string
	env      []string
}

func newAWSCLI(t *testing.T, bin, endpoint string) *awsCLI {
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=2",
	)
	return &awsCLI{t: t, bin: bin, endpoint: endpoint, env: env}
}

// as returns a CLI whose calls are signed with creds (key, secret, token).
func (c *awsCLI) as(key, secret, token string) *awsCLI {
	cp := *c
	cp.env = append(append([]string(nil), c.env...), "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret)
	if token != "" {
		cp.env = append(cp.env, "AWS_SESSION_TOKEN="+token)
	}
	return &cp
}

// run runs `aws <args> --endpoint-url … --output json` and returns the decoded JSON, or the
// error text when the CLI fails.
func (c *awsCLI) run(args ...string) (map[string]any, string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(args, "--endpoint-url", c.endpoint, "--output", "json")...)
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Sprintf("%v: %s", err, stderr.String())
	}
	var out map[string]any
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			c.t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout.String())
		}
	}
	return out, ""
}

// ok runs a call that must succeed.
func (c *awsCLI) ok(args ...string) jsonValue {
	c.t.Helper()
	out, errText := c.run(args...)
	if errText != "" {
		c.t.Fatalf("aws %s: %s", strings.Join(args, " "), errText)
	}
	return jsonValue{out}
}

// fails runs a call that must fail with code.
func (c *awsCLI) fails(code string, args ...string) {
	c.t.Helper()
	_, errText := c.run(args...)
	if !strings.Contains(errText, "("+code+")") {
		c.t.Errorf("aws %s: want (%s), got %q", strings.Join(args, " "), code, errText)
	}
}

// jsonValue walks decoded JSON by path ("Role.Tags.0.Key").
type jsonValue struct{ v any }

func (j jsonValue) get(path string) any {
	v := j.v
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func (j jsonValue) str(path string) string { s, _ := j.get(path).(string); return s }
func (j jsonValue) len(path string) int    { l, _ := j.get(path).([]any); return len(l) }

func TestAWSCLIAgainstXsdoctorEmulate(t *testing.T) {
	awsBin := awsCLIPath(t)
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("SKIPPED in -short mode: the AWS CLI test starts ~50 AWS CLI processes")
	}
	bin := buildXsdoctor(t)
	endpoint := startEmulate(t, bin, writeScenario(t, wireScenario))
	base := newAWSCLI(t, awsBin, endpoint)
	operator := base.as("AKIAOPERATOREXAMPLE1", "operator-secret-key", "")

	who := operator.ok("sts", "get-caller-identity")
	if who.str("Arn") != DefaultOperator || who.str("Account") != "999999999999" {
		t.Fatalf("operator identity: %v", who.v)
	}
	operator.fails("AccessDenied", "sts", "assume-role", "--role-arn", "arn:aws:iam::111111111111:role/locked", "--role-session-name", "cli")
	operator.fails("AccessDenied", "sts", "assume-role", "--role-arn", inspectorARN, "--role-session-name", "cli")

	// assume assumes a role with the CLI and returns a CLI signing as that session.
	assume := func(t *testing.T, roleARN string, extra ...string) *awsCLI {
		op := *operator
		op.t = t
		out := op.ok(append([]string{"sts", "assume-role", "--role-arn", roleARN, "--role-session-name", "cli"}, extra...)...)
		key := out.str("Credentials.AccessKeyId")
		if !strings.HasPrefix(key, "ASIA") || out.str("Credentials.Expiration") == "" {
			t.Fatalf("assume-role %s: credentials %q expiring %q", roleARN, key[:min(4, len(key))], out.str("Credentials.Expiration"))
		}
		cli := base.as(key, out.str("Credentials.SecretAccessKey"), out.str("Credentials.SessionToken"))
		cli.t = t
		return cli
	}
	// The three accounts run side by side (parallel subtests) to keep the test short.
	t.Run("owner account 111111111111 as ops/inspector", func(t *testing.T) {
		t.Parallel()
		c := assume(t, inspectorARN, "--external-id", "ext-1234")
		if got := c.ok("sts", "get-caller-identity"); got.str("Arn") != "arn:aws:sts::111111111111:assumed-role/inspector/cli" || got.str("Account") != ownerAcct {
			t.Errorf("get-caller-identity: %v", got.v)
		}
		ds := c.ok("secretsmanager", "describe-secret", "--secret-id", "shared")
		if ds.str("ARN") != sharedARN || ds.str("KmsKeyId") != "alias/shared-a" || ds.get("VersionIdsToStages."+VersionID(sharedARN)+".0") != "AWSCURRENT" {
			t.Errorf("describe-secret: %v", ds.v)
		}
		if _, ok := ds.get("CreatedDate").(float64); !ok {
			t.Errorf("CreatedDate is not an epoch number: %v", ds.get("CreatedDate"))
		}
		if rp := c.ok("secretsmanager", "get-resource-policy", "--secret-id", sharedARN); !strings.Contains(rp.str("ResourcePolicy"), "arn:aws:iam::222222222222:root") {
			t.Errorf("get-resource-policy: %v", rp.v)
		}
		c.fails("InvalidRequestException", "secretsmanager", "get-resource-policy", "--secret-id", "gone")
		if v := c.ok("secretsmanager", "list-secret-version-ids", "--secret-id", sharedARN); v.len("Versions") != 1 {
			t.Errorf("list-secret-version-ids: %v", v.v)
		}
		if k := c.ok("kms", "describe-key", "--key-id", "alias/shared-b"); k.str("KeyMetadata.Arn") != cmkARN || k.str("KeyMetadata.KeyManager") != "CUSTOMER" {
			t.Errorf("describe-key: %v", k.v)
		}
		if k := c.ok("kms", "describe-key", "--key-id", "alias/aws/secretsmanager"); k.str("KeyMetadata.KeyManager") != "AWS" {
			t.Errorf("describe-key aws/secretsmanager: %v", k.v)
		}
		if p := c.ok("kms", "get-key-policy", "--key-id", cmkID, "--policy-name", "default"); !strings.Contains(p.str("Policy"), `"Sid": "Consumer"`) {
			t.Errorf("get-key-policy: %v", p.v)
		}
		if g := c.ok("kms", "list-grants", "--key-id", cmkARN); g.len("Grants") != 3 {
			t.Errorf("list-grants followed NextMarker to %d grants, want 3", g.len("Grants"))
		}
		if a := c.ok("kms", "list-aliases"); a.len("Aliases") != 18 {
			t.Errorf("list-aliases followed NextMarker to %d aliases, want 18", a.len("Aliases"))
		}
		if o := c.ok("organizations", "describe-organization"); o.str("Organization.Id") != "o-aaaaaaaaaa" {
			t.Errorf("describe-organization: %v", o.v)
		}
		r := c.ok("iam", "get-role", "--role-name", "inspector")
		// botocore URL-decodes IAM documents into JSON objects; a document it cannot decode
		// stays a string.
		if r.str("Role.Path") != "/ops/" || r.get("Role.AssumeRolePolicyDocument.Statement.0.Condition.StringEquals.sts:ExternalId") != "ext-1234" ||
			r.str("Role.PermissionsBoundary.PermissionsBoundaryArn") != "arn:aws:iam::111111111111:policy/boundary" || r.len("Role.Tags") != 2 {
			t.Errorf("get-role: %v", r.v)
		}
		if p := c.ok("iam", "list-role-policies", "--role-name", "inspector"); p.len("PolicyNames") != 3 {
			t.Errorf("list-role-policies followed Marker to %d names, want 3", p.len("PolicyNames"))
		}
		if p := c.ok("iam", "get-role-policy", "--role-name", "inspector", "--policy-name", "c-iam"); p.get("PolicyDocument.Statement.0.Action") != "iam:Get*" {
			t.Errorf("get-role-policy: %v", p.v)
		}
		if p := c.ok("iam", "list-attached-role-policies", "--role-name", "inspector"); p.len("AttachedPolicies") != 3 {
			t.Errorf("list-attached-role-policies followed Marker to %d, want 3", p.len("AttachedPolicies"))
		}
		if p := c.ok("iam", "get-policy", "--policy-arn", "arn:aws:iam::111111111111:policy/team/read-keys"); p.str("Policy.DefaultVersionId") != "v1" || p.str("Policy.Path") != "/team/" {
			t.Errorf("get-policy: %v", p.v)
		}
		if p := c.ok("iam", "get-policy-version", "--policy-arn", "arn:aws:iam::111111111111:policy/team/read-keys", "--version-id", "v1"); p.get("PolicyVersion.Document.Statement.0.Sid") != "Keys" {
			t.Errorf("get-policy-version: %v", p.v)
		}
		sim := c.ok("iam", "simulate-principal-policy", "--policy-source-arn", inspectorARN,
			"--action-names", "kms:GetKeyPolicy", "s3:GetObject", "secretsmanager:DescribeSecret", "--resource-arns", sharedARN)
		if sim.len("EvaluationResults") != 3 || sim.str("EvaluationResults.0.EvalDecision") != "allowed" ||
			sim.str("EvaluationResults.1.EvalDecision") != "implicitDeny" || sim.get("EvaluationResults.1.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary") != false {
			t.Errorf("simulate-principal-policy: %v", sim.v)
		}
	})

	t.Run("consumer account 222222222222 as app", func(t *testing.T) {
		t.Parallel()
		c := assume(t, appARN)
		if got := c.ok("sts", "get-caller-identity"); got.str("Arn") != "arn:aws:sts::222222222222:assumed-role/app/cli" {
			t.Errorf("get-caller-identity: %v", got.v)
		}
		if v := c.ok("secretsmanager", "get-secret-value", "--secret-id", sharedARN); v.str("SecretString") != "canary-shared" || v.str("VersionId") != VersionID(sharedARN) {
			t.Errorf("get-secret-value as the consumer whose doors are open: version %q", v.str("VersionId"))
		}
		c.fails("ResourceNotFoundException", "secretsmanager", "get-secret-value", "--secret-id", "shared")
		if d := c.ok("secretsmanager", "describe-secret", "--secret-id", sharedARN); d.str("Name") != "shared" {
			t.Errorf("describe-secret: %v", d.v)
		}
		if rp := c.ok("secretsmanager", "get-resource-policy", "--secret-id", sharedARN); rp.str("ResourcePolicy") == "" {
			t.Errorf("get-resource-policy: %v", rp.v)
		}
		if v := c.ok("secretsmanager", "list-secret-version-ids", "--secret-id", sharedARN); v.str("Versions.0.VersionStages.0") != "AWSCURRENT" {
			t.Errorf("list-secret-version-ids: %v", v.v)
		}
		if k := c.ok("kms", "describe-key", "--key-id", cmkARN); k.str("KeyMetadata.AWSAccountId") != ownerAcct {
			t.Errorf("describe-key across accounts: %v", k.v)
		}
		c.fails("NotFoundException", "kms", "describe-key", "--key-id", "alias/aws/secretsmanager")
		c.fails("AccessDeniedException", "kms", "get-key-policy", "--key-id", cmkARN, "--policy-name", "default")
		if g := c.ok("kms", "list-grants", "--key-id", cmkARN); g.len("Grants") != 3 {
			t.Errorf("list-grants across accounts: %d grants", g.len("Grants"))
		}
		if a := c.ok("kms", "list-aliases"); a.len("Aliases") != 14 {
			t.Errorf("list-aliases in an account without keys: %d, want the 14 predefined", a.len("Aliases"))
		}
		if o := c.ok("organizations", "describe-organization"); o.str("Organization.Id") != "o-bbbbbbbbbb" {
			t.Errorf("describe-organization: %v", o.v)
		}
		if r := c.ok("iam", "get-role", "--role-name", "app"); r.str("Role.Arn") != appARN {
			t.Errorf("get-role: %v", r.v)
		}
		if p := c.ok("iam", "list-role-policies", "--role-name", "app"); p.len("PolicyNames") != 1 {
			t.Errorf("list-role-policies: %v", p.v)
		}
		if p := c.ok("iam", "get-role-policy", "--role-name", "app", "--policy-name", "read"); p.get("PolicyDocument.Statement.1.Action") != "kms:Decrypt" {
			t.Errorf("get-role-policy: %v", p.v)
		}
		if p := c.ok("iam", "list-attached-role-policies", "--role-name", "app"); p.len("AttachedPolicies") != 0 {
			t.Errorf("list-attached-role-policies: %v", p.v)
		}
		if p := c.ok("iam", "get-policy", "--policy-arn", "arn:aws:iam::aws:policy/SecretsReadOnly"); p.str("Policy.Arn") != "arn:aws:iam::aws:policy/SecretsReadOnly" {
			t.Errorf("get-policy (AWS managed): %v", p.v)
		}
		if p := c.ok("iam", "get-policy-version", "--policy-arn", "arn:aws:iam::aws:policy/SecretsReadOnly", "--version-id", "v1"); p.get("PolicyVersion.Document.Statement.0.Action") != "secretsmanager:Describe*" {
			t.Errorf("get-policy-version: %v", p.v)
		}
		c.fails("AccessDenied", "iam", "get-policy", "--policy-arn", "arn:aws:iam::111111111111:policy/boundary")
		sim := c.ok("iam", "simulate-principal-policy", "--policy-source-arn", appARN,
			"--action-names", "secretsmanager:GetSecretValue", "--resource-arns", sharedARN)
		if sim.str("EvaluationResults.0.EvalDecision") != "allowed" || sim.str("EvaluationResults.0.ResourceSpecificResults.0.EvalResourceName") != sharedARN {
			t.Errorf("simulate-principal-policy: %v", sim.v)
		}
	})

	t.Run("third account 333333333333 as solo", func(t *testing.T) {
		t.Parallel()
		c := assume(t, soloARN)
		if got := c.ok("sts", "get-caller-identity"); got.str("Account") != soloAcct {
			t.Errorf("get-caller-identity: %v", got.v)
		}
		c.fails("AccessDeniedException", "secretsmanager", "get-secret-value", "--secret-id", sharedARN)
		if d := c.ok("secretsmanager", "describe-secret", "--secret-id", sharedARN); d.str("ARN") != sharedARN {
			t.Errorf("describe-secret: %v", d.v)
		}
		c.fails("AWSOrganizationsNotInUseException", "organizations", "describe-organization")
		c.fails("NoSuchEntity", "iam", "get-role", "--role-name", "app")
		if r := c.ok("iam", "get-role", "--role-name", "solo"); r.get("Role.AssumeRolePolicyDocument.Statement.0.Principal.AWS") != "arn:aws:iam::999999999999:root" {
			t.Errorf("get-role: %v", r.v)
		}
		if p := c.ok("iam", "list-role-policies", "--role-name", "solo"); p.len("PolicyNames") != 0 {
			t.Errorf("list-role-policies: %v", p.v)
		}
		c.fails("NoSuchEntity", "iam", "get-role-policy", "--role-name", "solo", "--policy-name", "none")
		if g := c.ok("kms", "list-grants", "--key-id", cmkARN, "--grantee-principal", "arn:aws:iam::333333333333:root"); g.len("Grants") != 1 {
			t.Errorf("list-grants filtered: %v", g.v)
		}
		if k := c.ok("kms", "describe-key", "--key-id", "arn:aws:kms:us-east-1:111111111111:alias/old"); k.str("KeyMetadata.KeyState") != "Disabled" || k.get("KeyMetadata.Enabled") != false {
			t.Errorf("describe-key disabled: %v", k.v)
		}
		if rp := c.ok("secretsmanager", "get-resource-policy", "--secret-id", "arn:aws:secretsmanager:us-east-1:111111111111:secret:plain"); rp.get("ResourcePolicy") != nil || rp.str("Name") != "plain" {
			t.Errorf("get-resource-policy of a secret without one: %v", rp.v)
		}
		if v := c.ok("secretsmanager", "list-secret-version-ids", "--secret-id", sharedARN); v.len("Versions") != 1 {
			t.Errorf("list-secret-version-ids: %v", v.v)
		}
		c.fails("AccessDeniedException", "kms", "get-key-policy", "--key-id", cmkARN, "--policy-name", "default")
		if a := c.ok("kms", "list-aliases"); a.len("Aliases") != 14 {
			t.Errorf("list-aliases: %d", a.len("Aliases"))
		}
		if p := c.ok("iam", "list-attached-role-policies", "--role-name", "solo"); p.len("AttachedPolicies") != 0 {
			t.Errorf("list-attached-role-policies: %v", p.v)
		}
		c.fails("NoSuchEntity", "iam", "get-policy", "--policy-arn", "arn:aws:iam::333333333333:policy/none")
		if p := c.ok("iam", "get-policy-version", "--policy-arn", "arn:aws:iam::aws:policy/SecretsReadOnly", "--version-id", "v1"); p.str("PolicyVersion.VersionId") != "v1" {
			t.Errorf("get-policy-version: %v", p.v)
		}
		sim := c.ok("iam", "simulate-principal-policy", "--policy-source-arn", soloARN, "--action-names", "kms:Decrypt")
		if sim.str("EvaluationResults.0.EvalDecision") != "implicitDeny" || sim.get("EvaluationResults.0.OrganizationsDecisionDetail") != nil {
			t.Errorf("simulate-principal-policy in an account outside any organization: %v", sim.v)
		}
	})
}
