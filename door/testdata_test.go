package door

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
)

// testdata/*.json hold the facts the probe read from the emulator for each shared scenario
// (../shared/scenarios), with the scenario's expected diagnosis: Check alone must reach it, so a
// regression in door shows here even when the probe or the emulator also changed.
type factsFile struct {
	Name    string         `json:"name"`
	Summary string         `json:"summary"`
	Facts   xsdoctor.Facts `json:"facts"`
	Expect  struct {
		Doors    map[xsdoctor.DoorID]xsdoctor.State `json:"doors"`
		Findings []xsdoctor.Code                    `json:"findings"`
		ExitCode int                                `json:"exit_code"`
		Live     string                             `json:"live"`
	} `json:"expect"`
}

func TestCheckRecordedFacts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 20 {
		t.Fatalf("want the facts of at least 20 scenarios in testdata, found %d (%v)", len(files), err)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var ff factsFile
		if err := json.Unmarshal(b, &ff); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		t.Run(strings.ReplaceAll(ff.Summary, "/", " "), func(t *testing.T) {
			d := Check(ff.Facts)
			for id, want := range ff.Expect.Doors {
				if got := doorOf(d, id).State; got != want {
					t.Errorf("%s: door %s = %s, want %s", ff.Name, id, got, want)
				}
			}
			for _, c := range ff.Expect.Findings {
				if _, ok := findCode(d, c); !ok {
					t.Errorf("%s: finding %s missing; have %v", ff.Name, c, codes(d))
				}
			}
			if want := verdictFor[ff.Expect.ExitCode]; d.Verdict != want {
				t.Errorf("%s: verdict %s, want %s (exit code %d)", ff.Name, d.Verdict, want, ff.Expect.ExitCode)
			}
			// Live only reports: it never changes a door, the verdict or the exit code.
			noLive := ff.Facts
			noLive.Live = nil
			if v := Check(noLive).Verdict; v != d.Verdict {
				t.Errorf("%s: the live result changed the verdict: %s without it, %s with it", ff.Name, v, d.Verdict)
			}
			checkShape(t, d)
		})
	}
}
