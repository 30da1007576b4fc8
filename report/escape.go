package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xsdoctor/xsdoctor"
)

// Text that came from AWS is data. Sids, condition values, role names, tags, policy text and
// error messages are written by other people, and a diagnosis quotes them in every string field
// (summaries embed them, evidence carries them verbatim). Each renderer therefore passes every
// string field of the diagnosis it prints through one escaper for its medium, once, before
// composing any line:
//
//   - the terminal (Text) must never receive a control character: ESC starts a sequence that can
//     retitle, clear or rewrite the operator's screen, BEL rings, CR overwrites the line, a C1
//     control (U+0080–U+009F; U+009B is a one-byte CSI) acts like ESC on some terminals, and a
//     Unicode bidi override (U+202E …) makes text display in an order other than the one it is
//     stored in ("Trojan Source", CVE-2021-42574). A newline inside a one-line field could forge a
//     line of the report ("verdict: OPEN").
//   - markdown (Markdown) must not turn a value into markup: a newline followed by "# verdict:
//     OPEN" would be a heading in the ticket, and *, _, [, <, ` and | would format, link, open an
//     HTML tag, close a code span or split a table cell. Control characters are escaped there too.
//   - JSON keeps data as data: encoding/json escapes C0 controls and quotes; JSON additionally
//     writes DEL, C1 controls and bidi controls as \u escapes, which decode to the same string.

// escapeFields returns d (a private copy from normalize) with line applied to every one-line
// string field and block to the multi-line ones (a fix's policy statement and Terraform, which
// are printed as indented blocks or fenced code and keep their own newlines).
//
// Every string field of the vocabulary is listed here; TestEveryStringFieldIsEscaped fills each
// one by reflection, so a field added to xsdoctor.Diagnosis and forgotten here fails a test.
func escapeFields(d xsdoctor.Diagnosis, line, block func(string) string) xsdoctor.Diagnosis {
	d.SchemaVersion = line(d.SchemaVersion)
	d.Verdict = xsdoctor.State(line(string(d.Verdict)))
	d.Secret.ARN, d.Secret.Account, d.Secret.Region = line(d.Secret.ARN), line(d.Secret.Account), line(d.Secret.Region)
	if d.Secret.KMSKey != nil {
		k := *d.Secret.KMSKey
		k.ARN, k.Manager, k.State = line(k.ARN), line(k.Manager), line(k.State)
		d.Secret.KMSKey = &k
	}
	d.Secret.PrimaryRegion = line(d.Secret.PrimaryRegion)
	replicas := slices.Clone(d.Secret.Replicas)
	for i := range replicas {
		r := &replicas[i]
		r.Region, r.KMSKeyID, r.Status = line(r.Region), line(r.KMSKeyID), line(r.Status)
	}
	d.Secret.Replicas = replicas
	versions := slices.Clone(d.Secret.Versions)
	for i := range versions {
		v := &versions[i]
		v.ID = line(v.ID)
		v.Stages, v.KMSKeyIDs = lines(line, v.Stages), lines(line, v.KMSKeyIDs)
	}
	d.Secret.Versions = versions
	c := &d.Consumer
	c.Principal, c.RoleARN, c.Account = line(c.Principal), line(c.RoleARN), line(c.Account)
	findings := func(fs []xsdoctor.Finding) {
		for i := range fs {
			f := &fs[i]
			f.Code = xsdoctor.Code(line(string(f.Code)))
			f.Summary, f.Detail = line(f.Summary), line(f.Detail)
			for j := range f.Evidence {
				e := &f.Evidence[j]
				e.Source, e.Policy, e.Sid, e.Effect = line(e.Source), line(e.Policy), line(e.Sid), line(e.Effect)
				e.Condition, e.Expected, e.Actual, e.Note = line(e.Condition), line(e.Expected), line(e.Actual), line(e.Note)
			}
			if f.Fix != nil {
				x := f.Fix
				x.Account, x.Where = line(x.Account), line(x.Where)
				x.Statement, x.Policy, x.Terraform = block(x.Statement), block(x.Policy), block(x.Terraform)
				for j := range x.Steps {
					x.Steps[j] = line(x.Steps[j])
				}
			}
		}
	}
	for i := range d.Doors {
		door := &d.Doors[i]
		door.Door = xsdoctor.DoorID(line(string(door.Door)))
		door.State = xsdoctor.State(line(string(door.State)))
		findings(door.Findings)
	}
	findings(d.Findings)
	if d.Live != nil {
		l := d.Live
		l.Result, l.ErrorCode, l.Reason = line(l.Result), line(l.ErrorCode), line(l.Reason)
	}
	in := &d.Input
	in.Secret, in.Consumer, in.Region = line(in.Secret), line(in.Consumer), line(in.Region)
	in.OwnerRole, in.ConsumerRole, in.KeyRole = line(in.OwnerRole), line(in.ConsumerRole), line(in.KeyRole)
	in.OwnerProfile, in.ConsumerProfile = line(in.OwnerProfile), line(in.ConsumerProfile)
	in.OrgRole, in.OrgProfile = line(in.OrgRole), line(in.OrgProfile)
	if in.Error != nil {
		e := *in.Error
		e.Principal, e.Action, e.Resource, e.Deny, e.Format = line(e.Principal), line(e.Action), line(e.Resource), line(e.Deny), line(e.Format)
		e.PolicyType = xsdoctor.PolicyType(line(string(e.PolicyType)))
		e.Secret, e.SecretARN, e.Region, e.Account = line(e.Secret), line(e.SecretARN), line(e.Region), line(e.Account)
		e.ErrorCode, e.Message = line(e.ErrorCode), line(e.Message)
		in.Error = &e
	}
	if d.ErrorMatch != nil {
		m := *d.ErrorMatch
		m.Blames = make([]xsdoctor.DoorID, len(d.ErrorMatch.Blames))
		for i, b := range d.ErrorMatch.Blames {
			m.Blames[i] = xsdoctor.DoorID(line(string(b)))
		}
		m.Summary, m.StandIn = line(m.Summary), line(m.StandIn)
		d.ErrorMatch = &m
	}
	for i := range d.Calls {
		call := &d.Calls[i]
		call.Account, call.Service, call.Operation = line(call.Account), line(call.Service), line(call.Operation)
		call.RequestID, call.ErrorCode = line(call.RequestID), line(call.ErrorCode)
	}
	return d
}

