package interop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/interop"
)

// The accounts of the interop setup. moto creates an account's backends on first use, so these
// exist as soon as a role in them is assumed.
const (
	ownerAccount    = "111111111111"
	consumerAccount = "222222222222"

	ownerInspector    = "arn:aws:iam::" + ownerAccount + ":role/xsdoctor-inspector"
	consumerInspector = "arn:aws:iam::" + consumerAccount + ":role/xsdoctor-inspector"
	// The role the workload runs as: with a path, because the secret policy must name the role
	// ARN with its path while the assumed-role session ARN drops it (IAM identifiers: "IAM ARNs").
	consumerRole    = "arn:aws:iam::" + consumerAccount + ":role/apps/payments-api"
	consumerSession = "arn:aws:sts::" + consumerAccount + ":assumed-role/payments-api/ecs-task-7f3a"

	// Values written into the secrets, to prove no output ever carries them.
	paymentsValue = "interop-canary-payments-3b9d1c"
	legacyValue   = "interop-canary-legacy-8e2f40"
	stripeValue   = "interop-canary-stripe-51ac07"
)

// TestMotoInterop seeds two accounts in moto with the AWS CLI — the owner's customer managed key,
// two secrets encrypted with it (one naming it by ARN, one by alias) and shared through their
// resource policies, a third secret created without a key; the consumer's role under /apps/
// with an inline and a managed policy — then runs the built xsdoctor binary against moto
// through AWS_ENDPOINT_URL, exactly as a user would.
//
// moto reads every resource in the caller's own account and has no SimulatePrincipalPolicy
// (wire.md, "What moto does"), so this passes only if xsdoctor reads each side with that side's
// inspector credentials and falls back to local evaluation with SIMULATION_UNAVAILABLE.
func TestMotoInterop(t *testing.T) {
	motoServer := interop.RequireTool(t, "moto_server", "XSDOCTOR_MOTO_SERVER",
		"install moto 5.x with its server extra (pip install 'moto[server]')")
	awsBin := interop.RequireTool(t, "aws", "XSDOCTOR_AWS_CLI", "install the AWS CLI (pip install awscli)")

	dir := t.TempDir()
	// Build while moto starts and the AWS CLI seeds it: both take seconds. The cleanup waits for
	// the build, so a failed seed never removes dir under a running go build.
	var (
		bin      string
		buildErr error
		building sync.WaitGroup
	)
	building.Go(func() { bin, buildErr = interop.BuildXsdoctor(dir) })
	t.Cleanup(building.Wait)
	base := interop.CleanEnv(dir, "")
	moto := interop.StartMoto(t, motoServer, base)
	env := base.With("AWS_ENDPOINT_URL", moto.Endpoint)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("moto_server log (last 4000 bytes):\n%s", tail(moto.Log(), 4000))
		}
	})

	cli := &awsCLI{t: t, bin: awsBin, env: env, endpoint: moto.Endpoint}
	start := time.Now()
	w := seed(t, cli)
	t.Logf("seeded moto in %v", time.Since(start).Round(time.Millisecond))
	building.Wait()
	if buildErr != nil {
		t.Fatal(buildErr)
	}

	t.Run("secret encrypted with the shared customer managed key opens all three doors", func(t *testing.T) {
		for _, consumer := range []string{consumerSession, consumerRole} {
			t.Run(consumerKind(consumer), func(t *testing.T) {
				d, res := check(t, bin, env, w.paymentsARN, consumer)
				wantDiagnosis(t, d, res, 0, xsdoctor.StateOpen, allOpen)
				wantKey(t, d, w.cmkARN, "CUSTOMER", "Enabled")
				commonChecks(t, d, res, consumer)
			})
		}
	})

	t.Run("secret naming its key by alias resolves the alias and opens all three doors", func(t *testing.T) {
		d, res := check(t, bin, env, w.stripeARN, consumerRole)
		wantDiagnosis(t, d, res, 0, xsdoctor.StateOpen, allOpen)
		// The consumer's policy names the key ARN; kms:Decrypt is authorized against the key
		// ARN, never the alias, so the alias must be resolved for consumer-iam to open.
		wantKey(t, d, w.cmkARN, "CUSTOMER", "Enabled")
		commonChecks(t, d, res, consumerRole)
	})

	t.Run("secret created without a key is welded shut by the AWS managed key", func(t *testing.T) {
		d, res := check(t, bin, env, w.legacyARN, consumerRole)
		// Only the key door is wrong: the secret policy names the role and the managed policy
		// allows the secret and the very key ARN ListAliases reports for aws/secretsmanager.
		wantDiagnosis(t, d, res, 1, xsdoctor.StateClosed, map[xsdoctor.DoorID]xsdoctor.State{
			xsdoctor.DoorKeyPolicy:    xsdoctor.StateClosed,
			xsdoctor.DoorSecretPolicy: xsdoctor.StateOpen,
			xsdoctor.DoorConsumerIAM:  xsdoctor.StateOpen,
		})
		if !slices.Contains(doorCodes(d, xsdoctor.DoorKeyPolicy), xsdoctor.KeyAWSManaged) {
			t.Errorf("key-policy door findings %v, want %s", doorCodes(d, xsdoctor.DoorKeyPolicy), xsdoctor.KeyAWSManaged)
		}
		// moto's ListAliases lists aws/secretsmanager with a placeholder TargetKeyId that no
		// DescribeKey can find; the report must still name that key, resolved through
		// ListAliases, and know it is AWS managed from the reserved alias/aws/ name.
		if d.Secret.KMSKey == nil || d.Secret.KMSKey.ARN != w.awsManagedKeyARN {
			t.Errorf("secret.kms_key = %+v, want arn %s (ListAliases target of alias/aws/secretsmanager)",
				d.Secret.KMSKey, w.awsManagedKeyARN)
		}
		// The evidence names the response it rests on; moto's DescribeKey of the placeholder key
		// fails (NotFoundException), so the manager comes from the reserved alias name, not from
		// a DescribeKey answer.
		for _, f := range d.Doors[0].Findings {
			for _, ev := range f.Evidence {
				if strings.HasPrefix(ev.Source, "kms:DescribeKey") && !callSucceeded(d, "kms", "DescribeKey") {
					t.Errorf("%s evidence cites %q (%s), but every kms:DescribeKey call failed", f.Code, ev.Source, ev.Note)
				}
			}
		}
		if !hasCall(d, "kms", "ListAliases") {
			t.Errorf("no kms:ListAliases call: a secret without KmsKeyId must be resolved through ListAliases; calls %v", callNames(d))
		}
		commonChecks(t, d, res, consumerRole)

		// DescribeKey("alias/aws/secretsmanager") makes AWS create the key, and moto re-points
		// the alias when it does: if the target is unchanged, xsdoctor never made that call.
		if got := w.owner.awsManagedKeyARN(); got != w.awsManagedKeyARN {
			t.Errorf("alias/aws/secretsmanager now targets %s (was %s): xsdoctor called DescribeKey on the alias, which creates the AWS managed key",
				got, w.awsManagedKeyARN)
		}
	})

	t.Run("text and markdown reports render the AWS managed key finding", func(t *testing.T) {
		textReports(t, bin, env, w)
	})
}

