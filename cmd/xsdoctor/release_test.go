package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// The release configuration is YAML for GoReleaser, which is not a dependency of this module: a
// small reader of the block-style subset the file uses (maps, lists, scalars, comments) lets CI
// check it without one.

type yamlLine struct {
	indent int
	text   string
	no     int
}

func parseYAML(data string) (any, error) {
	var lines []yamlLine
	for i, raw := range strings.Split(data, "\n") {
		text := stripComment(raw)
		if strings.TrimSpace(text) == "" {
			continue
		}
		if strings.Contains(text, "\t") {
			return nil, fmt.Errorf("line %d: a tab in YAML indentation", i+1)
		}
		trimmed := strings.TrimLeft(text, " ")
		lines = append(lines, yamlLine{indent: len(text) - len(trimmed), text: strings.TrimRight(trimmed, " "), no: i + 1})
	}
	v, rest, err := parseBlock(lines, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("line %d: unexpected indentation", rest[0].no)
	}
	return v, nil
}

// stripComment drops a # comment that is not inside quotes.
func stripComment(s string) string {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#' && (i == 0 || s[i-1] == ' '):
			return s[:i]
		}
	}
	return s
}

func parseBlock(lines []yamlLine, indent int) (any, []yamlLine, error) {
	if len(lines) == 0 {
		return nil, nil, nil
	}
	if lines[0].indent != indent {
		return nil, nil, fmt.Errorf("line %d: indentation %d, want %d", lines[0].no, lines[0].indent, indent)
	}
	if lines[0].text == "-" || strings.HasPrefix(lines[0].text, "- ") {
		var list []any
		for len(lines) > 0 && lines[0].indent == indent && (lines[0].text == "-" || strings.HasPrefix(lines[0].text, "- ")) {
			item := strings.TrimSpace(strings.TrimPrefix(lines[0].text, "-"))
			switch {
			case item == "":
				v, rest, err := parseBlock(lines[1:], nextIndent(lines[1:], indent))
				if err != nil {
					return nil, nil, err
				}
				list, lines = append(list, v), rest
			case isMapEntry(item):
				// "- key: value" opens a map whose keys are indented under "key".
				sub := append([]yamlLine{{indent: indent + 2, text: item, no: lines[0].no}}, lines[1:]...)
				v, rest, err := parseBlock(sub, indent+2)
				if err != nil {
					return nil, nil, err
				}
				list, lines = append(list, v), rest
			default:
				list, lines = append(list, scalar(item)), lines[1:]
			}
		}
		return list, lines, nil
	}
	m := map[string]any{}
	for len(lines) > 0 && lines[0].indent == indent {
		l := lines[0]
		if !isMapEntry(l.text) {
			return nil, nil, fmt.Errorf("line %d: want key: value, got %q", l.no, l.text)
		}
		key, val, _ := strings.Cut(l.text, ":")
		key, val = scalar(strings.TrimSpace(key)).(string), strings.TrimSpace(val)
		if _, dup := m[key]; dup {
			return nil, nil, fmt.Errorf("line %d: key %q twice", l.no, key)
		}
		lines = lines[1:]
		if val != "" {
			m[key] = scalar(val)
			continue
		}
		if len(lines) == 0 || lines[0].indent <= indent {
			m[key] = nil
			continue
		}
		v, rest, err := parseBlock(lines, lines[0].indent)
		if err != nil {
			return nil, nil, err
		}
		m[key], lines = v, rest
	}
	if len(lines) > 0 && lines[0].indent > indent {
		return nil, nil, fmt.Errorf("line %d: unexpected indentation", lines[0].no)
	}
	return m, lines, nil
}

func nextIndent(lines []yamlLine, indent int) int {
	if len(lines) > 0 && lines[0].indent > indent {
		return lines[0].indent
	}
	return indent + 2
}

var mapEntry = regexp.MustCompile(`^("[^"]*"|'[^']*'|[^"'\s][^:]*):(\s|$)`)

func isMapEntry(s string) bool { return mapEntry.MatchString(s) }