// lines escapes each string of a list, in a copy.
func lines(line func(string) string, in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = line(s)
	}
	return out
}

// unsafeRune reports whether r must not reach a terminal as itself: a control character (C0, DEL,
// C1), a bidi control, or a line or paragraph separator.
func unsafeRune(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// terminalLine makes s safe to print on one line of a terminal: every unsafe rune, the newline
// included, is written as a visible Go-style escape (\n, \x1b, \u202e), and a byte that is not
// UTF-8 as \xNN. Text without such characters is returned unchanged.
func terminalLine(s string) string { return escapeRunes(s, false) }

// terminalBlock is terminalLine for a multi-line block: newlines and tabs stay as they are.
func terminalBlock(s string) string { return escapeRunes(s, true) }

// ForTerminal makes text that may quote AWS (an error message, a hint naming a resource) safe to
// write to a terminal outside a report — the CLI's error lines on stderr: every control, C1 and
// bidi character is written as a visible escape; newlines and tabs stay.
func ForTerminal(s string) string { return terminalBlock(s) }

func escapeRunes(s string, keepLayout bool) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (unsafeRune(r) && !(keepLayout && (r == '\n' || r == '\t'))) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case keepLayout && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unsafeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// markdownInline escapes s for running markdown text (GitHub-flavoured): after terminalLine (so
// no newline can start a block and no control character survives), every ASCII punctuation
// character that can start or end inline markup (emphasis, code, links, HTML, entities, math,
// table cells) is backslash-escaped — CommonMark allows a backslash
// before any ASCII punctuation and renders the character itself — and a leading list or
// heading marker is neutralised.
func markdownInline(s string) string {
	s = terminalLine(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		// An underscore inside a word (encryption_context) never emphasises in GitHub's
		// markdown, so it stays readable in the raw text.
		intraword := c == '_' && i > 0 && i+1 < len(s) && isWordByte(s[i-1]) && isWordByte(s[i+1])
		if !intraword && strings.IndexByte("\\`*_[<>|~&$", c) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	out := b.String()
	// A line that starts with "#", "-", "+", "=" or "1." would be a heading, a list item or a
	// setext underline; elsewhere those characters are plain text.
	if out != "" && strings.IndexByte("#-+=", out[0]) >= 0 {
		out = `\` + out
	} else if n := leadingDigits(out); n > 0 && n < len(out) && (out[n] == '.' || out[n] == ')') {
		out = out[:n] + `\` + out[n:]
	}
	return out
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// jsonInert rewrites the runes encoding/json leaves raw but a terminal would act on (DEL, C1
// controls, bidi controls) as \u escapes. They can only occur inside JSON strings (the rest of
// the document is ASCII), where \uXXXX decodes to the same rune, so the data is unchanged.
func jsonInert(b []byte) []byte {
	if !bytes.ContainsFunc(b, func(r rune) bool { return r >= 0x7f && unsafeRune(r) }) {
		return b
	}
	var out bytes.Buffer
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x7f && unsafeRune(r) {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(b[i : i+size])
		}
		i += size
	}
	return out.Bytes()
}
