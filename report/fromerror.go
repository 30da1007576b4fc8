package report

import (
	"strings"

	"github.com/xsdoctor/xsdoctor"
)

// The opening of a report made with --from-error: what the error says beside what xsdoctor found
// (d.ErrorMatch, judged by door). Every field of the error is text someone else wrote, so it is
// cleaned of control characters here, once, whatever the medium.

// textErrorOpening writes the error and the verdict side by side, before the verdict line.
func (p *printer) textErrorOpening(d xsdoctor.Diagnosis) {
	e := d.Input.Error
	if e == nil {
		return
	}
	p.hanging("the error  ", "           ", plain(first(e.Message, e.Principal)))
	if about := errorAbout(*e); about != "" {
		p.hanging("           ", "           ", "("+plain(about)+")")
	}
	if m := d.ErrorMatch; m != nil {
		p.hanging(p.paint(ansiBold, "xsdoctor")+"   ", "           ", plain(m.Summary)+".")
		if m.StandIn != "" {
			p.hanging("           ", "           ", plain(m.StandIn))
		}
		if m.Elsewhere {
			p.hanging("           ", "           ", "The error points elsewhere: see "+string(xsdoctor.ErrorPointsElsewhere)+" below.")
		}
	}
	p.linef("")
}

// markdownErrorOpening is the same opening as a quote block.
func (p *printer) markdownErrorOpening(d xsdoctor.Diagnosis) {
	e := d.Input.Error
	if e == nil {
		return
	}
	p.linef("> **The error**: %s", prose(cell(plain(first(e.Message, e.Principal)))))
	if about := errorAbout(*e); about != "" {
		p.linef(">")
		p.linef("> (%s)", prose(cell(plain(about))))
	}
	if m := d.ErrorMatch; m != nil {
		p.linef(">")
		p.linef("> **What xsdoctor found**: %s.", prose(cell(plain(m.Summary))))
		if m.StandIn != "" {
			p.linef(">")
			p.linef("> %s", prose(cell(plain(m.StandIn))))
		}
		if m.Elsewhere {
			p.linef(">")
			p.linef("> The error points elsewhere: see %s below.", code(string(xsdoctor.ErrorPointsElsewhere)))
		}
	}
	p.linef("")
}

// errorAbout names the error code, the format and the principal when the message does not.
func errorAbout(e xsdoctor.ErrorText) string {
	var parts []string
	if e.ErrorCode != "" {
		parts = append(parts, e.ErrorCode)
	}
	if e.Format != "" {
		parts = append(parts, "from "+e.Format)
	}
	if e.Principal != "" && !strings.Contains(e.Message, e.Principal) {
		parts = append(parts, "principal "+e.Principal)
	}
	if e.Resource == "" && e.Secret != "" && !strings.Contains(e.Message, e.Secret) {
		parts = append(parts, "secret "+e.Secret)
	}
	return strings.Join(parts, ", ")
}

// plain replaces control characters (C0, DEL, C1) with spaces, so that text from an error cannot
// move the cursor, colour the terminal or break a line.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
