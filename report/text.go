package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/xsdoctor/xsdoctor"
)

// ANSI SGR sequences; used only when Options.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

// Text writes d for a person at a terminal: a verdict line, the secret/key/consumer, one line per
// door (state and headline), then every finding with its evidence and fix, the live read and a
// count of AWS calls.
func Text(w io.Writer, d xsdoctor.Diagnosis, opts Options) error {
	d = escapeFields(normalize(d), terminalLine, terminalBlock)
	p := &printer{w: w, color: opts.Color}

	p.textErrorOpening(d)
	p.linef("%s — %s", p.paint(ansiBold+stateColor(d.Verdict), "verdict: "+strings.ToUpper(string(d.Verdict))), verdictSentence(d))
	p.linef("")
	p.linef("  secret    %s", orDash(d.Secret.ARN)+accountRegion(d.Secret.Account, d.Secret.Region))
	if k := d.Secret.KMSKey; k != nil {
		p.linef("  kms key   %s%s", orDash(k.ARN), keyNote(k))
	}
	if r := d.Secret.PrimaryRegion; r != "" {
		p.linef("  replica   of the primary in %s", r)
	}
	for _, r := range d.Secret.Replicas {
		p.linef("  replica   %s", replicaLine(r))
	}
	for _, v := range versionsWorthShowing(d) {
		p.linef("  version   %s", versionLine(v))
	}
	var about []string
	if d.Consumer.RoleARN != "" && d.Consumer.RoleARN != d.Consumer.Principal {
		about = append(about, "role "+d.Consumer.RoleARN)
	}
	if d.Consumer.Account != "" {
		about = append(about, "account "+d.Consumer.Account)
	}
	consumer := orDash(d.Consumer.Principal)
	if len(about) > 0 {
		consumer += " (" + strings.Join(about, ", ") + ")"
	}
	p.linef("  consumer  %s", consumer)
	p.linef("")

	for _, door := range d.Doors {
		p.linef("  %-14s %s  %s", door.Door, p.paint(stateColor(door.State), fmt.Sprintf("%-11s", door.State)), doorHeadline(door, d.Secret.ARN))
	}

	sections := findingSections(d)
	if len(sections) > 0 {
		p.linef("")
		p.linef("%s", p.paint(ansiBold, "Findings"))
	}
	for _, s := range sections {
		p.textFinding(s)
	}

	if d.Live != nil {
		p.linef("")
		p.linef("%s %s", p.paint(ansiBold, "live GetSecretValue:"), liveSentence(*d.Live))
	}
	p.linef("")
	p.linef("%s", p.paint(ansiDim, callsSentence(d.Calls)))
	return p.err
}

// section is one finding under the label of the door it belongs to ("overall" for the
// top-level findings).
type section struct {
	label string
	f     xsdoctor.Finding
}

// findingSections lists every finding in report order: door by door, then the top level.
func findingSections(d xsdoctor.Diagnosis) []section {
	var sections []section
	for _, door := range d.Doors {
		for _, f := range door.Findings {
			sections = append(sections, section{label: string(door.Door), f: f})
		}
	}
	for _, f := range d.Findings {
		sections = append(sections, section{label: "overall", f: f})
	}
	return sections
}

func (p *printer) textFinding(s section) {
	f := s.f
	p.linef("")
	p.hanging("  ["+s.label+"] "+p.paint(ansiBold, string(f.Code))+"  ", "      ", f.Summary)
	if f.Detail != "" {
		p.hanging("      detail: ", "        ", f.Detail)
	}
	for _, e := range f.Evidence {
		p.hanging("      evidence: ", "        ", evidenceLine(e))
	}
	if fix := f.Fix; fix != nil {
		p.linef("      %s", p.paint(ansiBold, "fix"+fixPlace(fix)+":"))
		if fix.Statement != "" {
			p.linef("        policy statement:")
			p.block("          ", fix.Statement)
		}
		if fix.Policy != "" {
			p.linef("        whole policy (today's statements and the change):")
			p.block("          ", fix.Policy)
		}
		if fix.Terraform != "" {
			p.linef("        terraform:")
			p.block("          ", fix.Terraform)
		}
		if len(fix.Steps) > 0 {
			p.linef("        steps:")
			for i, step := range fix.Steps {
				p.hanging(fmt.Sprintf("          %d. ", i+1), "             ", step)
			}
		}
	}
}

// printer writes lines and remembers the first error, so the renderers read as a list of lines.
type printer struct {
	w     io.Writer
	color bool
	err   error
}

func (p *printer) linef(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *printer) block(indent, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		p.linef("%s", strings.TrimRight(indent+line, " "))
	}
}

// hanging writes text after prefix, wrapped at 100 visible columns on spaces, continuation lines
// at indent. A word longer than the line (an ARN) is never split.
func (p *printer) hanging(prefix, indent, text string) {
	line, empty := prefix, true
	for _, word := range strings.Fields(text) {
		if !empty && visibleLen(line)+1+len(word) > 100 {
			p.linef("%s", line)
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	if !empty {
		p.linef("%s", line)
	}
}

// visibleLen is the length of s without ANSI escape sequences.
func visibleLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		n++
	}
	return n
}