// textReports runs the legacy-secret check again with -o text and -o markdown: the human formats
// must render the same moto facts, with the finding and never the secret value.
func textReports(t *testing.T, bin string, env interop.Env, w world) {
	for _, format := range []string{"text", "markdown"} {
		t.Run(format, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			res, err := interop.Run(ctx, env, bin, "check", w.legacyARN, "--consumer", consumerRole,
				"--owner-role", ownerInspector, "--consumer-role", consumerInspector, "-o", format)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != 1 {
				t.Errorf("exit code %d, want 1\n%s", res.ExitCode, res)
			}
			for _, want := range []string{string(xsdoctor.KeyAWSManaged), w.legacyARN, "key-policy"} {
				if !strings.Contains(res.Stdout, want) {
					t.Errorf("-o %s report lacks %q\n%s", format, want, res)
				}
			}
			if strings.Contains(res.Stdout+res.Stderr, legacyValue) {
				t.Errorf("-o %s output contains the secret value", format)
			}
		})
	}
}

// world is what seeding created.
type world struct {
	cmkARN           string  // the owner's customer managed key
	awsManagedKeyARN string  // what ListAliases says alias/aws/secretsmanager points at
	paymentsARN      string  // encrypted with cmkARN, shared with the consumer role
	stripeARN        string  // the same, but its KmsKeyId is the alias name alias/payments-secrets
	legacyARN        string  // created without KmsKeyId
	owner            *awsCLI // an administrator of the owner account
}