func scalar(s string) any {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

func TestTheYAMLReaderReadsTheSubsetAndRefusesTheRest(t *testing.T) {
	v, err := parseYAML("a: 1 # comment\nb:\n  - x\n  - k: v\n    l: \"w # not a comment\"\nc:\n  d: e\n")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(v)
	if want := "map[a:1 b:[x map[k:v l:w # not a comment]] c:map[d:e]]"; got != want {
		t.Errorf("parsed %s, want %s", got, want)
	}
	for _, bad := range []string{"a: 1\n   b: 2\n", "a: 1\na: 2\n", "a:\n\t- x\n", "just text\n"} {
		if _, err := parseYAML(bad); err == nil {
			t.Errorf("parseYAML(%q) accepted it", bad)
		}
	}
}

// wantTargets are the six release targets: static binaries for the three systems on both
// architectures.
var wantTargets = []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"}

func TestReleaseConfigurationBuildsSixStaticStampedBinariesWithChecksums(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseYAML(string(data))
	if err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	cfg := doc.(map[string]any)
	if cfg["version"] != "2" {
		t.Errorf("version is %v, want 2 (GoReleaser's configuration format)", cfg["version"])
	}
	builds, _ := cfg["builds"].([]any)
	if len(builds) != 1 {
		t.Fatalf("want one build, got %d", len(builds))
	}
	b := builds[0].(map[string]any)
	strs := func(k string) []string {
		var out []string
		list, _ := b[k].([]any)
		for _, v := range list {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	if b["main"] != "./cmd/xsdoctor" || b["binary"] != "xsdoctor" {
		t.Errorf("build main %v binary %v, want ./cmd/xsdoctor and xsdoctor", b["main"], b["binary"])
	}
	if !slices.Contains(strs("env"), "CGO_ENABLED=0") {
		t.Errorf("env %v lacks CGO_ENABLED=0: the binaries must be static", strs("env"))
	}
	if !slices.Contains(strs("flags"), "-trimpath") {
		t.Errorf("flags %v lack -trimpath", strs("flags"))
	}
	if ld := strings.Join(strs("ldflags"), " "); !strings.Contains(ld, "-X main.version={{.Version}}") {
		t.Errorf("ldflags %q do not stamp main.version", ld)
	}
	var targets []string
	for _, goos := range strs("goos") {
		for _, goarch := range strs("goarch") {
			targets = append(targets, goos+"/"+goarch)
		}
	}
	slices.Sort(targets)
	if !slices.Equal(targets, wantTargets) {
		t.Errorf("targets %v, want %v", targets, wantTargets)
	}
	if ignore, ok := b["ignore"]; ok {
		t.Errorf("the build ignores %v: every target must be built", ignore)
	}
	sum, _ := cfg["checksum"].(map[string]any)
	if sum == nil || sum["algorithm"] != "sha256" {
		t.Errorf("checksum %v, want algorithm sha256", cfg["checksum"])
	}

	// scripts/release.sh builds the same targets with the same flags.
	script, err := os.ReadFile(filepath.Join(root, "scripts", "release.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)targets=\((.*?)\)`).FindSubmatch(script)
	if m == nil {
		t.Fatal("scripts/release.sh has no targets=( … ) list")
	}
	scriptTargets := strings.Fields(string(m[1]))
	slices.Sort(scriptTargets)
	if !slices.Equal(scriptTargets, wantTargets) {
		t.Errorf("scripts/release.sh builds %v, want %v", scriptTargets, wantTargets)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=", "sha256sum"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("scripts/release.sh lacks %s", want)
		}
	}
}

// TestReleaseScriptIsValidBash: the script parses (it is too slow to build six targets in CI).
func TestReleaseScriptIsValidBash(t *testing.T) {
	out, err := exec.Command("bash", "-n", filepath.Join("..", "..", "scripts", "release.sh")).CombinedOutput()
	if err != nil {
		t.Errorf("bash -n scripts/release.sh: %v\n%s", err, out)
	}
}

// TestVersionOfAnInstalledModuleIsItsTag: "go install …@v1.4.0" records v1.4.0 as the main
// module's version; xsdoctor version must print it.
func TestVersionOfAnInstalledModuleIsItsTag(t *testing.T) {
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"go install at a tag", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0 go1.26.0"},
		{"a pseudo-version", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261206051500-abcdef123456"}}, "v0.0.0-20261206051500-abcdef123456 go1.26.0"},
		{"a checkout with VCS stamping", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}, "devel-0123456789ab-dirty go1.26.0"},
		{"a checkout without VCS", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: ""}}, "(devel) go1.26.0"},
		{"no build info", nil, "(unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionFrom(tt.info); got != tt.want {
				t.Errorf("version %q, want %q", got, tt.want)
			}
		})
	}
}
