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

// tfExternalID is what the inspector roles of the Terraform module require as sts:ExternalId.
const tfExternalID = "xsdoctor-interop-tf"

// tfCase is one configuration of testdata/terraform/world and the diagnosis it must get.
type tfCase struct {
	name  string
	doors map[xsdoctor.DoorID]xsdoctor.State
	codes []xsdoctor.Code // each must be among the findings of the closed door (or anywhere when open)
	exit  int
}

func tfCases() []tfCase {
	open, closed := xsdoctor.StateOpen, xsdoctor.StateClosed
	doors := func(k, s, c xsdoctor.State) map[xsdoctor.DoorID]xsdoctor.State {
		return map[xsdoctor.DoorID]xsdoctor.State{xsdoctor.DoorKeyPolicy: k, xsdoctor.DoorSecretPolicy: s, xsdoctor.DoorConsumerIAM: c}
	}
	return []tfCase{
		{"classic", doors(open, open, open), []xsdoctor.Code{xsdoctor.SimulationUnavailable}, 0},
		{"aws-managed-key", doors(closed, open, open), []xsdoctor.Code{xsdoctor.KeyAWSManaged}, 1},
		{"no-secret-policy", doors(open, closed, open), []xsdoctor.Code{xsdoctor.SecretPolicyMissing}, 1},
		{"key-without-consumer", doors(closed, open, open), []xsdoctor.Code{xsdoctor.KeyPolicyNoAllow}, 1},
		{"role-without-decrypt", doors(open, open, closed), []xsdoctor.Code{xsdoctor.IAMNoKMSAllow}, 1},
		{"kms-alias-resource", doors(open, open, closed), []xsdoctor.Code{xsdoctor.IAMKMSAliasResource}, 1},
		{"resource-without-suffix", doors(open, open, closed), []xsdoctor.Code{xsdoctor.IAMSecretResourceMismatch}, 1},
	}
}

// tfWorld is what terraform output says about the applied configurations.
type tfWorld struct {
	Configs struct {
		Value map[string]struct{ Secret, Role, Key string } `json:"value"`
	} `json:"configs"`
	OwnerInspector struct {
		Value string `json:"value"`
	} `json:"owner_inspector_role_arn"`
	ConsumerInspector struct {
		Value string `json:"value"`
	} `json:"consumer_inspector_role_arn"`
}

// tfRun is one xsdoctor check against the Terraform-built accounts.
type tfRun struct {
	d   xsdoctor.Diagnosis
	res interop.Result
}

// appliedFix is one fix the test applied for real, and the check that followed it.
type appliedFix struct {
	door    xsdoctor.DoorID
	code    xsdoctor.Code
	account string
	cli     []string // AWS CLI steps run after the Terraform, as printed
	after   tfRun
}