func seed(t *testing.T, cli *awsCLI) world {
	t.Helper()
	var w world
	owner := cli.as("arn:aws:iam::" + ownerAccount + ":role/OrganizationAccountAccessRole")
	consumer := cli.as("arn:aws:iam::" + consumerAccount + ":role/OrganizationAccountAccessRole")
	w.owner = owner
	for _, admin := range []*awsCLI{owner, consumer} {
		admin.run("iam", "create-role", "--role-name", "xsdoctor-inspector",
			"--assume-role-policy-document", testdata(t, "inspector-trust.json"))
		admin.run("iam", "put-role-policy", "--role-name", "xsdoctor-inspector",
			"--policy-name", "xsdoctor-readonly", "--policy-document", testdata(t, "inspector-readonly.json"))
	}

	key := owner.run("kms", "create-key", "--description", "cross-account secrets",
		"--policy", testdata(t, "key-policy.json"))
	w.cmkARN = str(t, key, "KeyMetadata", "Arn")
	owner.run("kms", "create-alias", "--alias-name", "alias/payments-secrets", "--target-key-id", w.cmkARN)
	payments := owner.run("secretsmanager", "create-secret", "--name", "prod/payments/postgres",
		"--kms-key-id", w.cmkARN, "--secret-string", paymentsValue)
	w.paymentsARN = str(t, payments, "ARN")
	// Terraform's kms_key_id = aws_kms_alias.x.name: DescribeSecret echoes the alias name.
	stripe := owner.run("secretsmanager", "create-secret", "--name", "prod/payments/stripe-api-key",
		"--kms-key-id", "alias/payments-secrets", "--secret-string", stripeValue)
	w.stripeARN = str(t, stripe, "ARN")
	legacy := owner.run("secretsmanager", "create-secret", "--name", "prod/legacy/postgres",
		"--secret-string", legacyValue)
	w.legacyARN = str(t, legacy, "ARN")
	for _, arn := range []string{w.paymentsARN, w.stripeARN, w.legacyARN} {
		owner.run("secretsmanager", "put-resource-policy", "--secret-id", arn,
			"--resource-policy", testdata(t, "secret-policy.json"))
	}
	w.awsManagedKeyARN = owner.awsManagedKeyARN()

	fill := strings.NewReplacer(
		"${PAYMENTS_SECRET_ARN}", w.paymentsARN, "${STRIPE_SECRET_ARN}", w.stripeARN, "${CMK_ARN}", w.cmkARN,
		"${LEGACY_SECRET_ARN}", w.legacyARN, "${AWS_MANAGED_KEY_ARN}", w.awsManagedKeyARN)
	consumer.run("iam", "create-role", "--role-name", "payments-api", "--path", "/apps/",
		"--assume-role-policy-document", testdata(t, "consumer-trust.json"))
	// One inline policy (GetRolePolicy: URL-encoded document) for the payments secrets and one
	// managed policy (GetPolicyVersion: raw JSON in moto, URL-encoded on AWS) for the legacy
	// secret, so each check depends on exactly one of the two decoding paths.
	consumer.run("iam", "put-role-policy", "--role-name", "payments-api", "--policy-name", "read-payments-secret",
		"--policy-document", fill.Replace(testdata(t, "consumer-inline.json.tmpl")))
	policy := consumer.run("iam", "create-policy", "--policy-name", "read-legacy-secret", "--path", "/apps/",
		"--policy-document", fill.Replace(testdata(t, "consumer-managed.json.tmpl")))
	consumer.run("iam", "attach-role-policy", "--role-name", "payments-api",
		"--policy-arn", str(t, policy, "Policy", "Arn"))
	t.Logf("seeded moto: key %s, secrets %s, %s and %s, AWS managed key %s",
		w.cmkARN, w.paymentsARN, w.stripeARN, w.legacyARN, w.awsManagedKeyARN)
	return w
}

// check runs `xsdoctor check SECRET --consumer P --owner-role … --consumer-role … -o json --debug`.
func check(t *testing.T, bin string, env interop.Env, secretARN, consumer string) (xsdoctor.Diagnosis, interop.Result) {
	t.Helper()
	d, res := interop.CheckJSON(t, 3*time.Minute, env, bin, secretARN, "--consumer", consumer,
		"--owner-role", ownerInspector, "--consumer-role", consumerInspector)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s", res)
		}
	})
	t.Logf("exit %d in %v, verdict %s, findings %v", res.ExitCode, res.Wall.Round(time.Millisecond), d.Verdict, allCodes(d))
	return d, res
}

