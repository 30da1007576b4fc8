package policy

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// slowMatch is the reference matcher: the textbook dynamic programme over runes, obviously
// correct and quadratic, for checking the linear one.
func slowMatch(p, s string, ci bool) bool {
	if ci {
		p, s = strings.ToLower(p), strings.ToLower(s)
	}
	pr, sr := []rune(p), []rune(s)
	// dp[j] reports whether pr[:i] matches sr[:j].
	dp := make([]bool, len(sr)+1)
	dp[0] = true
	for i := 1; i <= len(pr); i++ {
		next := make([]bool, len(sr)+1)
		if pr[i-1] == '*' {
			next[0] = dp[0]
		}
		for j := 1; j <= len(sr); j++ {
			switch pr[i-1] {
			case '*':
				next[j] = dp[j] || next[j-1]
			case '?':
				next[j] = dp[j-1]
			default:
				next[j] = dp[j-1] && pr[i-1] == sr[j-1]
			}
		}
		dp = next
	}
	return dp[len(sr)]
}

func TestMatchWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		ci, want   bool
	}{
		{"*", "", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"kms:Decrypt", "kms:Decrypt", false, true},
		{"kms:decrypt", "KMS:Decrypt", true, true},
		{"kms:decrypt", "KMS:Decrypt", false, false},
		{"kms:*", "kms:Decrypt", false, true},
		{"KMS:Get*", "kms:GetKeyPolicy", true, true},
		{"kms:*crypt", "kms:ReEncrypt", false, true},
		{"kms:*crypt", "kms:Encrypt2", false, false},
		{"kms:*crypt", "kms:Decrypt", false, true},
		{"kms:ReEncrypt*", "kms:ReEncryptFrom", false, true},
		{"secretsmanager:*Secret*", "secretsmanager:GetSecretValue", false, true},
		{"name-??????", "name-abcdef", false, true},
		{"name-??????", "name-abcde", false, false},
		{"name-??????", "name-abcdefg", false, false},
		{"a*b*c", "abc", false, true},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXbYcZ", false, false},
		{"a*a*a*a*b", strings.Repeat("a", 50), false, false},
		{"ab*ba", "aba", false, false},
		{"?", "é", false, true},       // '?' is one character, not one byte
		{"??", "é", false, false},     // é is two bytes but one character
		{"caf?", "café", false, true}, // non-ASCII input, ASCII pattern
		{"*é*", "caféine", false, true},
		{"ÉTÉ*", "été-2026", true, true},
	}
	for _, tt := range tests {
		if got := MatchWildcard(tt.pattern, tt.s, tt.ci); got != tt.want {
			t.Errorf("MatchWildcard(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.ci, got, tt.want)
		}
		if ref := slowMatch(tt.pattern, tt.s, tt.ci); ref != tt.want {
			t.Errorf("reference disagrees with the table for (%q, %q): %v", tt.pattern, tt.s, ref)
		}
	}
}

func TestLongQuestionSegmentsUseShiftAnd(t *testing.T) {
	seg := strings.Repeat("ab?", 30) // 90 bytes: two Shift-And words
	p := "x*" + seg + "*y"
	s := "x" + strings.Repeat("ab", 10) + strings.Repeat("abz", 30) + "y"
	m := compileWildcard(p, false)
	if len(m.mids) != 1 || m.mids[0].sa == nil {
		t.Fatalf("a 90-byte '?' segment should be searched with Shift-And")
	}
	if got, want := m.match(s), slowMatch(p, s, false); got != want {
		t.Fatalf("match = %v, reference %v", got, want)
	}
	if m.match(s[:len(s)-5] + "y") {
		t.Fatalf("truncated input must not match")
	}
}

func TestEscapedPatternKeepsSubstitutedWildcardsLiteral(t *testing.T) {
	m := compilePattern(`arn:aws:s3:::bucket/\*`, false, true)
	if !m.match("arn:aws:s3:::bucket/*") || m.match("arn:aws:s3:::bucket/anything") {
		t.Fatalf(`an escaped '*' must match only a literal '*'`)
	}
	m = compilePattern(`a\?*`, false, true)
	if !m.match("a?b") || m.match("ab") {
		t.Fatalf(`an escaped '?' must match only a literal '?'`)
	}
}