// TestTerraformInterop builds the classic cross-account setup with Terraform's AWS provider in two
// moto accounts — as it should be, and with each door broken — together with the inspector roles
// of terraform/inspector-roles, and runs xsdoctor check through those roles on each. Then it
// applies every printed fix.terraform with terraform apply, in its own directory with nothing but
// a provider for fix.account (and, for the AWS managed key, runs the printed AWS CLI steps), and
// checks again until every door is open: the fixes are what a user copies and applies, unedited.
func TestTerraformInterop(t *testing.T) {
	start := time.Now()
	motoServer := interop.RequireTool(t, "moto_server", "XSDOCTOR_MOTO_SERVER",
		"install moto 5.x with its server extra (pip install 'moto[server]')")
	awsBin := interop.RequireTool(t, "aws", "XSDOCTOR_AWS_CLI", "install the AWS CLI (pip install awscli)")
	dir := t.TempDir()
	base := interop.CleanEnv(dir, "")
	tf := interop.RequireTerraform(t, dir, base)

	var (
		bin      string
		buildErr error
		building sync.WaitGroup
	)
	building.Go(func() { bin, buildErr = interop.BuildXsdoctor(dir) })
	t.Cleanup(building.Wait)
	moto := interop.StartMoto(t, motoServer, base)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("moto_server log (last 4000 bytes):\n%s", tail(moto.Log(), 4000))
		}
	})
	env := base.With("AWS_ENDPOINT_URL", moto.Endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()

	// The world: every configuration and both inspector roles, in one apply.
	world := filepath.Join(dir, "world")
	copyDir(t, filepath.Join("testdata", "terraform", "world"), world)
	if err := os.Symlink(filepath.Join(interop.ModuleRoot(), "terraform", "inspector-roles"), filepath.Join(world, "inspector-roles")); err != nil {
		t.Fatal(err)
	}
	applyStart := time.Now()
	// moto answers with the default account 123456789012 for the dummy base credentials: that is
	// the runner the inspector roles trust.
	if err := tf.Apply(ctx, world, "endpoint="+moto.Endpoint, "runner_arn=arn:aws:iam::123456789012:root", "external_id="+tfExternalID); err != nil {
		t.Fatal(err)
	}
	var w tfWorld
	if err := tf.Output(ctx, world, &w); err != nil {
		t.Fatal(err)
	}
	worldTime := time.Since(applyStart).Round(time.Second)
	t.Logf("terraform applied the world in %v", worldTime)
	building.Wait()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if w.OwnerInspector.Value != "arn:aws:iam::"+ownerAccount+":role/xsdoctor-inspector" ||
		w.ConsumerInspector.Value != "arn:aws:iam::"+consumerAccount+":role/xsdoctor-inspector" {
		t.Fatalf("inspector roles from the module: %q and %q", w.OwnerInspector.Value, w.ConsumerInspector.Value)
	}
	check := func(name string) (tfRun, error) {
		c := w.Configs.Value[name]
		return tfCheck(ctx, env, bin, c.Secret, c.Role, w.OwnerInspector.Value, w.ConsumerInspector.Value)
	}

	// Diagnose every configuration at once, then fix every closed one, each in its own chain.
	cases := tfCases()
	first := make([]tfRun, len(cases))
	fixes := make([][]appliedFix, len(cases))
	errs := make([]error, len(cases))
	applying := make(chan struct{}, 3) // terraform applies at a time: each starts a 700 MB provider
	var wg sync.WaitGroup
	for i, c := range cases {
		if _, ok := w.Configs.Value[c.name]; !ok {
			t.Fatalf("terraform output has no configuration %q", c.name)
		}
		wg.Go(func() {
			first[i], errs[i] = check(c.name)
			if errs[i] == nil && first[i].d.Verdict == xsdoctor.StateClosed {
				fixes[i], errs[i] = fixUntilOpen(ctx, tf, applying, env, awsBin, moto.Endpoint, dir, c.name, first[i], func() (tfRun, error) { return check(c.name) })
			}
		})
	}
	wg.Wait()

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			d, res := first[i].d, first[i].res
			wantDiagnosis(t, d, res, c.exit, verdictOf(c.exit), c.doors)
			for _, code := range c.codes {
				if !slices.Contains(allCodes(d), code) {
					t.Errorf("findings %v lack %s", allCodes(d), code)
				}
			}
			tfCommonChecks(t, d, res, w.Configs.Value[c.name].Role)
			if c.exit == 0 {
				if len(fixes[i]) != 0 {
					t.Errorf("fixes applied to an open configuration: %+v", fixes[i])
				}
				return
			}
			if len(fixes[i]) == 0 {
				t.Fatalf("no fix.terraform was applied for the closed doors %v", closedDoors(d))
			}
			for _, fx := range fixes[i] {
				t.Logf("applied the %s fix for %s (account %s, %d CLI steps): verdict now %s, findings %v",
					fx.code, fx.door, fx.account, len(fx.cli), fx.after.d.Verdict, allCodes(fx.after.d))
				if state := doorState(fx.after.d, fx.door); state != xsdoctor.StateOpen {
					t.Errorf("after the %s fix the %s door is %s (%v)", fx.code, fx.door, state, doorCodes(fx.after.d, fx.door))
				}
				tfCommonChecks(t, fx.after.d, fx.after.res, w.Configs.Value[c.name].Role)
			}
			last := fixes[i][len(fixes[i])-1].after
			wantDiagnosis(t, last.d, last.res, 0, xsdoctor.StateOpen, allOpen)
		})
	}

	t.Run("the key policy fix keeps the key policy's other statements", func(t *testing.T) {
		cli := &awsCLI{t: t, bin: awsBin, env: env, endpoint: moto.Endpoint}
		owner := cli.as("arn:aws:iam::" + ownerAccount + ":role/OrganizationAccountAccessRole")
		key := w.Configs.Value["key-without-consumer"].Key
		out := owner.run("kms", "get-key-policy", "--key-id", key, "--policy-name", "default")
		text, _ := out["Policy"].(string)
		for _, sid := range []string{`"EnableIAMUserPermissions"`, `"AllowDecryptViaSecretsManagerForKeyWithoutConsumerReader"`} {
			if !strings.Contains(text, sid) {
				t.Errorf("key policy of %s after the fix lacks %s:\n%s", key, sid, text)
			}
		}
	})

	t.Run("the AWS managed key is replaced by the new key and its steps, then the consumer's own fix", func(t *testing.T) {
		i := slices.IndexFunc(cases, func(c tfCase) bool { return c.name == "aws-managed-key" })
		var got []xsdoctor.Code
		for _, fx := range fixes[i] {
			got = append(got, fx.code)
		}
		if len(got) == 0 || got[0] != xsdoctor.KeyAWSManaged || len(fixes[i][0].cli) == 0 {
			t.Fatalf("fixes applied %v, want %s first (with its AWS CLI steps)", got, xsdoctor.KeyAWSManaged)
		}
		after := fixes[i][0].after.d
		if after.Secret.KMSKey == nil || after.Secret.KMSKey.Manager != "CUSTOMER" || !strings.Contains(after.Secret.KMSKey.ARN, ":key/") {
			t.Errorf("after the new key and update-secret, secret.kms_key = %+v, want the new customer managed key", after.Secret.KMSKey)
		}
	})

	elapsed := time.Since(start).Round(time.Second)
	line := fmt.Sprintf("terraform interop: %v (world applied in %v; %d fixes applied for real)", elapsed, worldTime, countFixes(fixes))
	t.Log(line)
	fmt.Println(line)
	// .ci/run prints the timings of its run in the summary (a passing package's output is hidden).
	if path := os.Getenv("XSDOCTOR_TIMINGS"); path != "" {
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
	}
}

