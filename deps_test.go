package xsdoctor_test

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/xsdoctor/xsdoctor"

// goList runs "go list" in the module and returns one line per package.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, append([]string{"list"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// deps returns every package pkg depends on, transitively, with whether it is in the standard
// library.
func deps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, l := range goList(t, "-deps", "-f", "{{.ImportPath}} {{.Standard}}", pkg) {
		path, std, _ := strings.Cut(l, " ")
		out[path] = std == "true"
	}
	return out
}

// TestDependencyRules keeps the layering of style.md true: data flows one way (flags → probe →
// Facts → door → Diagnosis → report), the vocabulary and the policy engine need nothing but the
// standard library, and only probe (and the emulator, and the command that wires them) know the
// AWS SDK.
func TestDependencyRules(t *testing.T) {
	rules := []struct {
		pkg    string
		stdlib bool     // nothing but the standard library (and allow)
		allow  []string // module packages a stdlib-only package may still use
		forbid []string // import path prefixes that must not appear among the deps
	}{
		{pkg: module, stdlib: true},
		{pkg: module + "/arn", stdlib: true},
		// The engine may split ARNs with the one ARN type, itself standard library only.
		{pkg: module + "/policy", stdlib: true, allow: []string{module + "/arn"}},
		{pkg: module + "/scenarios", stdlib: true},
		// The error-text parser and the facts format: the vocabulary and the standard library.
		{pkg: module + "/errtext", stdlib: true, allow: []string{module, module + "/arn"}},
		{pkg: module + "/factsfile", stdlib: true, allow: []string{module, module + "/arn"}},
		// The code reference: the vocabulary and the standard library only.
		{pkg: module + "/explain", forbid: []string{"github.com/aws/", "github.com/google/", "github.com/rogpeppe/", "golang.org/", module + "/policy", module + "/request", module + "/probe", module + "/door", module + "/report", module + "/internal/", module + "/cmd/", module + "/scenarios"}},
		{pkg: module + "/request", forbid: []string{"github.com/aws/", module + "/probe", module + "/door", module + "/report"}},
		{pkg: module + "/door", forbid: []string{"github.com/aws/", module + "/probe", module + "/report", module + "/internal/awsemu", module + "/cmd/"}},
		{pkg: module + "/report", forbid: []string{"github.com/aws/", module + "/probe", module + "/door", module + "/policy", module + "/internal/awsemu", module + "/cmd/", "golang.org/x/term"}},
		{pkg: module + "/probe", forbid: []string{module + "/door", module + "/report", module + "/internal/awsemu", module + "/cmd/"}},
	}
	for _, r := range rules {
		t.Run(strings.TrimPrefix(r.pkg, module+"/"), func(t *testing.T) {
			for dep, std := range deps(t, r.pkg) {
				if dep == r.pkg {
					continue
				}
				if r.stdlib && !std && !slices.Contains(r.allow, dep) {
					t.Errorf("%s depends on %s, but may use only the standard library", r.pkg, dep)
				}
				for _, f := range r.forbid {
					if dep == strings.TrimSuffix(f, "/") || strings.HasPrefix(dep, f) {
						t.Errorf("%s depends on %s (style.md: data flows one way)", r.pkg, dep)
					}
				}
			}
		})
	}
}

// TestOnlyTheCommandKnowsFlagsAndTerminals checks "only cmd/xsdoctor knows about flags,
// environment, terminals and exit codes" where an import can show it: no library package imports
// the flag package or a terminal library.
func TestOnlyTheCommandKnowsFlagsAndTerminals(t *testing.T) {
	for _, l := range goList(t, "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", "./...") {
		pkg, imports, _ := strings.Cut(l, ": ")
		if strings.HasPrefix(pkg, module+"/cmd/") {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if imp == "flag" || strings.HasPrefix(imp, "golang.org/x/term") {
				t.Errorf("%s imports %s: flags and terminals belong to cmd/xsdoctor", pkg, imp)
			}
		}
	}
}

