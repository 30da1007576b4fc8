package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/report"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// loadDiagnosis reads one of the diagnoses under testdata (written in the SPEC §3 JSON form, so
// they double as examples of the contract).
func loadDiagnosis(t *testing.T, name string) xsdoctor.Diagnosis {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var d xsdoctor.Diagnosis
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; go test ./report -update rewrites it):\n%s", path, diff)
	}
}

var fixtures = []string{"aws-managed-key", "grant-open", "unknown-key-policy"}

func TestTextAndMarkdownMatchTheGoldenFiles(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			d := loadDiagnosis(t, name)
			var text, color, md bytes.Buffer
			if err := report.Text(&text, d, report.Options{}); err != nil {
				t.Fatal(err)
			}
			if err := report.Text(&color, d, report.Options{Color: true}); err != nil {
				t.Fatal(err)
			}
			if err := report.Markdown(&md, d); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", text.Bytes())
			golden(t, name+".md", md.Bytes())

			if strings.Contains(text.String(), "\x1b[") {
				t.Error("text without Options.Color contains an ANSI escape")
			}
			if !strings.Contains(color.String(), "\x1b[") {
				t.Error("text with Options.Color has no ANSI escape")
			}
			if stripANSI(color.String()) != text.String() {
				t.Error("coloured text differs from plain text by more than the escapes")
			}
		})
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestTextStartsWithTheVerdictAndListsEveryDoorOnItsOwnLine(t *testing.T) {
	for _, name := range fixtures {
		d := loadDiagnosis(t, name)
		var out bytes.Buffer
		if err := report.Text(&out, d, report.Options{}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(out.String(), "\n")
		if want := "verdict: " + strings.ToUpper(string(d.Verdict)); !strings.HasPrefix(lines[0], want) {
			t.Errorf("%s: first line %q does not start with %q", name, lines[0], want)
		}
		for _, id := range xsdoctor.Doors {
			found := false
			for _, l := range lines {
				if strings.HasPrefix(strings.TrimSpace(l), string(id)+" ") {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no line for door %s", name, id)
			}
		}
	}
}

func TestJSONIsDeterministicWhateverTheOrderOfDoorsFindingsAndCalls(t *testing.T) {
	d := loadDiagnosis(t, "aws-managed-key")
	var a bytes.Buffer
	if err := report.JSON(&a, d); err != nil {
		t.Fatal(err)
	}
	// Reverse every slice the probe or door could produce in another order.
	shuffled := d
	shuffled.Doors = reversed(d.Doors)
	shuffled.Calls = reversed(d.Calls)
	shuffled.Findings = append(reversed(d.Findings), xsdoctor.Finding{Code: xsdoctor.InputNotFullARN, Summary: "x"})
	d.Findings = append([]xsdoctor.Finding{{Code: xsdoctor.InputNotFullARN, Summary: "x"}}, d.Findings...)
	a.Reset()
	if err := report.JSON(&a, d); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.JSON(&b, shuffled); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.String(), b.String()); diff != "" {
		t.Errorf("JSON depends on input order:\n%s", diff)
	}
}

func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestJSONFollowsSPEC3(t *testing.T) {
	d := loadDiagnosis(t, "grant-open")
	d.Findings = nil // absent top-level findings must still be an array
	var out bytes.Buffer
	if err := report.JSON(&out, d); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["schema_version"] != xsdoctor.SchemaVersion {
		t.Errorf("schema_version = %v", got["schema_version"])
	}
	doors := got["doors"].([]any)
	var ids []string
	for _, door := range doors {
		ids = append(ids, door.(map[string]any)["door"].(string))
		if _, ok := door.(map[string]any)["findings"].([]any); !ok {
			t.Errorf("door %v: findings is not an array", door)
		}
	}
	if diff := cmp.Diff([]string{"key-policy", "secret-policy", "consumer-iam"}, ids); diff != "" {
		t.Errorf("doors not in SPEC order:\n%s", diff)
	}
	for _, key := range []string{"findings", "calls"} {
		if _, ok := got[key].([]any); !ok {
			t.Errorf("%s is %T, want an array", key, got[key])
		}
	}
	if _, ok := got["live"]; ok {
		t.Error("live present without a live read")
	}
	if !strings.HasPrefix(out.String(), "{\n  \"schema_version\"") {
		t.Errorf("not indented with two spaces:\n%.60s", out.String())
	}
}

func TestAMissingDoorIsShownUnknownNotDropped(t *testing.T) {
	d := loadDiagnosis(t, "grant-open")
	d.Doors = d.Doors[:1] // consumer-iam only
	var out bytes.Buffer
	if err := report.JSON(&out, d); err != nil {
		t.Fatal(err)
	}
	var got xsdoctor.Diagnosis
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Doors) != 3 || got.Doors[0].State != xsdoctor.StateUnknown || got.Doors[2].State != xsdoctor.StateOpen {
		t.Errorf("doors = %+v", got.Doors)
	}
}

