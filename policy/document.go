package policy

// Document is a parsed policy document.
// PLACEHOLDER: the full parser is the policy engine work (issue 2).
type Document struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a Document.
type Statement struct {
	Sid    string
	Effect string
	Index  int // 1-based
	Line   int
}

// Parse parses a policy document as AWS returns it: JSON text, or URL-encoded JSON text (decoded
// only when the text does not start with '{').
func Parse(text string) (*Document, error) { return &Document{}, nil }

// ParseLimit is Parse with a size limit (MaxKeyPolicyBytes, MaxSecretPolicyBytes).
func ParseLimit(text string, limit int) (*Document, error) { return Parse(text) }
