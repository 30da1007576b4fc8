package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xsdoctor/xsdoctor/scenarios"
)

// schemaCheck validates docs/report.schema.json with an independent implementation, the Python
// jsonschema package (moto depends on it, so it comes with the machine image's Python): the
// schema is a valid draft 2020-12 schema, every report of the built-in catalogue validates, and a
// report with a misspelt field or a wrong state does not. It holds the repository's own small
// validator (internal/jsonschema), which the Go tests use, to what a real validator says.
const schemaCheck = `
import json, sys, glob, os
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
reports = sorted(glob.glob(os.path.join(sys.argv[2], "*.json")))
bad = 0
for path in reports:
    doc = json.load(open(path))
    errs = [e.message for e in v.iter_errors(doc)]
    if errs:
        bad += 1
        print("INVALID", os.path.basename(path), errs[:3])
    doc["verdit"] = doc.pop("verdict")
    doc["doors"][0]["state"] = "shut"
    broken = {e.validator for e in v.iter_errors(doc)}
    if not {"additionalProperties", "required", "enum"} <= broken:
        bad += 1
        print("ACCEPTED BROKEN", os.path.basename(path), sorted(broken))
print("validated", len(reports))
sys.exit(1 if bad or not reports else 0)
`

// pythonWithJSONSchema finds a Python interpreter that can import jsonschema: $XSDOCTOR_PYTHON,
// then python3 on PATH, then every pyenv version.
func pythonWithJSONSchema() (string, bool) {
	candidates := []string{os.Getenv("XSDOCTOR_PYTHON")}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	root := os.Getenv("PYENV_ROOT")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".pyenv")
	}
	more, _ := filepath.Glob(filepath.Join(root, "versions", "*", "bin", "python3"))
	for _, p := range append(candidates, more...) {
		if p != "" && exec.Command(p, "-c", "import jsonschema").Run() == nil {
			return p, true
		}
	}
	return "", false
}

func TestReportSchemaAgreesWithAnIndependentValidator(t *testing.T) {
	python, ok := pythonWithJSONSchema()
	if !ok {
		msg := "no Python with the jsonschema package (set XSDOCTOR_PYTHON)"
		if InCI() {
			t.Fatalf("CI=true: %s", msg)
		}
		t.Skipf("skipping: %s (set CI=true to make this a failure)", msg)
	}
	dir := t.TempDir()
	bin, err := BuildXsdoctor(dir)
	if err != nil {
		t.Fatal(err)
	}
	env := CleanEnv(dir, "")
	reports := filepath.Join(dir, "reports")
	if err := os.Mkdir(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range scenarios.Names() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := Run(ctx, env, bin, "demo", name, "--live", "-o", "json")
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.Stdout, "{") {
			t.Fatalf("demo %s printed no JSON report:\n%s", name, res)
		}
		if err := os.WriteFile(filepath.Join(reports, name+".json"), []byte(res.Stdout), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "check_schema.py")
	if err := os.WriteFile(script, []byte(schemaCheck), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, script, filepath.Join(ModuleRoot(), "docs", "report.schema.json"), reports).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", python, err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}
