package door

import (
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkCheck measures Check on the classic setup with every door open: both requests
// evaluated on each side, the simulator reconciled, the residual guardrails listed.
func BenchmarkCheck(b *testing.B) {
	f := working()
	b.ReportAllocs()
	for b.Loop() {
		_ = Check(f)
	}
}

// BenchmarkCheckClosedDoors measures the slower path: every door closed, each with its
// explanation and fix (near misses, raw statement scans, Terraform rendering).
func BenchmarkCheckClosedDoors(b *testing.B) {
	raw, err := os.ReadFile("testdata/two-doors-closed-decided-through-throttling.json")
	if err != nil {
		b.Fatal(err)
	}
	var ff factsFile
	if err := json.Unmarshal(raw, &ff); err != nil {
		b.Fatal(err)
	}
	f := ff.Facts
	f.Key.Policy = doc(rootStatement)
	b.ReportAllocs()
	for b.Loop() {
		_ = Check(f)
	}
}
