package errtext

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse: Parse never panics, answers the same twice, returns either an error or a result with
// a format, and — for plain text, not JSON — a principal and a resource copied from the text
// exactly as written. Seeded with every corpus form; "go test" runs the seeds.
func FuzzParse(f *testing.F) {
	for _, c := range loadCorpusFiles(f) {
		f.Add(c)
	}
	f.Add("User: is not authorized to perform: on resource:  because no ")
	f.Add(`{"Records":[{"eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","errorCode":"AccessDenied"}]}`)
	f.Add(`{"Events":[{"CloudTrailEvent":"{\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"Decrypt\",\"errorMessage\":\"x\"}"}]}`)
	f.Fuzz(func(t *testing.T, text string) {
		e, err := Parse(text)
		e2, err2 := Parse(text)
		if e != e2 || (err == nil) != (err2 == nil) {
			t.Fatalf("Parse is not deterministic: %+v %v / %+v %v", e, err, e2, err2)
		}
		if err != nil {
			return
		}
		if e.Format == "" {
			t.Fatalf("result without a format: %+v", e)
		}
		// Text read as JSON is decoded (escapes, invalid UTF-8 replaced): the invariant holds for
		// plain text.
		if !strings.ContainsAny(text, `\{[`) {
			for name, v := range map[string]string{"principal": e.Principal, "resource": e.Resource} {
				if v != "" && !strings.Contains(text, v) {
					t.Fatalf("%s %q is not in the text as written", name, v)
				}
			}
		}
	})
}

// loadCorpusFiles returns the corpus inputs for seeding.
func loadCorpusFiles(f *testing.F) []string {
	var out []string
	for _, c := range loadCorpusTB(f) {
		out = append(out, c.input)
	}
	return out
}

// TestParseTimeIsLinear: doubling adversarial input roughly doubles the time; a quadratic scan
// would take four times as long. The bound is loose (machines are noisy), the sizes large enough
// for a quadratic scan to blow it.
func TestParseTimeIsLinear(t *testing.T) {
	unit := " is not authorized to perform: x" + strings.Repeat("User: ", 40) + "{\"a\":\"Access to KMS is not allow"
	measure := func(n int) time.Duration {
		text := strings.Repeat(unit, n)
		start := time.Now()
		_, _ = Parse(text)
		return time.Since(start)
	}
	measure(1000) // warm up
	small, large := measure(4000), measure(16000)
	if large > 16*small+50*time.Millisecond {
		t.Errorf("4x the input took %v against %v: not linear", large, small)
	}
}

// BenchmarkParse parses every corpus file once per iteration.
func BenchmarkParse(b *testing.B) {
	cases := loadCorpusTB(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range cases {
			_, _ = Parse(c.input)
		}
	}
}
