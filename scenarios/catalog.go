// Package scenarios is xsdoctor's built-in scenario catalogue: every NAME.json file in this
// directory, embedded in the binary, so that "xsdoctor demo NAME" and "xsdoctor emulate NAME"
// work without a checkout. A scenario is a whole AWS setup in the emulator's format (see
// docs/scenarios.md) with a one-line summary and the diagnosis xsdoctor should make of it.
//
// Adding a scenario is adding a file: the name is the file name without ".json" (lowercase
// letters, digits and dashes) and must equal the file's "name" field.
package scenarios

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.json
var files embed.FS

// Default is the scenario "xsdoctor demo" runs without a name: the AWS managed key trap.
const Default = "classic-trap"

// Entry is one scenario of the catalogue.
type Entry struct {
	Name    string // the file name without .json
	Summary string // one line
}

// validName is the shape of a catalogue name.
var validName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// List returns every scenario of the catalogue, sorted by name. It fails when a file is not a
// scenario the catalogue can list: a name that is not lowercase-with-dashes, a "name" field that
// differs from the file name, or a summary that is missing or longer than one line.
func List() ([]Entry, error) {
	paths, err := fs.Glob(files, "*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	entries := make([]Entry, 0, len(paths))
	for _, p := range paths {
		name := strings.TrimSuffix(p, ".json")
		data, err := files.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var head struct {
			Name    string `json:"name"`
			Summary string `json:"summary"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("built-in scenario %s: %w", p, err)
		}
		switch {
		case !validName.MatchString(name):
			return nil, fmt.Errorf("built-in scenario %s: a name is lowercase letters, digits and dashes", p)
		case head.Name != name:
			return nil, fmt.Errorf("built-in scenario %s: its name field is %q, want %q (the file name)", p, head.Name, name)
		case strings.TrimSpace(head.Summary) == "" || strings.ContainsAny(head.Summary, "\r\n"):
			return nil, fmt.Errorf("built-in scenario %s: the summary must be one non-empty line", p)
		}
		entries = append(entries, Entry{Name: name, Summary: head.Summary})
	}
	return entries, nil
}

// Names returns the names of the catalogue, sorted; a catalogue List cannot read gives none.
func Names() []string {
	entries, _ := List()
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name
	}
	return names
}

// Get returns the scenario file called name, and whether the catalogue has it.
func Get(name string) ([]byte, bool) {
	if !validName.MatchString(name) {
		return nil, false
	}
	data, err := files.ReadFile(name + ".json")
	return data, err == nil
}
