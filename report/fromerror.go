package report

import (
	"strings"

	"github.com/xsdoctor/xsdoctor"
)

// The opening of a report made with --from-error: what the error says beside what xsdoctor found
// (d.ErrorMatch, judged by door). Every field of the error is text someone else wrote: the
// renderers have already escaped it for their medium (escapeFields) before these run.

// textErrorOpening writes the error and the verdict side by side, before the verdict line.
func (p *printer) textErrorOpening(d xsdoctor.Diagnosis) {
	e := d.Input.Error
	if e == nil {
		return
	}
	p.hanging("the error  ", "           ", first(e.Message, e.Principal))
	if about := errorAbout(*e); about != "" {
		p.hanging("           ", "           ", "("+about+")")
	}
	if m := d.ErrorMatch; m != nil {
		p.hanging(p.paint(ansiBold, "xsdoctor")+"   ", "           ", m.Summary+".")
		if m.StandIn != "" {
			p.hanging("           ", "           ", m.StandIn)
		}
		if m.Elsewhere {
			p.hanging("           ", "           ", "The error points elsewhere: the findings below say what else explains it.")
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
	p.linef("> **The error**: %s", prose(first(e.Message, e.Principal)))
	if about := errorAbout(*e); about != "" {
		p.linef(">")
		p.linef("> (%s)", prose(about))
	}
	if m := d.ErrorMatch; m != nil {
		p.linef(">")
		p.linef("> **What xsdoctor found**: %s.", prose(m.Summary))
		if m.StandIn != "" {
			p.linef(">")
			p.linef("> %s", prose(m.StandIn))
		}
		if m.Elsewhere {
			p.linef(">")
			p.linef("> The error points elsewhere: the findings below say what else explains it.")
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

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