func countFixes(fixes [][]appliedFix) int {
	n := 0
	for _, f := range fixes {
		n += len(f)
	}
	return n
}

func verdictOf(exit int) xsdoctor.State {
	return map[int]xsdoctor.State{0: xsdoctor.StateOpen, 1: xsdoctor.StateClosed}[exit]
}

// fixUntilOpen applies the fix of the first closed door, checks again, and goes on until the
// verdict is open (at most three fixes: the AWS managed key needs a second, the consumer's).
func fixUntilOpen(ctx context.Context, tf *interop.Terraform, applying chan struct{}, env interop.Env, awsBin, endpoint, dir, name string,
	run tfRun, check func() (tfRun, error)) ([]appliedFix, error) {
	var done []appliedFix
	for round := 1; run.d.Verdict == xsdoctor.StateClosed; round++ {
		if round > 3 {
			return done, fmt.Errorf("%s: still closed after %d fixes: %v", name, len(done), allCodes(run.d))
		}
		door, f := firstClosingFix(run.d)
		if f == nil {
			return done, fmt.Errorf("%s: closed doors %v but no finding with fix.terraform: %v", name, closedDoors(run.d), allCodes(run.d))
		}
		fx := appliedFix{door: door, code: f.Code, account: f.Fix.Account}
		fixDir := filepath.Join(dir, fmt.Sprintf("fix-%s-%d", name, round))
		if err := os.MkdirAll(fixDir, 0o755); err != nil {
			return done, err
		}
		files := map[string]string{"main.tf": f.Fix.Terraform, "provider.tf": interop.ProviderBlock(endpoint, f.Fix.Account)}
		for file, text := range files {
			if err := os.WriteFile(filepath.Join(fixDir, file), []byte(text), 0o644); err != nil {
				return done, err
			}
		}
		applying <- struct{}{}
		err := tf.Apply(ctx, fixDir)
		<-applying
		if err != nil {
			return done, fmt.Errorf("%s: applying the %s fix.terraform as printed:\n%s\n%w", name, f.Code, f.Fix.Terraform, err)
		}
		if f.Code == xsdoctor.KeyAWSManaged {
			steps, err := runPrintedSteps(ctx, env, awsBin, endpoint, f.Fix.Account, f.Fix.Steps)
			if err != nil {
				return done, fmt.Errorf("%s: %w", name, err)
			}
			fx.cli = steps
		}
		if run, err = check(); err != nil {
			return done, err
		}
		fx.after = run
		done = append(done, fx)
	}
	return done, nil
}

// firstClosingFix is the first closed door's finding that closes it and carries Terraform.
func firstClosingFix(d xsdoctor.Diagnosis) (xsdoctor.DoorID, *xsdoctor.Finding) {
	for _, door := range d.Doors {
		if door.State != xsdoctor.StateClosed {
			continue
		}
		for i, f := range door.Findings {
			if f.Effect == xsdoctor.EffectCloses && f.Fix != nil && f.Fix.Terraform != "" {
				return door.Door, &door.Findings[i]
			}
		}
	}
	return "", nil
}

// printedCommand matches the AWS CLI commands a fix's steps print that change or inspect the
// secret; they are run exactly as printed (minus a sentence's closing period).
var printedCommand = regexp.MustCompile(`aws secretsmanager (update-secret|list-secret-version-ids) --secret-id \S+( --kms-key-id \S+)?`)

