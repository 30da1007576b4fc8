package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTheProductStandsAlone: the README and the reference in docs/ point at nothing outside the
// repository (a user who installed the binary has no development checkout beside it), every
// relative link resolves, and the install line is on the README's first screen.
func TestTheProductStandsAlone(t *testing.T) {
	root := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "README.md"), filepath.Join(root, "CHANGELOG.md"))
	outside := regexp.MustCompile(`\.\./shared|SPEC\.md|SPEC §|aws-semantics`)
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)\s]*)?\)`)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		for i, line := range strings.Split(string(data), "\n") {
			if m := outside.FindString(line); m != "" {
				t.Errorf("%s:%d points outside the repository (%s): %s", rel, i+1, m, line)
			}
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			path := filepath.Join(filepath.Dir(file), target)
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist", rel, target)
				continue
			}
			if anchor := strings.TrimPrefix(m[2], "#"); anchor != "" && strings.HasSuffix(path, ".md") {
				doc, _ := os.ReadFile(path)
				if !hasAnchor(string(doc), anchor) {
					t.Errorf("%s links to %s#%s, which has no such heading", rel, target, anchor)
				}
			}
		}
	}

	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	firstScreen := strings.Join(strings.SplitN(string(readme), "\n", 41)[:40], "\n")
	if !strings.Contains(firstScreen, "go install github.com/xsdoctor/xsdoctor/cmd/xsdoctor@latest") {
		t.Error("the README's first screen (40 lines) lacks the one-line install")
	}
	// In-page links of the README (the user's path) resolve too.
	for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(string(readme), -1) {
		if !hasAnchor(string(readme), m[1]) {
			t.Errorf("README links to #%s, which has no such heading", m[1])
		}
	}
}

// hasAnchor reports whether a markdown document has a heading whose GitHub anchor is anchor:
// lower case, spaces to dashes, punctuation other than dashes and underscores dropped.
func hasAnchor(doc, anchor string) bool {
	for _, line := range strings.Split(doc, "\n") {
		title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if !ok || !strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		if b.String() == anchor {
			return true
		}
	}
	return false
}

// TestDocsCLIDescribesEveryCommandAndFlag keeps docs/cli.md up with the command line: every
// command run dispatches and every flag of check, demo and emulate is described there.
func TestDocsCLIDescribesEveryCommandAndFlag(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	headings := strings.Join(regexp.MustCompile("(?m)^## .*$").FindAllString(string(doc), -1), "\n")
	for _, c := range commands {
		if c != "help" && !regexp.MustCompile("`"+c+"( [^`]*)?`").MatchString(headings) {
			t.Errorf("docs/cli.md has no section for %s", c)
		}
	}
	for cmd, docs := range map[string][]flagDoc{"check": checkFlagDocs, "demo": demoFlagDocs, "emulate": emulateFlagDocs} {
		for _, d := range docs {
			if !strings.Contains(string(doc), "`--"+d.names[0]) {
				t.Errorf("docs/cli.md does not describe %s --%s", cmd, d.names[0])
			}
		}
	}
}
