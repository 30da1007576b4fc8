package main

import "testing"

func TestSanitizeSessionNameKeepsWhatSTSAccepts(t *testing.T) {
	if got := sanitizeSessionName("xsdoctor-Jane Doe/ä"); got != "xsdoctor-Jane-Doe--" {
		t.Errorf("got %q", got)
	}
	long := sanitizeSessionName("xsdoctor-" + string(make([]byte, 100)))
	if len(long) != 64 {
		t.Errorf("length %d, want 64", len(long))
	}
	if n := defaultSessionName(); len(n) < 2 || n[:9] != "xsdoctor-" {
		t.Errorf("default session name %q", n)
	}
}