// runPrintedSteps runs the printed AWS CLI commands, in order, as an administrator of account.
func runPrintedSteps(ctx context.Context, env interop.Env, awsBin, endpoint, account string, steps []string) ([]string, error) {
	admin, err := assumeEnv(ctx, env, awsBin, endpoint, "arn:aws:iam::"+account+":role/OrganizationAccountAccessRole")
	if err != nil {
		return nil, err
	}
	var ran []string
	for _, step := range steps {
		for _, cmd := range printedCommand.FindAllString(step, -1) {
			cmd = strings.TrimRight(cmd, ".")
			args := append([]string{"--endpoint-url", endpoint, "--output", "json"}, strings.Fields(cmd)[1:]...)
			res, err := interop.Run(ctx, admin, awsBin, args...)
			if err != nil {
				return ran, err
			}
			if res.ExitCode != 0 {
				return ran, fmt.Errorf("printed step %q: exit %d\n%s", cmd, res.ExitCode, res.Stderr)
			}
			ran = append(ran, cmd)
		}
	}
	if len(ran) == 0 || !strings.Contains(ran[0], "update-secret") {
		return ran, fmt.Errorf("the steps print no update-secret command to run first: %q", steps)
	}
	return ran, nil
}

// assumeEnv is env with the credentials of role, from sts:AssumeRole through the AWS CLI.
func assumeEnv(ctx context.Context, env interop.Env, awsBin, endpoint, role string) (interop.Env, error) {
	res, err := interop.Run(ctx, env, awsBin, "--endpoint-url", endpoint, "--output", "json",
		"sts", "assume-role", "--role-arn", role, "--role-session-name", "xsdoctor-interop-fix")
	if err != nil {
		return nil, err
	}
	var out struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	if res.ExitCode != 0 || json.Unmarshal([]byte(res.Stdout), &out) != nil || out.Credentials.SessionToken == "" {
		return nil, fmt.Errorf("aws sts assume-role %s: exit %d\n%s", role, res.ExitCode, res.Stderr)
	}
	c := out.Credentials
	return env.With("AWS_ACCESS_KEY_ID", c.AccessKeyId, "AWS_SECRET_ACCESS_KEY", c.SecretAccessKey, "AWS_SESSION_TOKEN", c.SessionToken), nil
}

// tfCheck runs xsdoctor check through the module's inspector roles with their external id.
func tfCheck(ctx context.Context, env interop.Env, bin, secret, consumer, ownerRole, consumerRole string) (tfRun, error) {
	res, err := interop.Run(ctx, env, bin, "check", secret, "--consumer", consumer,
		"--owner-role", ownerRole, "--consumer-role", consumerRole, "--external-id", tfExternalID, "-o", "json", "--debug")
	if err != nil {
		return tfRun{}, err
	}
	var d xsdoctor.Diagnosis
	if err := json.Unmarshal([]byte(res.Stdout), &d); err != nil {
		return tfRun{}, fmt.Errorf("xsdoctor check %s: stdout is not a JSON report: %v\n%s", secret, err, res)
	}
	return tfRun{d: d, res: res}, nil
}

// tfCommonChecks holds for every check against the Terraform-built accounts.
func tfCommonChecks(t *testing.T, d xsdoctor.Diagnosis, res interop.Result, role string) {
	t.Helper()
	if d.Consumer.RoleARN != role {
		t.Errorf("consumer.role_arn %q, want %q", d.Consumer.RoleARN, role)
	}
	for _, door := range d.Doors {
		if got := xsdoctor.DoorState(door.Findings); got != door.State {
			t.Errorf("door %s is %s but its findings' effects make it %s", door.Door, door.State, got)
		}
	}
	// Each side was read through the module's inspector role, assumed with its external id.
	assumed := 0
	for _, c := range d.Calls {
		if c.Service == "sts" && c.Operation == "AssumeRole" {
			assumed++
			if c.ErrorCode != "" {
				t.Errorf("sts:AssumeRole in %s failed with %s", c.Account, c.ErrorCode)
			}
		}
	}
	if assumed < 2 {
		t.Errorf("%d sts:AssumeRole calls, want one per inspector role", assumed)
	}
	if strings.Contains(res.Stdout+res.Stderr, "interop-tf-canary-") {
		t.Errorf("the output contains a secret value")
	}
}

func doorState(d xsdoctor.Diagnosis, id xsdoctor.DoorID) xsdoctor.State {
	for _, door := range d.Doors {
		if door.Door == id {
			return door.State
		}
	}
	return ""
}

func closedDoors(d xsdoctor.Diagnosis) []xsdoctor.DoorID {
	var out []xsdoctor.DoorID
	for _, door := range d.Doors {
		if door.State == xsdoctor.StateClosed {
			out = append(out, door.Door)
		}
	}
	return out
}

// copyDir copies the regular files of src into a new directory dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
