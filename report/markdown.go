package report

import (
	"io"
	"strings"

	"github.com/xsdoctor/xsdoctor"
)

// Markdown writes d ready to paste into a ticket (GitHub-flavoured markdown): a heading with the
// verdict, what was checked, a table of the doors, every finding with its evidence, fixes in
// fenced json and hcl blocks, the live read, and the AWS calls in a collapsed table.
func Markdown(w io.Writer, d xsdoctor.Diagnosis) error {
	d = escapeFields(normalize(d), terminalLine, terminalBlock)
	p := &printer{w: w}

	p.linef("## xsdoctor: %s", verdictWord(d.Verdict))
	p.linef("")
	p.markdownErrorOpening(d)
	p.linef("Verdict **%s**: %s.", prose(string(d.Verdict)), prose(verdictSentence(d)))
	p.linef("")
	p.linef("| | |")
	p.linef("|---|---|")
	p.linef("| Secret | %s%s |", code(d.Secret.ARN), prose(accountRegion(d.Secret.Account, d.Secret.Region)))
	if k := d.Secret.KMSKey; k != nil {
		p.linef("| KMS key | %s%s |", code(k.ARN), prose(keyNote(k)))
	}
	if r := d.Secret.PrimaryRegion; r != "" {
		p.linef("| Replica of | the primary in %s |", code(r))
	}
	for _, r := range d.Secret.Replicas {
		p.linef("| Replica | %s |", prose(replicaLine(r)))
	}
	for _, v := range versionsWorthShowing(d) {
		p.linef("| Version | %s |", prose(versionLine(v)))
	}
	p.linef("| Consumer | %s%s |", code(d.Consumer.Principal), prose(accountRegion(d.Consumer.Account, "")))
	if d.Consumer.RoleARN != "" && d.Consumer.RoleARN != d.Consumer.Principal {
		p.linef("| Consumer role | %s |", code(d.Consumer.RoleARN))
	}
	p.linef("")
	p.linef("| Door | State | Finding |")
	p.linef("|---|---|---|")
	for _, door := range d.Doors {
		finding := prose(openMeaning[door.Door])
		if f := headline(door); f != nil {
			finding = code(string(f.Code)) + " " + prose(f.Summary)
		} else if door.State != xsdoctor.StateOpen {
			finding = ""
		}
		p.linef("| %s | %s | %s |", code(string(door.Door)), stateCell(door.State), finding)
	}

	sections := findingSections(d)
	if len(sections) > 0 {
		p.linef("")
		p.linef("### Findings")
	}
	for _, s := range sections {
		p.markdownFinding(s)
	}

	if d.Live != nil {
		p.linef("")
		p.linef("### Live `GetSecretValue`")
		p.linef("")
		p.linef("%s", prose(liveSentence(*d.Live)))
	}

	p.linef("")
	p.linef("<details><summary>%s</summary>", callsSentence(d.Calls))
	p.linef("")
	p.linef("| Account | Call | Error |")
	p.linef("|---|---|---|")
	for _, c := range d.Calls {
		p.linef("| %s | %s | %s |", prose(c.Account), code(c.Service+":"+c.Operation), code(c.ErrorCode))
	}
	p.linef("")
	p.linef("</details>")
	return p.err
}

func (p *printer) markdownFinding(s section) {
	f := s.f
	p.linef("")
	p.linef("#### %s: %s", s.label, code(string(f.Code)))
	p.linef("")
	p.linef("%s", prose(f.Summary))
	if f.Detail != "" {
		p.linef("")
		p.linef("%s", prose(f.Detail))
	}
	if len(f.Evidence) > 0 {
		p.linef("")
		p.linef("Evidence:")
		p.linef("")
		for _, e := range f.Evidence {
			p.linef("- %s", prose(evidenceLine(e)))
		}
	}
	if fix := f.Fix; fix != nil {
		p.linef("")
		p.linef("**Fix**%s:", prose(fixPlace(fix)))
		if fix.Statement != "" {
			p.linef("")
			p.fence("json", fix.Statement)
		}
		if fix.Policy != "" {
			p.linef("")
			p.linef("The whole policy (today's statements and the change):")
			p.linef("")
			p.fence("json", fix.Policy)
		}
		if fix.Terraform != "" {
			p.linef("")
			p.fence("hcl", fix.Terraform)
		}
		if len(fix.Steps) > 0 {
			p.linef("")
			for i, step := range fix.Steps {
				p.linef("%d. %s", i+1, prose(step))
			}
		}
	}
}

// fence writes a fenced code block, with a fence longer than any backtick run inside it so that
// the block cannot be closed early by its content.
func (p *printer) fence(lang, body string) {
	longest, run := 0, 0
	for _, r := range body {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", max(3, longest+1))
	p.linef("%s%s", f, lang)
	p.linef("%s", strings.TrimRight(body, "\n"))
	p.linef("%s", f)
}

func verdictWord(s xsdoctor.State) string {
	switch s {
	case xsdoctor.StateOpen:
		return "all doors open"
	case xsdoctor.StateClosed:
		return "access is closed"
	default:
		return "inconclusive (" + prose(string(s)) + ")"
	}
}

func stateCell(s xsdoctor.State) string {
	if s == xsdoctor.StateOpen {
		return string(s)
	}
	return "**" + prose(string(s)) + "**"
}

// code renders s as an inline code span for a table cell, or a dash when empty. The fence is
// longer than any backtick run in s, so s cannot close the span early; GitHub tables need a pipe
// escaped even inside a code span. Newlines and control characters are already escaped
// (escapeFields).
func code(s string) string {
	if s == "" {
		return "—"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if longest == 0 {
		return "`" + s + "`"
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

// prose escapes s for running text and table cells: no markup, no block start, no control
// character (markdownInline).
func prose(s string) string { return markdownInline(s) }
