package explain

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/scenarios"
)

// codeConstants parses the root package's source and returns the value of every constant of
// type Code, so that a code added there without an entry here fails the test.
func codeConstants(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						codes = append(codes, strings.Trim(lit.Value, "\"`"))
					}
				}
			}
		}
	}
	slices.Sort(codes)
	return codes
}

func TestEveryCodeConstantHasAnEntryAndEveryEntryAConstant(t *testing.T) {
	constants := codeConstants(t)
	if len(constants) < 40 {
		t.Fatalf("found only %d Code constants in the root package: the parser missed them", len(constants))
	}
	documented := Codes()
	for _, c := range constants {
		if !slices.Contains(documented, c) {
			t.Errorf("code %s is defined in the root package but has no entry in explain/codes.go", c)
		}
	}
	for _, c := range documented {
		if !slices.Contains(constants, c) {
			t.Errorf("explain documents %s, which is no Code constant of the root package", c)
		}
	}
	if dups := len(documented) - len(slices.Compact(slices.Clone(documented))); dups != 0 {
		t.Errorf("%d codes are documented twice", dups)
	}
}

func TestEveryEntryIsComplete(t *testing.T) {
	names := scenarios.Names()
	effects := []string{"closes", "unknown", "conditional", "info"}
	for _, e := range All() {
		t.Run(string(e.Code), func(t *testing.T) {
			for field, v := range map[string]string{"Summary": e.Summary, "Account": e.Account, "Meaning": e.Meaning, "Fix": e.Fix, "Example": e.Example} {
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s is empty", field)
				}
				if strings.Contains(v, "../shared") || strings.Contains(v, "SPEC") {
					t.Errorf("%s points outside the repository: %q", field, v)
				}
			}
			if !slices.Contains(sections, e.Door) {
				t.Errorf("door %q is not one of %v", e.Door, sections)
			}
			for _, eff := range strings.Split(e.Effect, " or ") {
				if !slices.Contains(effects, eff) {
					t.Errorf("effect %q is not one of %v", eff, effects)
				}
			}
			if e.Scenario != "" && !slices.Contains(names, e.Scenario) {
				t.Errorf("scenario %q is not in the built-in catalogue", e.Scenario)
			}
		})
	}
}

// TestDocsCodesIsUpToDate keeps docs/codes.md what go generate writes from the same entries.
func TestDocsCodesIsUpToDate(t *testing.T) {
	var want bytes.Buffer
	if err := Markdown(&want); err != nil {
		t.Fatal(err)
	}
	want.WriteString("\n")
	got, err := os.ReadFile(filepath.Join("..", "docs", "codes.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("docs/codes.md is stale: run go generate ./explain and commit the result")
	}
	for _, c := range Codes() {
		if !bytes.Contains(got, []byte("### "+c+"\n")) {
			t.Errorf("docs/codes.md has no section for %s", c)
		}
	}
}

func TestLookupAcceptsAnyCaseAndDashes(t *testing.T) {
	for _, in := range []string{"KEY_AWS_MANAGED", "key_aws_managed", "key-aws-managed", " Key_Aws_Managed "} {
		if e, ok := Lookup(in); !ok || e.Code != xsdoctor.KeyAWSManaged {
			t.Errorf("Lookup(%q) = %v, %v", in, e.Code, ok)
		}
	}
	if _, ok := Lookup("KEY_AWS"); ok {
		t.Error("Lookup of a fragment found an entry")
	}
}

func TestTextHasEveryPartWithoutMarkdown(t *testing.T) {
	e, _ := Lookup("KEY_AWS_MANAGED")
	var b bytes.Buffer
	if err := Text(&b, e); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"KEY_AWS_MANAGED\nThe secret is encrypted", "Door\n    key-policy (effect: closes)", "Account\n", "What it means\n", "How it is fixed\n", "Example\n", "xsdoctor demo classic-trap"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "`") {
		t.Errorf("explain text keeps markdown backticks:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 100 && !strings.Contains(line, "arn:") {
			t.Errorf("line wider than 100 columns: %q", line)
		}
	}
}

// TestEveryCodeOfTheContractIsDocumented reads the finding codes section of the project's
// contract (../shared/SPEC.md, beside the module in development) and requires an entry for each.
func TestEveryCodeOfTheContractIsDocumented(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "..", "shared", "SPEC.md"))
	if err != nil {
		t.Fatalf("the contract is missing (check out shared/ beside the module): %v", err)
	}
	text := string(spec)
	start := strings.Index(text, "## 4. Finding codes")
	end := strings.Index(text, "## 5.")
	if start < 0 || end < start {
		t.Fatal("SPEC.md has no section 4 on finding codes")
	}
	codes := regexp.MustCompile("`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`").FindAllStringSubmatch(text[start:end], -1)
	if len(codes) < 40 {
		t.Fatalf("found only %d codes in SPEC §4", len(codes))
	}
	for _, m := range codes {
		if _, ok := Lookup(m[1]); !ok {
			t.Errorf("SPEC §4 names %s, which explain does not document", m[1])
		}
	}
}
