package awsemu

import (
	"os"
	"path/filepath"
	"testing"
)

// scenarioDir is where the shared scenarios live; XSDOCTOR_SCENARIOS names another directory.
func scenarioDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("XSDOCTOR_SCENARIOS"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "..", "shared", "scenarios")
}

func sharedScenarioFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(scenarioDir(t), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scenarios in %s (set XSDOCTOR_SCENARIOS to the directory holding them)", scenarioDir(t))
	}
	return files
}

func TestEverySharedScenarioLoads(t *testing.T) {
	for _, f := range sharedScenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, warnings, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range warnings {
				t.Errorf("warning: %s", w)
			}
			if s.Check.Secret == "" || len(s.AccountIDs) == 0 {
				t.Errorf("loaded an empty scenario: %+v", s)
			}
		})
	}
}
