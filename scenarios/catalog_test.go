package scenarios

import (
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

func TestTheCatalogueListsEveryFileWithANameAndASummary(t *testing.T) {
	entries, err := List()
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := fs.Glob(files, "*.json")
	if len(entries) != len(paths) || len(entries) < 21 {
		t.Fatalf("List has %d entries for %d files; the catalogue ships at least 21", len(entries), len(paths))
	}
	if !slices.IsSortedFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("List is not sorted by name")
	}
	if !slices.Contains(Names(), Default) {
		t.Errorf("the default scenario %q is not in the catalogue", Default)
	}
	for _, e := range entries {
		data, ok := Get(e.Name)
		if !ok {
			t.Errorf("Get(%q) finds nothing", e.Name)
			continue
		}
		var s struct {
			Check  map[string]any `json:"check"`
			Expect map[string]any `json:"expect"`
		}
		if err := json.Unmarshal(data, &s); err != nil {
			t.Errorf("%s: %v", e.Name, err)
		}
		if s.Check == nil || s.Expect == nil {
			t.Errorf("%s: a catalogue scenario needs a check block and an expect block", e.Name)
		}
	}
}

func TestGetRefusesNamesOutsideTheCatalogue(t *testing.T) {
	for _, name := range []string{"", "nope", "../go", "classic-trap.json", "Classic-Trap", "*"} {
		if _, ok := Get(name); ok {
			t.Errorf("Get(%q) found a scenario", name)
		}
	}
}
