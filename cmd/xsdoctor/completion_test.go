package main

import (
	"bytes"
	"context"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor/explain"
	"github.com/xsdoctor/xsdoctor/scenarios"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"completion", shell}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("completion %s: exit %d: %s", shell, code, stderr.String())
	}
	return stdout.String()
}

// TestCompletionScriptsParse checks each script with its own shell's syntax check: bash always
// (CI images have it); zsh and fish when installed, skipped with a message otherwise.
func TestCompletionScriptsParse(t *testing.T) {
	checks := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}
	for _, shell := range shells {
		t.Run(shell, func(t *testing.T) {
			bin, err := exec.LookPath(checks[shell][0])
			if err != nil {
				if shell == "bash" {
					t.Fatalf("bash is not installed: %v", err)
				}
				t.Skipf("%s is not installed here, so its syntax is not checked (the script is still generated and its content checked in TestCompletionOffersCommandsFlagsNamesAndCodes)", shell)
			}
			file := filepath.Join(t.TempDir(), "xsdoctor."+shell)
			if err := os.WriteFile(file, []byte(completionScript(t, shell)), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, append(checks[shell][1:], file)...).CombinedOutput()
			if err != nil {
				t.Errorf("%s rejects the completion script: %v\n%s", shell, err, out)
			}
		})
	}
}

// complete runs the bash completion function for a command line whose last word is being typed,
// and returns what bash would offer.
func complete(t *testing.T, script string, words ...string) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "xsdoctor.bash")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + w + "'"
	}
	prog := "source " + file + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
		itoa(len(words)-1) + "\n_xsdoctor\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
	cmd := exec.Command("bash", "--norc", "--noprofile", "-c", prog)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestCompletionOffersCommandsFlagsNamesAndCodes(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("bash is not installed: %v", err)
	}
	script := completionScript(t, "bash")
	tests := []struct {
		name  string
		words []string
		want  []string
		not   []string
	}{
		{"commands", []string{"xsdoctor", ""}, commands, nil},
		{"a command by prefix", []string{"xsdoctor", "ex"}, []string{"explain"}, []string{"emulate", "check"}},
		{"check flags", []string{"xsdoctor", "check", "--"}, []string{"--consumer", "--owner-role", "--live", "--output", "--timeout", "--debug"}, []string{"--scenario", "--list"}},
		{"-o values", []string{"xsdoctor", "check", "-o", ""}, outputFormats, nil},
		{"--output values", []string{"xsdoctor", "demo", "--output", "j"}, []string{"json"}, []string{"text"}},
		{"no flags after a value flag", []string{"xsdoctor", "check", "--consumer", ""}, nil, []string{"--live"}},
		{"demo names and flags", []string{"xsdoctor", "demo", ""}, []string{"classic-trap", "kms-key-is-disabled", "--list", "--scenario"}, nil},
		{"emulate names", []string{"xsdoctor", "emulate", "kms-key-is-"}, []string{"kms-key-is-disabled", "kms-key-is-pending-deletion"}, []string{"classic-trap"}},
		{"explain codes", []string{"xsdoctor", "explain", "KEY_"}, []string{"KEY_AWS_MANAGED", "KEY_RCP_DENY"}, []string{"IAM_SCP_DENY"}},
		{"shells", []string{"xsdoctor", "completion", ""}, shells, nil},
		{"help topics", []string{"xsdoctor", "help", "c"}, []string{"check", "completion"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := complete(t, script, tt.words...)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("completing %q offers %v, missing %s", tt.words, got, w)
				}
			}
			for _, w := range tt.not {
				if slices.Contains(got, w) {
					t.Errorf("completing %q offers %s", tt.words, w)
				}
			}
		})
	}
	// Every catalogue name and every code is in every shell's script.
	for _, shell := range shells {
		s := completionScript(t, shell)
		for _, w := range append(scenarios.Names(), explain.Codes()...) {
			if !strings.Contains(s, w) {
				t.Errorf("the %s script lacks %s", shell, w)
			}
		}
	}
}

// TestEveryCompletedCommandRuns: the commands completion offers are the ones run knows.
func TestEveryCompletedCommandRuns(t *testing.T) {
	for _, c := range commands {
		var stdout, stderr bytes.Buffer
		run(context.Background(), []string{c, "--help"}, nil, &stdout, &stderr)
		if strings.Contains(stderr.String(), "unknown command") {
			t.Errorf("completion offers %q, which run does not know", c)
		}
		if stdout.Len() == 0 {
			t.Errorf("%s --help prints nothing", c)
		}
	}
}

func TestCompletionRefusesUnknownShells(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"completion", "powershell"}, nil, &stdout, &stderr); code != exitUsage {
		t.Errorf("completion powershell: exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "bash, zsh, fish") {
		t.Errorf("the hint does not name the shells: %s", stderr.String())
	}
}

