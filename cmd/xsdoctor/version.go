package main

import (
	"runtime/debug"
	"strings"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3" ./cmd/xsdoctor.
var version string

// versionString is the -X version if set, else what the Go toolchain recorded: the module version
// for "go install …@v1.2.3", or the VCS revision (with -dirty) for a build from a checkout.
func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	return versionFrom(info)
}

// versionFrom reads the version from the build info the toolchain recorded (nil when there is
// none): the module version, else the VCS revision, then the Go version.
func versionFrom(info *debug.BuildInfo) string {
	if info == nil {
		return "(unknown)"
	}
	v := info.Main.Version
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "(devel)"
		if rev != "" {
			v = "devel-" + rev[:min(12, len(rev))] + dirty
		}
	}
	return strings.TrimSpace(v + " " + info.GoVersion)
}
