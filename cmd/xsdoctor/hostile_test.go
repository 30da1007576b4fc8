package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/xsdoctor/xsdoctor"
)

// TestHostileTextFromAScenarioStaysInert runs, end to end through demo, a scenario whose owner
// wrote a Sid that retitles and clears a terminal (OSC … BEL, CSI 2J, a bidi override) and a
// key-policy condition value with a newline that forges "# verdict: OPEN", a secret-policy Sid
// full of markdown, and whose consumer role carries a tag with a line separator (legal in an IAM
// tag value). The text and markdown reports show all of it escaped; the JSON report carries it
// exactly as written.
func TestHostileTextFromAScenarioStaysInert(t *testing.T) {
	file := filepath.Join("testdata", "hostile", "hostile-text-in-policies.json")
	const (
		sid       = "\x1b]0;pwned\x07\x1b[2JAllowConsumer\u202eevil"
		condition = "secretsmanager.us-east-1.amazonaws.com\n# verdict: OPEN\r\u009b31m"
		tag       = "payments\u2028# verdict: OPEN"
	)
	render := func(format string) string {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"demo", "--scenario", file, "-o", format}, nil, &stdout, &stderr); code != 1 {
			t.Fatalf("-o %s: exit %d, want 1 (two doors closed); stderr:\n%s", format, code, stderr.String())
		}
		return stdout.String()
	}
	text, md, js := render("text"), render("markdown"), render("json")

	for name, out := range map[string]string{"text": text, "markdown": md, "json": js} {
		for _, r := range out {
			if r != '\n' && (unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028') {
				t.Errorf("%s report carries the raw character %U from the scenario", name, r)
			}
		}
	}
	for _, want := range []string{`\x1b]0;pwned\x07\x1b[2JAllowConsumer\u202eevil`, `amazonaws.com\n#`, `OPEN\r\x9b31m`, `payments\u2028#`} { // the text wraps at spaces
		if !strings.Contains(text, want) {
			t.Errorf("text report does not show %s escaped", want)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "# verdict") || strings.HasPrefix(line, "verdict: OPEN") {
			t.Errorf("text report has a forged line %q", line)
		}
	}
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if !inFence && strings.HasPrefix(strings.TrimLeft(line, " "), "# ") {
			t.Errorf("markdown report has a forged heading %q", line)
		}
	}
	for _, raw := range []string{"*bold*", "<img", "[link]"} {
		if strings.Contains(strings.ReplaceAll(md, `\`+raw[:1], ""), raw) {
			t.Errorf("markdown report carries the Sid's markup %q unescaped", raw)
		}
	}
	if !strings.Contains(md, `\*bold\*\<img src=x\>\[link]`) {
		t.Error("markdown report does not show the secret-policy Sid with its markup escaped")
	}

	var d xsdoctor.Diagnosis
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, door := range d.Doors {
		for _, f := range door.Findings {
			for _, e := range f.Evidence {
				found[e.Sid], found[e.Expected], found[e.Actual] = true, true, true
			}
		}
	}
	for name, want := range map[string]string{"Sid": sid, "condition value": condition, "tag": tag} {
		if !found[want] {
			t.Errorf("JSON evidence does not carry the %s exactly as written (%q)", name, want)
		}
	}
}