// TestEveryCommandRunKnowsIsCompleted reads run's dispatch (the switch on the command in run.go)
// and requires each command it accepts to be in commands, so a command added to run is also
// completed and listed in help.
func TestEveryCommandRunKnowsIsCompleted(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "run.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var dispatched []string
	ast.Inspect(f, func(n ast.Node) bool {
		sw, ok := n.(*ast.SwitchStmt)
		if !ok {
			return true
		}
		if id, ok := sw.Tag.(*ast.Ident); !ok || id.Name != "cmd" {
			return true
		}
		for _, stmt := range sw.Body.List {
			for _, e := range stmt.(*ast.CaseClause).List {
				if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					name, _ := strconv.Unquote(lit.Value)
					if !strings.HasPrefix(name, "-") {
						dispatched = append(dispatched, name)
					}
				}
			}
		}
		return false
	})
	if len(dispatched) < 5 {
		t.Fatalf("found only %v in run.go's dispatch: the test no longer reads it", dispatched)
	}
	for _, c := range dispatched {
		if !slices.Contains(commands, c) {
			t.Errorf("run dispatches %q, but commands (completion, help) lacks it", c)
		}
	}
}

// TestEveryFlagIsDocumented: each flag check and demo accept has a flagDoc, the one source of
// their --help and of completion.
func TestEveryFlagIsDocumented(t *testing.T) {
	for cmd, docs := range map[string][]flagDoc{"check": checkFlagDocs, "demo": demoFlagDocs} {
		var f checkFlags
		documented := map[string]bool{}
		for _, d := range docs {
			for _, n := range d.names {
				documented[n] = true
			}
		}
		newCheckFlagSet(cmd, &f).VisitAll(func(fl *flag.Flag) {
			if !documented[fl.Name] {
				t.Errorf("%s accepts --%s, which has no flagDoc: neither help nor completion shows it", cmd, fl.Name)
			}
		})
	}
}

// TestFishCompletesCodesNamesAndFormats asks fish itself what it would complete, when fish is
// installed (skipped, saying so, where it is not).
func TestFishCompletesCodesNamesAndFormats(t *testing.T) {
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("fish is not installed here, so its completions are not exercised")
	}
	file := filepath.Join(t.TempDir(), "xsdoctor.fish")
	if err := os.WriteFile(file, []byte(completionScript(t, "fish")), 0o600); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"xsdoctor ex":                  "explain",
		"xsdoctor explain KEY_AWS":     "KEY_AWS_MANAGED",
		"xsdoctor demo kms-key-is-dis": "kms-key-is-disabled",
		"xsdoctor emulate classic":     "classic-trap",
		"xsdoctor check --output ":     "markdown",
		"xsdoctor completion f":        "fish",
		"xsdoctor check --cons":        "--consumer",
	} {
		out, err := exec.Command(fish, "--no-config", "-c", "source "+file+"; complete -C '"+line+"'").CombinedOutput()
		if err != nil {
			t.Fatalf("fish: %v\n%s", err, out)
		}
		if !slices.Contains(strings.Fields(string(out)), want) {
			t.Errorf("fish completes %q with %q, want %s among them", line, strings.Fields(string(out)), want)
		}
	}
}

// TestZshOffersCodesNamesAndFormats runs the zsh completion function with compadd stubbed to
// print what it is given, when zsh is installed (skipped, saying so, where it is not).
func TestZshOffersCodesNamesAndFormats(t *testing.T) {
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("zsh is not installed here, so its completion function is not exercised")
	}
	file := filepath.Join(t.TempDir(), "_xsdoctor")
	if err := os.WriteFile(file, []byte(completionScript(t, "zsh")), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		words   string // zsh array literal
		current int
		want    string
	}{
		{`(xsdoctor "")`, 2, "explain"},
		{`(xsdoctor explain KEY)`, 3, "KEY_AWS_MANAGED"},
		{`(xsdoctor demo "")`, 3, "classic-trap"},
		{`(xsdoctor emulate "")`, 3, "--listen"},
		{`(xsdoctor check -o "")`, 4, "markdown"},
		{`(xsdoctor demo --scenario "")`, 4, "FILES"},
		{`(xsdoctor completion "")`, 3, "zsh"},
	}
	for _, tt := range tests {
		prog := `compdef(){}; compadd(){ shift; print -l -- "$@" }; _files(){ print FILES }; source ` + file +
			`; words=` + tt.words + `; CURRENT=` + strconv.Itoa(tt.current) + `; _xsdoctor`
		out, err := exec.Command(zsh, "-f", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("zsh: %v\n%s", err, out)
		}
		if !slices.Contains(strings.Fields(string(out)), tt.want) {
			t.Errorf("zsh offers %q after %s, want %s among them", strings.Fields(string(out)), tt.words, tt.want)
		}
	}
}
