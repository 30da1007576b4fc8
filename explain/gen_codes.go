//go:build ignore

// gen_codes writes docs/codes.md from the entries of package explain: go generate ./explain.
package main

import (
	"bytes"
	"log"
	"os"
	"path/filepath"

	"github.com/xsdoctor/xsdoctor/explain"
)

func main() {
	var b bytes.Buffer
	if err := explain.Markdown(&b); err != nil {
		log.Fatal(err)
	}
	b.WriteString("\n")
	if err := os.WriteFile(filepath.Join("..", "docs", "codes.md"), b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
