package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/xsdoctor/xsdoctor"
)

// JSON writes d as the SPEC §3 report: encoding/json of the normalised struct, two-space indent,
// a trailing newline. Apart from calls[].ms the output is a pure function of d. HTML escaping is
// off so that Terraform heredocs (<<EOT) and conditions read as written.
func JSON(w io.Writer, d xsdoctor.Diagnosis) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(normalize(d)); err != nil {
		return fmt.Errorf("encode JSON report: %w", err)
	}
	if _, err := w.Write(jsonInert(buf.Bytes())); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}
