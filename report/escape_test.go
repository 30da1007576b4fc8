package report_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/report"
)

// Hostile strings an owner or consumer account can write into a Sid, a condition value, a tag, a
// role name or an error message (issue #13).
var hostile = []string{
	"\x1b]0;pwned\x07\x1b[2J",                        // OSC retitle + BEL, then CSI clear screen
	"ok\n# verdict: OPEN",                            // a newline forging a heading / report line
	"value\r\u009b31mred",                            // CR overwrite, C1 CSI
	"\u202eevil\u2066x\u2069",                        // bidi override and isolate
	"tag\u2028# verdict: OPEN",                       // line separator (legal in an IAM tag value)
	"Read`|`*bold*<img src=x>[link](http://e.x) $x$", // markdown markup, table pipe, code span
	"bad\xffutf8\x00nul\x7fdel",                      // invalid UTF-8, NUL, DEL
}

// fillStrings sets every string in v (recursively through structs, pointers and slices of one
// element) to s and every int to 1, so that a renderer sees hostile text in every field of the
// vocabulary, including fields added later.
func fillStrings(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillStrings(v.Elem(), s)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fillStrings(v.Index(0), s)
	case reflect.Struct:
		for i := range v.NumField() {
			fillStrings(v.Field(i), s)
		}
	}
}

// hostileDiagnosis is a diagnosis whose every string field is s, except the door ids (the
// renderers show the three doors of SPEC §3 and nothing else).
func hostileDiagnosis(s string) xsdoctor.Diagnosis {
	var d xsdoctor.Diagnosis
	fillStrings(reflect.ValueOf(&d).Elem(), s)
	var f xsdoctor.Finding
	fillStrings(reflect.ValueOf(&f).Elem(), s)
	d.Doors = nil
	for _, id := range xsdoctor.Doors {
		d.Doors = append(d.Doors, xsdoctor.Door{Door: id, State: xsdoctor.StateClosed, Findings: []xsdoctor.Finding{f}})
	}
	return d
}

func TestHostileTextFromAWSStaysInertInEveryRenderer(t *testing.T) {
	for _, s := range hostile {
		t.Run(strings.ToValidUTF8(s, "?"), func(t *testing.T) {
			d := hostileDiagnosis(s)
			var text, color, md, js bytes.Buffer
			if err := report.Text(&text, d, report.Options{}); err != nil {
				t.Fatal(err)
			}
			if err := report.Text(&color, d, report.Options{Color: true}); err != nil {
				t.Fatal(err)
			}
			if err := report.Markdown(&md, d); err != nil {
				t.Fatal(err)
			}
			if err := report.JSON(&js, d); err != nil {
				t.Fatal(err)
			}
			for _, p := range TerminalProblems(text.String()) {
				t.Errorf("text: %s", p)
			}
			// With colour the only escapes are the renderer's own SGR sequences.
			for _, p := range TerminalProblems(stripANSI(color.String())) {
				t.Errorf("coloured text: %s", p)
			}
			for _, p := range MarkdownProblems(md.String()) {
				t.Errorf("markdown: %s", p)
			}
			for _, p := range RawControls(js.String()) {
				t.Errorf("json: %s", p)
			}
			// JSON keeps data as data: the hostile text decodes back exactly (invalid UTF-8 becomes
			// U+FFFD, as encoding/json always does).
			var back xsdoctor.Diagnosis
			if err := json.Unmarshal(js.Bytes(), &back); err != nil {
				t.Fatalf("JSON report does not decode: %v", err)
			}
			want := strings.ToValidUTF8(s, "\uFFFD")
			f := back.Doors[0].Findings[0]
			for name, got := range map[string]string{"summary": f.Summary, "sid": f.Evidence[0].Sid, "condition value": f.Evidence[0].Expected, "fix statement": f.Fix.Statement, "live reason": back.Live.Reason, "secret arn": back.Secret.ARN} {
				if got != want {
					t.Errorf("JSON %s = %q, want the original %q", name, got, want)
				}
			}
		})
	}
}

// TerminalProblems lists what in out could act on a terminal instead of being shown (RawControls)
// and a report line that a value forged: "verdict: OPEN" or "# verdict" at the start of a line,
// where the renderer writes its own verdict.
func TerminalProblems(out string) []string {
	problems := RawControls(out)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "# verdict") || strings.HasPrefix(line, "verdict: OPEN") {
			problems = append(problems, "forged line "+line)
		}
	}
	return problems
}

// RawControls lists every control character in out but the newline that ends a line, every bidi
// control and every line or paragraph separator.
func RawControls(out string) []string {
	var problems []string
	for _, r := range out {
		if r != '\n' && (unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029') {
			problems = append(problems, "raw control or bidi character "+strconvQuoteRune(r))
		}
	}
	return problems
}

// MarkdownProblems lists markup that a value injected into a markdown report: raw controls,
// a heading the renderer did not write, an unescaped emphasis, HTML, link, math or code-span
// character outside a code span, or a table row with more cells than its header.
func MarkdownProblems(out string) []string {
	problems := RawControls(out)
	inFence, cols := "", 0
	for _, line := range strings.Split(out, "\n") {
		if inFence != "" {
			if strings.TrimSpace(line) == inFence {
				inFence = ""
			}
			continue
		}
		if strings.HasPrefix(line, "```") {
			inFence = strings.TrimRight(line, "abcdefghijklmnopqrstuvwxyz")
			continue
		}
		if strings.HasPrefix(line, "#") {
			ok := false
			for _, h := range []string{"## xsdoctor: ", "### Findings", "### Live `GetSecretValue`", "#### "} {
				ok = ok || strings.HasPrefix(line, h)
			}
			if !ok {
				problems = append(problems, "heading the renderer did not write: "+line)
			}
		}
		// The renderer's own markup: bold markers and the collapsed calls table.
		bare := strings.NewReplacer("**", "", "<details><summary>", "", "</summary>", "", "</details>", "").Replace(stripCodeSpans(line))
		for i := 0; i < len(bare); i++ {
			switch c := bare[i]; {
			case c == '\\':
				i++ // an escaped character
			case strings.IndexByte("*<[`$~&", c) >= 0:
				problems = append(problems, "unescaped "+string(c)+" in: "+line)
			}
		}
		if strings.HasPrefix(line, "|") {
			n := unescapedPipes(line)
			if strings.HasPrefix(line, "|---") || cols == 0 {
				cols = n
			} else if n != cols {
				problems = append(problems, "table row with a forged cell: "+line)
			}
		} else {
			cols = 0
		}
	}
	return problems
}

// stripCodeSpans removes `…`, “ … “ spans (CommonMark: a run of n backticks closes on the
// next run of exactly n), leaving CODE in their place.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] == '\\' && i+1 < len(line) {
			b.WriteString(line[i : i+2])
			i += 2
			continue
		}
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		fence := strings.Repeat("`", n)
		rest := line[i+n:]
		closed := -1
		for j := 0; j < len(rest); {
			k := strings.Index(rest[j:], fence)
			if k < 0 {
				break
			}
			k += j
			if (k+n >= len(rest) || rest[k+n] != '`') && (k == 0 || rest[k-1] != '`') {
				closed = k
				break
			}
			j = k + 1
		}
		if closed < 0 {
			b.WriteString(line[i:]) // an unclosed span: the backticks stay and are reported
			return b.String()
		}
		b.WriteString("CODE")
		i += n + closed + n
	}
	return b.String()
}

func unescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func strconvQuoteRune(r rune) string {
	b, _ := json.Marshal(string(r))
	return string(b)
}
