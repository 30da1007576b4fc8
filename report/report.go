// Package report renders a xsdoctor.Diagnosis for people and programs: Text for a terminal,
// JSON (SPEC §3) for automation, Markdown to paste into a ticket. One diagnosis, one renderer per
// format, chosen once by the caller (the Terraform "command views" model).
//
// The package never probes the terminal or the environment: whether to colour is the caller's
// decision, passed in Options. It never imports the AWS SDK.
//
// Every renderer works on a normalised copy of the diagnosis (see normalize): the three doors in
// SPEC order, findings and calls sorted, nil slices as empty ones, and anything shaped like an AWS
// access key id masked. A Diagnosis never carries a secret value (the probe discards it unread),
// so the mask is a last line of defence for credentials that could slip into an error message.
package report

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/xsdoctor/xsdoctor"
)

// Options controls the text renderer.
type Options struct {
	// Color turns on ANSI colours. The CLI sets it when stdout is a terminal and NO_COLOR is
	// unset (https://no-color.org); the report itself never looks.
	Color bool
}

// normalize returns a deep-enough copy of d that every renderer can print without further
// thought: doors in SPEC §3 order (a door the diagnosis lacks is shown as unknown rather than
// silently dropped), findings sorted by code (stable, so a door's own order breaks ties), calls
// sorted by account, service and operation (the probe runs calls concurrently, so their arrival
// order is not deterministic), and no nil slices (JSON shows [] rather than null).
func normalize(d xsdoctor.Diagnosis) xsdoctor.Diagnosis {
	out := d
	if out.SchemaVersion == "" {
		out.SchemaVersion = xsdoctor.SchemaVersion
	}
	byID := make(map[xsdoctor.DoorID]xsdoctor.Door, len(d.Doors))
	for _, door := range d.Doors {
		byID[door.Door] = door
	}
	out.Doors = make([]xsdoctor.Door, 0, len(xsdoctor.Doors))
	for _, id := range xsdoctor.Doors {
		door, ok := byID[id]
		if !ok {
			door = xsdoctor.Door{Door: id, State: xsdoctor.StateUnknown}
		}
		door.Findings = normalizeFindings(door.Findings)
		out.Doors = append(out.Doors, door)
	}
	out.Findings = normalizeFindings(d.Findings)
	out.Calls = slices.Clone(d.Calls)
	if out.Calls == nil {
		out.Calls = []xsdoctor.Call{}
	}
	slices.SortStableFunc(out.Calls, xsdoctor.CompareCalls)
	if d.Live != nil {
		live := *d.Live
		out.Live = &live
	}
	out.Guardrails = slices.Clone(d.Guardrails)
	scrub(&out)
	return out
}

func normalizeFindings(fs []xsdoctor.Finding) []xsdoctor.Finding {
	out := slices.Clone(fs)
	if out == nil {
		return []xsdoctor.Finding{}
	}
	for i := range out {
		out[i].Evidence = slices.Clone(out[i].Evidence)
		if out[i].Fix != nil {
			fix := *out[i].Fix
			fix.Steps = slices.Clone(fix.Steps)
			out[i].Fix = &fix
		}
	}
	slices.SortStableFunc(out, func(a, b xsdoctor.Finding) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// accessKeyID matches an AWS access key id (AKIA… long-term, ASIA… temporary): "Understanding
// unique ID prefixes" in the IAM User Guide. Role ids (AROA…) are evidence, not credentials, and
// are kept.
var accessKeyID = regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`)

func mask(s string) string {
	if !accessKeyID.MatchString(s) {
		return s
	}
	return accessKeyID.ReplaceAllStringFunc(s, func(k string) string { return k[:4] + "…(masked)" })
}

// scrub masks access key ids in every free-text field of d (already a private copy).
func scrub(d *xsdoctor.Diagnosis) {
	fix := func(fs []xsdoctor.Finding) {
		for i := range fs {
			f := &fs[i]
			f.Summary, f.Detail = mask(f.Summary), mask(f.Detail)
			for j := range f.Evidence {
				e := &f.Evidence[j]
				e.Source, e.Policy, e.Note = mask(e.Source), mask(e.Policy), mask(e.Note)
				e.Expected, e.Actual, e.Condition = mask(e.Expected), mask(e.Actual), mask(e.Condition)
				e.Target = mask(e.Target)
			}
			if f.Fix != nil {
				f.Fix.Where, f.Fix.Statement, f.Fix.Terraform = mask(f.Fix.Where), mask(f.Fix.Statement), mask(f.Fix.Terraform)
				f.Fix.Policy = mask(f.Fix.Policy)
				for j := range f.Fix.Steps {
					f.Fix.Steps[j] = mask(f.Fix.Steps[j])
				}
			}
		}
	}
	for i := range d.Doors {
		fix(d.Doors[i].Findings)
	}
	fix(d.Findings)
	d.Consumer.Principal = mask(d.Consumer.Principal)
	if d.Input.Error != nil {
		e := *d.Input.Error
		e.Message = mask(e.Message)
		d.Input.Error = &e
	}
	for i := range d.Guardrails {
		d.Guardrails[i].Name = mask(d.Guardrails[i].Name)
	}
	if d.Live != nil {
		d.Live.Reason = mask(d.Live.Reason)
	}
}

// headline is the finding that explains a door's state: the first whose effect gives the door
// the state it has (door sets both), else the first finding.
func headline(door xsdoctor.Door) *xsdoctor.Finding {
	for i := range door.Findings {
		if door.Findings[i].Effect.State() == door.State {
			return &door.Findings[i]
		}
	}
	if len(door.Findings) > 0 {
		return &door.Findings[0]
	}
	return nil
}

// replicaLine describes a replica: its region, its key (the region's AWS managed key when none
// is named) and its replication status.
func replicaLine(r xsdoctor.ReplicaSummary) string {
	key := r.KMSKeyID
	if key == "" {
		key = "the AWS managed key aws/secretsmanager"
	}
	s := r.Region + ", " + key
	if r.Status != "" {
		s += " (" + r.Status + ")"
	}
	return s
}

// versionLine describes a version: its id, its staging labels and the keys that encrypt it.
func versionLine(v xsdoctor.Version) string {
	stages := "no staging label"
	if len(v.Stages) > 0 {
		stages = strings.Join(v.Stages, ", ")
	}
	s := v.ID + " [" + stages + "]"
	if len(v.KMSKeyIDs) > 0 {
		s += " encrypted under " + strings.Join(v.KMSKeyIDs, ", ")
	}
	return s
}

// versionsWorthShowing are the versions the text and markdown reports list: all of them when
// there is more than one or one is encrypted under several keys or under another key than the
// one judged; none for the usual single AWSCURRENT under the secret's key (the JSON lists every
// version always).
func versionsWorthShowing(d xsdoctor.Diagnosis) []xsdoctor.Version {
	vs := d.Secret.Versions
	if len(vs) != 1 {
		return vs
	}
	keys := vs[0].KMSKeyIDs
	if len(keys) > 1 || len(keys) == 1 && (d.Secret.KMSKey == nil || keys[0] != d.Secret.KMSKey.ARN) {
		return vs
	}
	return nil
}