func TestNoRendererPrintsAnAccessKeyID(t *testing.T) {
	d := loadDiagnosis(t, "unknown-key-policy")
	d.Live.Reason = "assume failed for AKIAIOSFODNN7EXAMPLE"
	d.Findings = append(d.Findings, xsdoctor.Finding{Code: xsdoctor.AssumeRoleFailed, Summary: "credentials ASIAEXAMPLEEXAMPLE34 expired",
		Evidence: []xsdoctor.Evidence{{Source: "sts:AssumeRole", Note: "key AKIAIOSFODNN7EXAMPLE"}}})
	for name, render := range map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return report.Text(b, d, report.Options{}) },
		"json":     func(b *bytes.Buffer) error { return report.JSON(b, d) },
		"markdown": func(b *bytes.Buffer) error { return report.Markdown(b, d) },
	} {
		var out bytes.Buffer
		if err := render(&out); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"AKIAIOSFODNN7EXAMPLE", "ASIAEXAMPLEEXAMPLE12", "ASIAEXAMPLEEXAMPLE34"} {
			if strings.Contains(out.String(), key) {
				t.Errorf("%s output contains access key id %s", name, key)
			}
		}
		if !strings.Contains(out.String(), "AKIA…(masked)") {
			t.Errorf("%s output does not show where a key was masked", name)
		}
	}
	// The caller's diagnosis is not modified.
	if !strings.Contains(d.Live.Reason, "AKIAIOSFODNN7EXAMPLE") {
		t.Error("rendering modified the caller's diagnosis")
	}
}

func TestMarkdownFencesCannotBeClosedByTheirContent(t *testing.T) {
	d := loadDiagnosis(t, "unknown-key-policy")
	var out bytes.Buffer
	if err := report.Markdown(&out, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "````json\n") {
		t.Errorf("a statement holding ``` is not fenced with four backticks:\n%s", out.String())
	}
	if !strings.Contains(out.String(), `prod\|pipes`) {
		t.Error("a pipe in a table cell is not escaped")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteErrorsAreReturned(t *testing.T) {
	d := loadDiagnosis(t, "aws-managed-key")
	if err := report.Text(failingWriter{}, d, report.Options{}); err == nil {
		t.Error("Text: no error from a failing writer")
	}
	if err := report.JSON(failingWriter{}, d); err == nil {
		t.Error("JSON: no error from a failing writer")
	}
	if err := report.Markdown(failingWriter{}, d); err == nil {
		t.Error("Markdown: no error from a failing writer")
	}
}

// BenchmarkRender measures each renderer on the largest fixture (a closed door with a fix and
// evidence): a report is rendered once per run, so this only guards against a pathological
// regression.
func BenchmarkRender(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "aws-managed-key.json"))
	if err != nil {
		b.Fatal(err)
	}
	var d xsdoctor.Diagnosis
	if err := json.Unmarshal(raw, &d); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for name, render := range map[string]func() error{
		"text":     func() error { return report.Text(&buf, d, report.Options{Color: true}) },
		"json":     func() error { return report.JSON(&buf, d) },
		"markdown": func() error { return report.Markdown(&buf, d) },
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := render(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The renderers know no finding code: a code they have never heard of is the door's headline
// when its effect explains the door's state, and a top-level finding that closes is named as
// the precondition that blocks the read.
func TestTheHeadlineIsChosenByEffectNotByCode(t *testing.T) {
	d := xsdoctor.Diagnosis{
		Secret:   xsdoctor.SecretSummary{ARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf"},
		Consumer: xsdoctor.ConsumerSummary{Principal: "arn:aws:iam::222222222222:role/app"},
		Verdict:  xsdoctor.StateClosed,
		Doors: []xsdoctor.Door{
			{Door: xsdoctor.DoorKeyPolicy, State: xsdoctor.StateClosed, Findings: []xsdoctor.Finding{
				{Code: "AAA_NOTE_FROM_THE_FUTURE", Effect: xsdoctor.EffectInfo, Summary: "a note"},
				{Code: "ZZZ_CLOSES_FROM_THE_FUTURE", Effect: xsdoctor.EffectCloses, Summary: "the reason"},
			}},
			{Door: xsdoctor.DoorSecretPolicy, State: xsdoctor.StateOpen},
			{Door: xsdoctor.DoorConsumerIAM, State: xsdoctor.StateOpen},
		},
	}
	var b bytes.Buffer
	if err := report.Text(&b, d, report.Options{}); err != nil {
		t.Fatal(err)
	}
	var doorLine string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "key-policy ") {
			doorLine = l
			break
		}
	}
	if !strings.Contains(doorLine, "ZZZ_CLOSES_FROM_THE_FUTURE") {
		t.Errorf("the key-policy line does not lead with the finding that closes it:\n%s", b.String())
	}

	d.Doors[0] = xsdoctor.Door{Door: xsdoctor.DoorKeyPolicy, State: xsdoctor.StateOpen}
	d.Findings = []xsdoctor.Finding{
		{Code: "AAA_INFO_FROM_THE_FUTURE", Effect: xsdoctor.EffectInfo, Summary: "a note"},
		{Code: "ZZZ_BLOCKS_FROM_THE_FUTURE", Effect: xsdoctor.EffectCloses, Summary: "the precondition"},
	}
	b.Reset()
	if err := report.Text(&b, d, report.Options{}); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(b.String(), "\n")
	if !strings.Contains(first, "ZZZ_BLOCKS_FROM_THE_FUTURE") || strings.Contains(first, "AAA_INFO_FROM_THE_FUTURE") {
		t.Errorf("the verdict line should name the closing precondition and only it: %q", first)
	}
}