// TestNothingImportsTheCommand: cmd/xsdoctor is the top of the graph.
func TestNothingImportsTheCommand(t *testing.T) {
	for _, l := range goList(t, "-f", "{{.ImportPath}}: {{join .Imports \" \"}} {{join .TestImports \" \"}}", "./...") {
		pkg, imports, _ := strings.Cut(l, ": ")
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, module+"/cmd/") && imp != pkg {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

// TestOnlyMainExits: "Only main calls os.Exit" (style.md) — every other function returns an
// error or an exit code, so it can be tested and its deferred calls run.
func TestOnlyMainExits(t *testing.T) {
	for _, l := range goList(t, "-f", "{{.ImportPath}}|{{.Dir}}|{{join .GoFiles \" \"}}", "./...") {
		parts := strings.SplitN(l, "|", 3)
		pkg, dir, files := parts[0], parts[1], strings.Fields(parts[2])
		for _, f := range files {
			if pkg == module+"/cmd/xsdoctor" && f == "main.go" {
				continue
			}
			src, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(src, []byte("os.Exit(")) || bytes.Contains(src, []byte("log.Fatal")) {
				t.Errorf("%s/%s exits the process: return an error instead (only cmd/xsdoctor/main.go exits)", pkg, f)
			}
		}
	}
}

// TestLibrariesDoNotPrint: "nothing prints from inside probe, policy or door" (style.md); stdout
// carries the report only, and every log goes through a writer the command passes in.
func TestLibrariesDoNotPrint(t *testing.T) {
	libraries := map[string]bool{module: true}
	for _, p := range []string{"policy", "request", "probe", "door", "report", "errtext", "factsfile"} {
		libraries[module+"/"+p] = true
	}
	seen := 0
	for _, l := range goList(t, "-f", "{{.ImportPath}}|{{.Dir}}|{{join .GoFiles \" \"}}", "./...") {
		parts := strings.SplitN(l, "|", 3)
		pkg, dir, files := parts[0], parts[1], strings.Fields(parts[2])
		if !libraries[pkg] {
			continue
		}
		seen++
		for _, f := range files {
			src, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"fmt.Print", "os.Stdout", "os.Stderr", "log.Print"} {
				if bytes.Contains(src, []byte(bad)) {
					t.Errorf("%s/%s uses %s: write to an io.Writer the caller passes", pkg, f, bad)
				}
			}
		}
	}
	if seen != len(libraries) {
		t.Errorf("found %d of the %d library packages", seen, len(libraries))
	}
}

// TestRenderersNameNoFindingCode: what a finding does to its door is its effect, set by door
// (SPEC §3); report renders what it is given, so it names no finding code and a new code needs
// no change there.
func TestRenderersNameNoFindingCode(t *testing.T) {
	codes := codeConstants(t)
	for _, l := range goList(t, "-f", "{{.Dir}}|{{join .GoFiles \" \"}}", "./report") {
		dir, files, _ := strings.Cut(l, "|")
		for _, f := range strings.Fields(files) {
			file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, f), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "xsdoctor" && codes[sel.Sel.Name] {
						t.Errorf("report/%s names the finding code xsdoctor.%s: read the finding's effect instead", f, sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
}

// TestOnlyTheCommandMapsExitCodes: exit codes (SPEC §5) live in cmd/xsdoctor; a library returns a
// verdict or a typed error and the command maps it.
func TestOnlyTheCommandMapsExitCodes(t *testing.T) {
	for _, l := range goList(t, "-f", "{{.ImportPath}}|{{.Dir}}|{{join .GoFiles \" \"}}", "./...") {
		parts := strings.SplitN(l, "|", 3)
		pkg, dir, files := parts[0], parts[1], strings.Fields(parts[2])
		if strings.HasPrefix(pkg, module+"/cmd/") {
			continue
		}
		for _, f := range files {
			file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, f), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range file.Decls {
				if fn, ok := d.(*ast.FuncDecl); ok && strings.EqualFold(fn.Name.Name, "exitcode") {
					t.Errorf("%s/%s declares %s: exit codes belong to cmd/xsdoctor", pkg, f, fn.Name.Name)
				}
			}
		}
	}
}

// codeConstants is the names of the root package's constants of type Code.
func codeConstants(t *testing.T) map[string]bool {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "xsdoctor.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); ok && id.Name == "Code" {
				for _, n := range v.Names {
					out[n.Name] = true
				}
			}
		}
	}
	if len(out) < 30 {
		t.Fatalf("found only %d Code constants in xsdoctor.go", len(out))
	}
	return out
}

// productionFiles calls fn with every non-test Go file of the module, by package.
func productionFiles(t *testing.T, fn func(pkg, file string, src []byte)) {
	t.Helper()
	for _, l := range goList(t, "-f", "{{.ImportPath}}|{{.Dir}}|{{join .GoFiles \" \"}}", "./...") {
		parts := strings.SplitN(l, "|", 3)
		pkg, dir, files := parts[0], parts[1], strings.Fields(parts[2])
		for _, f := range files {
			src, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			fn(pkg, f, src)
		}
	}
}

// TestOnlyTheRequestPackageBuildsRequests: the request Secrets Manager makes is built in one
// place, request.Build, from the facts (style.md, "One home per concept"), so the simulator and
// the local evaluation are asked the same question. The emulator is the one other builder: it
// authorizes live calls from its scenario's state through request's own functions.
func TestOnlyTheRequestPackageBuildsRequests(t *testing.T) {
	builders := map[string]bool{module + "/request": true, module + "/internal/awsemu": true}
	productionFiles(t, func(pkg, file string, src []byte) {
		if builders[pkg] {
			return
		}
		if m := requestLiteral.Find(src); m != nil {
			t.Errorf("%s/%s builds a request (%s): use request.Build(facts)", pkg, file, bytes.TrimSpace(m))
		}
	})
}

// requestLiteral matches a request built by hand: a Params or Request literal (not a slice of
// them), or a call of the builders request.Build wraps.
var requestLiteral = regexp.MustCompile(`(^|[^\]\w])(request\.Params|policy\.Request)\{|request\.(GetSecretValue|Decrypt)\(`)

// arnSplit matches the ways code splits an ARN by hand: into its six fields at the colons, or
// colon by colon. (Cutting "service:Operation" once is not an ARN and is left alone.)
var arnSplit = regexp.MustCompile(`strings\.SplitN\([^,()]+, ":", [56]\)|strings\.Split\([^,()]+, ":"\)|IndexByte\([^,()]+, ':'\)`)

// TestOnlyTheARNPackageSplitsARNs: an ARN has one home, package arn; every other production file
// asks it for the partition, service, region, account or resource.
func TestOnlyTheARNPackageSplitsARNs(t *testing.T) {
	productionFiles(t, func(pkg, file string, src []byte) {
		if pkg == module+"/arn" {
			return
		}
		if m := arnSplit.Find(src); m != nil {
			t.Errorf("%s/%s splits at colons (%s): use package arn", pkg, file, m)
		}
	})
}