// commonChecks holds for every run against moto.
func commonChecks(t *testing.T, d xsdoctor.Diagnosis, res interop.Result, consumer string) {
	t.Helper()
	if d.SchemaVersion != xsdoctor.SchemaVersion {
		t.Errorf("schema_version %q, want %q", d.SchemaVersion, xsdoctor.SchemaVersion)
	}
	if d.Consumer.Principal != consumer {
		t.Errorf("consumer.principal %q, want %q", d.Consumer.Principal, consumer)
	}
	// A session ARN drops the path; GetRole must bring it back (the secret policy names it).
	if d.Consumer.RoleARN != consumerRole {
		t.Errorf("consumer.role_arn %q, want %q (resolved through GetRole, with its path)", d.Consumer.RoleARN, consumerRole)
	}
	if d.Consumer.Account != consumerAccount || d.Secret.Account != ownerAccount {
		t.Errorf("accounts: consumer %q secret %q, want %s and %s", d.Consumer.Account, d.Secret.Account, consumerAccount, ownerAccount)
	}
	if !slices.Contains(allCodes(d), xsdoctor.SimulationUnavailable) {
		t.Errorf("findings %v lack %s: moto has no SimulatePrincipalPolicy", allCodes(d), xsdoctor.SimulationUnavailable)
	}
	// moto answers owner-side reads only to owner credentials and consumer-side reads only to
	// consumer credentials; the calls list must show each side read from its own account.
	for _, c := range d.Calls {
		want := ""
		switch c.Service {
		case "secretsmanager", "kms":
			want = ownerAccount
		case "iam":
			want = consumerAccount
		}
		if want != "" && c.Account != want {
			t.Errorf("call %s:%s made in account %q, want %s", c.Service, c.Operation, c.Account, want)
		}
	}
	for _, op := range []string{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy",
		"iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"} {
		service, operation, _ := strings.Cut(op, ":")
		if !hasCall(d, service, operation) {
			t.Errorf("no %s call in the report's calls: %v", op, callNames(d))
		}
	}
	if !strings.Contains(res.Stderr, "secretsmanager:DescribeSecret") {
		t.Errorf("--debug did not log secretsmanager:DescribeSecret to stderr")
	}
	out := res.Stdout + res.Stderr
	for _, leak := range []string{paymentsValue, stripeValue, legacyValue, interop.BaseSecretAccessKey} {
		if strings.Contains(out, leak) {
			t.Errorf("output contains a secret value or credential (%q)", leak[:12]+"…")
		}
	}
	if m := sessionKey.FindString(out); m != "" {
		t.Errorf("output contains an access key id %s…", m[:8])
	}
}

var sessionKey = regexp.MustCompile(`\b(ASIA|AKIA)[A-Z0-9]{16}\b`)

var allOpen = map[xsdoctor.DoorID]xsdoctor.State{
	xsdoctor.DoorKeyPolicy:    xsdoctor.StateOpen,
	xsdoctor.DoorSecretPolicy: xsdoctor.StateOpen,
	xsdoctor.DoorConsumerIAM:  xsdoctor.StateOpen,
}

// wantDiagnosis checks the exit code, the verdict and each door, in SPEC §3's order.
func wantDiagnosis(t *testing.T, d xsdoctor.Diagnosis, res interop.Result, exit int, verdict xsdoctor.State, want map[xsdoctor.DoorID]xsdoctor.State) {
	t.Helper()
	if res.ExitCode != exit {
		t.Errorf("exit code %d, want %d", res.ExitCode, exit)
	}
	if d.Verdict != verdict {
		t.Errorf("verdict %q, want %q", d.Verdict, verdict)
	}
	if len(d.Doors) != len(xsdoctor.Doors) {
		t.Fatalf("report has %d doors, want %d", len(d.Doors), len(xsdoctor.Doors))
	}
	for i, door := range d.Doors {
		if door.Door != xsdoctor.Doors[i] {
			t.Errorf("door %d is %q, want %q", i, door.Door, xsdoctor.Doors[i])
		}
		if w, ok := want[door.Door]; ok && door.State != w {
			t.Errorf("door %s is %s, want %s; findings %v", door.Door, door.State, w, doorCodes(d, door.Door))
		}
	}
}

func wantKey(t *testing.T, d xsdoctor.Diagnosis, arn, manager, state string) {
	t.Helper()
	want := xsdoctor.KeySummary{ARN: arn, Manager: manager, State: state}
	if d.Secret.KMSKey == nil || *d.Secret.KMSKey != want {
		t.Errorf("secret.kms_key = %+v, want %+v", d.Secret.KMSKey, want)
	}
}

func doorCodes(d xsdoctor.Diagnosis, id xsdoctor.DoorID) []xsdoctor.Code {
	var codes []xsdoctor.Code
	for _, door := range d.Doors {
		if door.Door == id {
			for _, f := range door.Findings {
				codes = append(codes, f.Code)
			}
		}
	}
	return codes
}

func allCodes(d xsdoctor.Diagnosis) []xsdoctor.Code {
	var codes []xsdoctor.Code
	for _, f := range d.Findings {
		codes = append(codes, f.Code)
	}
	for _, door := range d.Doors {
		codes = append(codes, doorCodes(d, door.Door)...)
	}
	return codes
}