func TestARNMatching(t *testing.T) {
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"*", "anything", true},
		{"arn:aws:kms:*:111111111111:key/*", "arn:aws:kms:us-east-1:111111111111:key/abc", true},
		{"arn:aws:kms:*:111111111111:key/*", "arn:aws:kms:us-east-1:222222222222:key/abc", false},
		// '*' in one component does not run into the next.
		{"arn:aws:kms:*", "arn:aws:kms:us-east-1:111111111111:key/abc", false},
		{"arn:aws:*:us-east-1:111111111111:key/abc", "arn:aws:kms:us-east-1:111111111111:key/abc", true},
		{"arn:aws:logs:us-east-1:1:log-group:/aws/lambda/*", "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:log-stream:x", true},
		{"arn:aws:secretsmanager:us-east-1:1:secret:name-??????", "arn:aws:secretsmanager:us-east-1:1:secret:name-AbC123", true},
		{"arn:aws:secretsmanager:us-east-1:1:secret:NAME-*", "arn:aws:secretsmanager:us-east-1:1:secret:name-AbC123", false},
		{"arn:aws:kms:us-east-1:1:alias/x", "arn:aws:kms:us-east-1:1:key/x", false},
		{"not-an-arn*", "not-an-arn-at-all", false},
	}
	for _, tt := range tests {
		if got := compileARN(tt.pattern).match(tt.arn); got != tt.want {
			t.Errorf("ARN %q vs %q = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
}

// FuzzWildcard checks the linear matchers (one-shot and precompiled) against the quadratic
// reference.
func FuzzWildcard(f *testing.F) {
	for _, seed := range [][2]string{
		{"*", ""}, {"a*b", "ab"}, {"?*?", "xy"}, {"a*a*a*b", "aaaaaaaaab"}, {"*?*?*", "é"},
		{"kms:*", "KMS:Decrypt"}, {"x" + strings.Repeat("?", 20) + "*", "x" + strings.Repeat("z", 25)},
		{"*ab??????????????????cd*", "zzab0123456789abcdefghcdzz"},
		{"*", "*0"}, // a literal * in the subject (found by fuzzing an earlier matcher in door/)
	} {
		f.Add(seed[0], seed[1], false)
		f.Add(seed[0], seed[1], true)
	}
	f.Fuzz(func(t *testing.T, p, s string, ci bool) {
		if !utf8.ValidString(p) || !utf8.ValidString(s) || len(p) > 200 || len(s) > 200 {
			return
		}
		if ci && (strings.ToLower(p) != strings.ToLower(strings.ToUpper(strings.ToLower(p))) || len(strings.ToLower(s)) != len(s) || len(strings.ToLower(p)) != len(p)) {
			return // case folding that changes lengths is outside what IAM compares
		}
		want := slowMatch(p, s, ci)
		if got := MatchWildcard(p, s, ci); got != want {
			t.Fatalf("MatchWildcard(%q, %q, %v) = %v, reference %v", p, s, ci, got, want)
		}
		if got := compileWildcard(p, ci).match(s); got != want {
			t.Fatalf("compiled %q against %q (ci %v) = %v, reference %v", p, s, ci, got, want)
		}
	})
}

// longPatterns are the adversarial cases for backtracking matchers: 10,000-character patterns
// with 1,000 '*' against a 10,000-character string. "match" places every segment; "near-miss"
// places 998 segments and fails on the 999th, at the end of the string.
func longPatterns() (s string, cases map[string]string) {
	s = strings.Repeat("a", 10000)
	match := strings.Repeat("*aaaaaaaa?", 1000)
	near := strings.Repeat("*aaaaaaaa?", 998) + "*aaaaaaaab" + "*aaaaaaaa?"
	return s, map[string]string{"match": match, "near-miss": near}
}

func TestLongPatterns(t *testing.T) {
	s, cases := longPatterns()
	for name, p := range cases {
		if len(p) != 10000 || strings.Count(p, "*") != 1000 {
			t.Fatalf("%s: %d chars, %d stars", name, len(p), strings.Count(p, "*"))
		}
		if got, want := MatchWildcard(p, s, false), name == "match"; got != want {
			t.Errorf("%s: got %v", name, got)
		}
	}
}

// BenchmarkWildcardLong matches the precompiled long patterns (target: well under 1 ms).
func BenchmarkWildcardLong(b *testing.B) {
	s, cases := longPatterns()
	for _, name := range []string{"match", "near-miss"} {
		m := compileWildcard(cases[name], false)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if m.match(s) != (name == "match") {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}

// BenchmarkMatchWildcardLong is the one-shot MatchWildcard on the long patterns (no
// precompiled form), as a caller matching a pattern once does.
func BenchmarkMatchWildcardLong(b *testing.B) {
	s, cases := longPatterns()
	for _, name := range []string{"match", "near-miss"} {
		p := cases[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if MatchWildcard(p, s, false) != (name == "match") {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}

// BenchmarkCompileWildcardLong is compiling the long pattern, as Parse does once per value.
func BenchmarkCompileWildcardLong(b *testing.B) {
	_, cases := longPatterns()
	p := cases["near-miss"]
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = compileWildcard(p, false)
	}
}
