package door

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden from the current output")

// TestGoldenDiagnoses pins the whole JSON diagnosis of a few recorded scenarios: every word of a
// summary, every piece of evidence and every fix. go test ./door -update rewrites them.
func TestGoldenDiagnoses(t *testing.T) {
	for _, name := range []string{
		"aws-managed-key-cannot-be-shared",
		"key-policy-via-service-names-wrong-region",
		"consumer-scp-denies-secrets-from-other-orgs",
		"secret-policy-denies-principals-outside-owner-org",
		"consumer-kms-statement-names-alias-arn",
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var ff factsFile
			if err := json.Unmarshal(raw, &ff); err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(Check(ff.Facts), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./door -update to create it)", err)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
				t.Errorf("%s differs (-want +got; go test ./door -update rewrites it):\n%s", path, diff)
			}
		})
	}
}