func hasCall(d xsdoctor.Diagnosis, service, operation string) bool {
	return slices.ContainsFunc(d.Calls, func(c xsdoctor.Call) bool {
		return c.Service == service && c.Operation == operation
	})
}

func callSucceeded(d xsdoctor.Diagnosis, service, operation string) bool {
	return slices.ContainsFunc(d.Calls, func(c xsdoctor.Call) bool {
		return c.Service == service && c.Operation == operation && c.ErrorCode == ""
	})
}

func callNames(d xsdoctor.Diagnosis) []string {
	var names []string
	for _, c := range d.Calls {
		names = append(names, fmt.Sprintf("%s:%s@%s", c.Service, c.Operation, c.Account))
	}
	return names
}

func consumerKind(arn string) string {
	if strings.HasPrefix(arn, "arn:aws:sts:") {
		return "consumer given as the assumed-role session ARN from the error message"
	}
	return "consumer given as the role ARN with its path"
}

// awsCLI runs the AWS CLI v1 against moto with a given set of credentials.
type awsCLI struct {
	t        *testing.T
	bin      string
	env      interop.Env
	endpoint string
}

// as returns a CLI acting as role, through sts:AssumeRole with the current credentials. moto
// does not check that the role exists or trusts the caller; calls made with the returned
// credentials land in the role's account.
func (a *awsCLI) as(role string) *awsCLI {
	a.t.Helper()
	out := a.runQuiet("sts", "assume-role", "--role-arn", role, "--role-session-name", "xsdoctor-interop-seed")
	var creds struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	if err := json.Unmarshal(out, &creds); err != nil || creds.Credentials.SessionToken == "" {
		a.t.Fatalf("aws sts assume-role %s: no credentials in the answer (%v)", role, err)
	}
	c := creds.Credentials
	return &awsCLI{t: a.t, bin: a.bin, endpoint: a.endpoint, env: a.env.With(
		"AWS_ACCESS_KEY_ID", c.AccessKeyId, "AWS_SECRET_ACCESS_KEY", c.SecretAccessKey, "AWS_SESSION_TOKEN", c.SessionToken)}
}

// run runs one CLI command and decodes its JSON answer (nil when it printed nothing).
func (a *awsCLI) run(args ...string) map[string]any {
	a.t.Helper()
	out := a.runQuiet(args...)
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		a.t.Fatalf("aws %s: answer is not JSON: %v\n%s", strings.Join(args[:2], " "), err, out)
	}
	return v
}

// runQuiet runs a command and returns stdout; on failure it reports the command and stderr but
// never stdout, which may hold credentials.
func (a *awsCLI) runQuiet(args ...string) []byte {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	full := append([]string{"--endpoint-url", a.endpoint, "--output", "json"}, args...)
	res, err := interop.Run(ctx, a.env, a.bin, full...)
	if err != nil {
		a.t.Fatalf("aws %s: %v", strings.Join(args[:2], " "), err)
	}
	if res.ExitCode != 0 {
		a.t.Fatalf("aws %s: exit %d\n%s", strings.Join(args, " "), res.ExitCode, res.Stderr)
	}
	return []byte(res.Stdout)
}

// awsManagedKeyARN is the key ARN ListAliases gives for alias/aws/secretsmanager. It never calls
// DescribeKey on the alias, which would create the key.
func (a *awsCLI) awsManagedKeyARN() string {
	a.t.Helper()
	out := a.run("kms", "list-aliases")
	raw, _ := json.Marshal(out["Aliases"])
	var aliases []struct{ AliasName, AliasArn, TargetKeyId string }
	_ = json.Unmarshal(raw, &aliases)
	for _, al := range aliases {
		if al.AliasName == "alias/aws/secretsmanager" && al.TargetKeyId != "" {
			// alias ARN arn:aws:kms:R:A:alias/N → key ARN arn:aws:kms:R:A:key/ID
			prefix, _, _ := strings.Cut(al.AliasArn, ":alias/")
			return prefix + ":key/" + al.TargetKeyId
		}
	}
	a.t.Fatalf("kms list-aliases has no alias/aws/secretsmanager with a target: %v", out)
	return ""
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// str digs a string out of a decoded JSON answer.
func str(t *testing.T, v map[string]any, path ...string) string {
	t.Helper()
	var cur any = v
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("answer has no %s: %v", strings.Join(path, "."), v)
		}
		cur = m[p]
	}
	s, ok := cur.(string)
	if !ok || s == "" {
		t.Fatalf("answer has no string %s: %v", strings.Join(path, "."), v)
	}
	return s
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
