package main

import (
	"runtime"
	"strings"
	"testing"
)

func TestVersionIsTheLinkerValueElseTheBuildInfo(t *testing.T) {
	if got := versionString(); !strings.HasSuffix(got, runtime.Version()) {
		t.Errorf("without -X main.version, version %q does not end with the Go version %s", got, runtime.Version())
	}
	defer func(v string) { version = v }(version)
	version = "v1.2.3"
	if got := versionString(); got != "v1.2.3" {
		t.Errorf("with -X main.version=v1.2.3, version is %q", got)
	}
}
