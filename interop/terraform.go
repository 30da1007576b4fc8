package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Terraform: the real client people build these accounts with. The AWS provider comes from a
// filesystem mirror on the machine (nothing is downloaded), found at run time.

// ProviderGlob is the provider binary's name in a mirror's unpacked layout.
const ProviderGlob = "terraform-provider-aws_*"

// FindProviderMirror returns the root of a filesystem mirror that holds the hashicorp/aws
// provider for this platform (the folder above its registry.terraform.io folder), and the
// binary's path. It looks in $XSDOCTOR_TF_MIRROR, then the usual plugin folders, then searches
// /opt and /usr/local a few levels deep.
func FindProviderMirror() (root, binary string, err error) {
	platform := runtime.GOOS + "_" + runtime.GOARCH
	inRoot := func(r string) string {
		m, _ := filepath.Glob(filepath.Join(r, "registry.terraform.io", "hashicorp", "aws", "*", platform, ProviderGlob))
		if len(m) == 0 {
			return ""
		}
		return m[len(m)-1] // the newest version sorts last
	}
	if r := os.Getenv("XSDOCTOR_TF_MIRROR"); r != "" {
		if b := inRoot(r); b != "" {
			return r, b, nil
		}
		return "", "", fmt.Errorf("$XSDOCTOR_TF_MIRROR=%s holds no registry.terraform.io/hashicorp/aws/*/%s/%s", r, platform, ProviderGlob)
	}
	home, _ := os.UserHomeDir()
	candidates := []string{
		"/opt/tf-plugins",
		filepath.Join(home, ".terraform.d", "plugins"),
		filepath.Join(home, ".local", "share", "terraform", "plugins"),
		"/usr/local/share/terraform/plugins",
		"/usr/share/terraform/plugins",
	}
	for _, r := range candidates {
		if b := inRoot(r); b != "" {
			return r, b, nil
		}
	}
	// Search: the binary sits at ROOT/registry.terraform.io/hashicorp/aws/VERSION/PLATFORM/.
	for _, top := range []string{"/opt", "/usr/local"} {
		var found string
		_ = filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
			if err != nil || found != "" {
				return filepath.SkipDir
			}
			if d.IsDir() && strings.Count(strings.TrimPrefix(path, top), string(filepath.Separator)) > 7 {
				return filepath.SkipDir
			}
			if ok, _ := filepath.Match(ProviderGlob, d.Name()); ok && filepath.Base(filepath.Dir(path)) == platform {
				found = path
				return filepath.SkipAll
			}
			return nil
		})
		if found != "" {
			r := found
			for range 6 {
				r = filepath.Dir(r)
			}
			return r, found, nil
		}
	}
	return "", "", fmt.Errorf("no %s for %s in $XSDOCTOR_TF_MIRROR, %s, /opt or /usr/local", ProviderGlob, platform, strings.Join(candidates, ", "))
}

// WriteTerraformCLIConfig writes a Terraform CLI configuration that installs hashicorp/aws from
// the mirror at root and from nowhere else, and returns its path (for TF_CLI_CONFIG_FILE).
func WriteTerraformCLIConfig(dir, root string) (string, error) {
	path := filepath.Join(dir, "terraform.tfrc")
	text := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
`, root)
	return path, os.WriteFile(path, []byte(text), 0o644)
}

// Terraform runs the terraform binary with an environment that reaches nothing but loopback:
// the mirror-only CLI config, no update checks, no prompts.
type Terraform struct {
	Bin string
	Env Env
}

// RequireTerraform finds terraform and the provider mirror and writes the CLI config into dir:
// under CI=true a missing piece fails the test, elsewhere it skips saying what is missing.
func RequireTerraform(tb testing.TB, dir string, env Env) *Terraform {
	tb.Helper()
	bin := RequireTool(tb, "terraform", "XSDOCTOR_TERRAFORM", "install terraform >= 1.5")
	root, _, err := FindProviderMirror()
	if err != nil {
		msg := "the hashicorp/aws provider mirror is missing: " + err.Error() + " (set XSDOCTOR_TF_MIRROR to its root)"
		if InCI() {
			tb.Fatalf("CI=true: %s", msg)
		}
		tb.Skipf("skipping: %s (set CI=true to make this a failure)", msg)
	}
	cfg, err := WriteTerraformCLIConfig(dir, root)
	if err != nil {
		tb.Fatal(err)
	}
	return &Terraform{Bin: bin, Env: env.With(
		"TF_CLI_CONFIG_FILE", cfg,
		"CHECKPOINT_DISABLE", "1", // no call to checkpoint.hashicorp.com
		"TF_IN_AUTOMATION", "1",
		"TF_INPUT", "0",
	)}
}

// Apply runs terraform init and apply in dir with the given -var settings.
func (tf *Terraform) Apply(ctx context.Context, dir string, vars ...string) error {
	if err := tf.run(ctx, dir, "init", "-input=false", "-no-color"); err != nil {
		return err
	}
	args := []string{"apply", "-auto-approve", "-input=false", "-no-color"}
	for _, v := range vars {
		args = append(args, "-var", v)
	}
	return tf.run(ctx, dir, args...)
}

// Output decodes `terraform output -json` into v (a struct whose fields are {"value": …}).
func (tf *Terraform) Output(ctx context.Context, dir string, v any) error {
	res, err := Run(ctx, tf.Env, tf.Bin, "-chdir="+dir, "output", "-json", "-no-color")
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("terraform output in %s: exit %d\n%s", dir, res.ExitCode, res.Stderr)
	}
	return json.Unmarshal([]byte(res.Stdout), v)
}

func (tf *Terraform) run(ctx context.Context, dir string, args ...string) error {
	start := time.Now()
	res, err := Run(ctx, tf.Env, tf.Bin, append([]string{"-chdir=" + dir}, args...)...)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("terraform %s in %s: exit %d after %v\n%s\n%s", args[0], dir, res.ExitCode,
			time.Since(start).Round(time.Millisecond), tailText(res.Stdout, 3000), tailText(res.Stderr, 3000))
	}
	return nil
}

func tailText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// ProviderBlock is a provider "aws" for one account of a moto server: it assumes a role in that
// account (moto keeps accounts apart by the assumed role's account) and talks only to endpoint.
func ProviderBlock(endpoint, account string) string {
	var b strings.Builder
	b.WriteString("provider \"aws\" {\n")
	b.WriteString("  region                      = \"" + Region + "\"\n")
	b.WriteString("  skip_credentials_validation = true\n")
	b.WriteString("  skip_requesting_account_id  = true\n")
	b.WriteString("  skip_metadata_api_check     = true\n")
	b.WriteString("  endpoints {\n")
	for _, svc := range []string{"ec2", "iam", "kms", "secretsmanager", "sts"} {
		fmt.Fprintf(&b, "    %-14s = %q\n", svc, endpoint)
	}
	b.WriteString("  }\n")
	b.WriteString("  assume_role {\n")
	fmt.Fprintf(&b, "    role_arn = \"arn:aws:iam::%s:role/OrganizationAccountAccessRole\"\n", account)
	b.WriteString("  }\n}\n")
	return b.String()
}