func (p *printer) paint(code, s string) string {
	if !p.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func stateColor(s xsdoctor.State) string {
	switch s {
	case xsdoctor.StateOpen:
		return ansiGreen
	case xsdoctor.StateClosed:
		return ansiRed
	default:
		return ansiYellow
	}
}

// verdictSentence says in words what the verdict means for this consumer and secret.
func verdictSentence(d xsdoctor.Diagnosis) string {
	who, what := orDash(d.Consumer.Principal), secretName(d.Secret.ARN)
	var closed, undecided []string
	for _, door := range d.Doors {
		switch door.State {
		case xsdoctor.StateClosed:
			closed = append(closed, string(door.Door))
		case xsdoctor.StateUnknown, xsdoctor.StateConditional:
			undecided = append(undecided, string(door.Door))
		}
	}
	switch d.Verdict {
	case xsdoctor.StateOpen:
		return fmt.Sprintf("all three doors let %s read %s", who, what)
	case xsdoctor.StateClosed:
		if len(closed) == 0 {
			var blockers []string
			for _, f := range d.Findings {
				if f.Effect == xsdoctor.EffectCloses {
					blockers = append(blockers, string(f.Code))
				}
			}
			return fmt.Sprintf("%s cannot read %s: a precondition blocks the read (%s)", who, what, orDash(strings.Join(blockers, ", ")))
		}
		return fmt.Sprintf("%s cannot read %s: %s %s closed", who, what, strings.Join(closed, ", "), plural(len(closed), "door is", "doors are"))
	default:
		return fmt.Sprintf("nothing proven closed for %s reading %s, but %s could not be decided", who, what, orDash(strings.Join(undecided, ", ")))
	}
}

// doorHeadline is the door line's text: the finding that explains the state (shortened, with the
// secret named rather than spelled out as an ARN; the full text follows under Findings), or, for
// a door with nothing to say, what being open means for it.
func doorHeadline(door xsdoctor.Door, secretARN string) string {
	if f := headline(door); f != nil {
		summary := f.Summary
		if secretARN != "" {
			summary = strings.ReplaceAll(summary, secretARN, secretName(secretARN))
		}
		summary = shorten(summary, 110)
		if n := len(door.Findings); n > 1 {
			return fmt.Sprintf("%s  %s (+%d more)", f.Code, summary, n-1)
		}
		return fmt.Sprintf("%s  %s", f.Code, summary)
	}
	if door.State == xsdoctor.StateOpen {
		return openMeaning[door.Door]
	}
	return ""
}

var openMeaning = map[xsdoctor.DoorID]string{
	xsdoctor.DoorKeyPolicy:    "the key lets the consumer kms:Decrypt through Secrets Manager",
	xsdoctor.DoorSecretPolicy: "the secret's resource policy lets the consumer GetSecretValue",
	xsdoctor.DoorConsumerIAM:  "the consumer's own policies allow GetSecretValue and kms:Decrypt",
}

func evidenceLine(e xsdoctor.Evidence) string {
	parts := []string{e.Source}
	if e.Policy != "" && !strings.Contains(e.Source, e.Policy) {
		parts = append(parts, "policy "+e.Policy)
	}
	if e.Index > 0 || e.Sid != "" {
		st := "statement"
		if e.Index > 0 {
			st += fmt.Sprintf(" %d", e.Index)
		}
		var inner []string
		if e.Sid != "" {
			inner = append(inner, "Sid "+e.Sid)
		}
		if e.Effect != "" {
			inner = append(inner, e.Effect)
		}
		if len(inner) > 0 {
			st += " (" + strings.Join(inner, ", ") + ")"
		}
		parts = append(parts, st)
	} else if e.Effect != "" {
		parts = append(parts, e.Effect)
	}
	if e.Condition != "" {
		parts = append(parts, "condition "+e.Condition)
	}
	if e.Expected != "" || e.Actual != "" {
		parts = append(parts, fmt.Sprintf("expected %s, actual %s", quoteOrNone(e.Expected), quoteOrNone(e.Actual)))
	}
	if e.Note != "" {
		parts = append(parts, e.Note)
	}
	var kept []string
	for _, s := range parts {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, "; ")
}

func fixPlace(fix *xsdoctor.Fix) string {
	var s []string
	if fix.Account != "" {
		s = append(s, "in account "+fix.Account)
	}
	if fix.Where != "" {
		s = append(s, fix.Where)
	}
	if len(s) == 0 {
		return ""
	}
	return " " + strings.Join(s, ", ")
}

func liveSentence(l xsdoctor.Live) string {
	s := l.Result
	if l.ErrorCode != "" {
		s += " (" + l.ErrorCode + ")"
	}
	if l.Reason != "" {
		s += ": " + l.Reason
	}
	if l.Result == xsdoctor.LiveAllowed {
		s += "; the value was discarded unread"
	}
	return s
}

func callsSentence(calls []xsdoctor.Call) string {
	failed := 0
	for _, c := range calls {
		if c.ErrorCode != "" {
			failed++
		}
	}
	return fmt.Sprintf("%d AWS %s, %d failed (-o json or --debug lists them)", len(calls), plural(len(calls), "call", "calls"), failed)
}

func keyNote(k *xsdoctor.KeySummary) string {
	var s []string
	switch k.Manager {
	case "AWS":
		s = append(s, "AWS managed")
	case "CUSTOMER":
		s = append(s, "customer managed")
	case "":
	default:
		s = append(s, k.Manager)
	}
	if k.State != "" {
		s = append(s, k.State)
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, ", ") + ")"
}

func accountRegion(account, region string) string {
	var s []string
	if account != "" {
		s = append(s, "account "+account)
	}
	if region != "" {
		s = append(s, region)
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, ", ") + ")"
}

// secretName is the secret's name from its ARN (arn:aws:secretsmanager:R:A:secret:NAME-SUFFIX),
// suffix included, or the whole string when it is not an ARN.
func secretName(arn string) string {
	if i := strings.Index(arn, ":secret:"); i >= 0 {
		return arn[i+len(":secret:"):]
	}
	return orDash(arn)
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shorten cuts s to about n bytes at a word boundary, for the one-line door summary; the
// finding below the door lines carries the whole text.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
	}
	return strings.TrimRight(s[:cut], " ,;:") + " …"
}
