package main

import (
	"os"
	"os/user"
	"strings"
)

// defaultSessionName is the RoleSessionName of every AssumeRole the inspector makes without
// --session-name: "xsdoctor-<user or host>", so that its reads are recognisable in the target
// account's CloudTrail (STS AssumeRole: "Use the role session name to uniquely identify a
// session when the same role is assumed by different principals").
func defaultSessionName() string {
	who := ""
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	if who == "" {
		who, _ = os.Hostname()
	}
	if who == "" {
		who = "cli"
	}
	return sanitizeSessionName("xsdoctor-" + who)
}

// sanitizeSessionName keeps the characters STS accepts in RoleSessionName ([\w+=,.@-]) and the
// length STS allows (2–64).
func sanitizeSessionName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			strings.ContainsRune("_+=,.@-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := b.String()
	if len(out) > 64 {
		out = out[:64]
	}
	return out
}
