package policy

import (
	"strings"
	"unicode/utf8"
)

// Wildcard matching as IAM does it: '*' matches any run of characters (also none), '?' exactly
// one character (IAM User Guide, "IAM JSON policy elements: Action" and "…: Resource"; the same
// rules apply to StringLike and ArnLike, "IAM JSON policy elements: Condition operators").
//
// The matcher never backtracks: a pattern is split at '*' into segments; the first must be a
// prefix, the last a suffix, and every segment in between is found at its leftmost position
// after the previous one. Leftmost placement is always safe (a later placement leaves strictly
// less room for the rest), so one left-to-right pass decides. Segments without '?' are found
// with strings.Index; long segments with '?' with a bit-parallel Shift-And scan, so the time is
// linear in the input for any pattern (O(n·⌈k/64⌉) for a '?'-segment of length k).

// MatchWildcard reports whether s matches pattern, where '*' matches any sequence of characters
// and '?' any single character. With caseInsensitive both sides are compared in lower case (as
// IAM compares actions).
func MatchWildcard(pattern, s string, caseInsensitive bool) bool {
	if caseInsensitive {
		pattern, s = lower(pattern), lower(s)
	}
	if strings.IndexByte(pattern, '?') < 0 || (isASCII(pattern) && isASCII(s)) {
		return matchDirect(pattern, s)
	}
	return compileWildcard(pattern, false).match(s)
}

// matchDirect is the one-shot form of the same algorithm, straight from the pattern text without
// compiling it (no allocation unless a long '?' segment needs Shift-And). '?' is one byte here,
// so callers use it only when that is one character.
func matchDirect(p, s string) bool {
	i := strings.IndexByte(p, '*')
	if i < 0 {
		return len(p) == len(s) && qEqual(p, s)
	}
	j := strings.LastIndexByte(p, '*')
	first, last := p[:i], p[j+1:]
	if len(s) < len(first)+len(last) || !qEqual(first, s[:len(first)]) || !qEqual(last, s[len(s)-len(last):]) {
		return false
	}
	pos, end := len(first), len(s)-len(last)
	for mids := p[i+1 : j+1]; mids != ""; {
		k := strings.IndexByte(mids, '*')
		seg := mids[:k]
		mids = mids[k+1:]
		if seg == "" {
			continue
		}
		at := qIndex(s[pos:end], seg)
		if at < 0 {
			return false
		}
		pos += at + len(seg)
	}
	return true
}

// qEqual compares a segment, where '?' matches any byte, with a string of the same length.
func qEqual(seg, s string) bool {
	for i := 0; i < len(seg); i++ {
		if seg[i] != '?' && seg[i] != s[i] {
			return false
		}
	}
	return true
}

// qIndex finds the leftmost match of a segment that may hold '?'.
func qIndex(s, seg string) int {
	if strings.IndexByte(seg, '?') < 0 {
		return strings.Index(s, seg)
	}
	if len(seg) >= shiftAndMin {
		kinds := make([]uint8, len(seg))
		for i := range seg {
			if seg[i] == '?' {
				kinds[i] = kQ
			}
		}
		sg := newSegment([]byte(seg), kinds)
		return sg.index(s)
	}
	for i := 0; i+len(seg) <= len(s); i++ {
		if qEqual(seg, s[i:i+len(seg)]) {
			return i
		}
	}
	return -1
}

// matcher is a precompiled wildcard pattern. Policies compile theirs once at parse time, so an
// evaluation does no allocation and no compilation.
type matcher struct {
	ci     bool
	kind   matchKind
	lit    string // literal: the text; prefix: the part before the single trailing '*'
	noStar bool   // general pattern without '*': first is the whole pattern
	first  segment
	last   segment
	mids   []segment
	minLen int // bytes the non-'*' parts need
	hasQ   bool
	// For '?' over non-ASCII text, where '?' must consume a whole character: the pattern as
	// runes with each rune's kind.
	runes []rune
	kinds []uint8
}

type matchKind uint8

const (
	matchAny     matchKind = iota // only '*'
	matchLiteral                  // no wildcard at all
	matchPrefix                   // "abc*" with no other wildcard
	matchGeneral
)

const (
	kLit uint8 = iota
	kStar
	kQ
)

// segment is the text between two '*'. q marks the bytes that are a '?' wildcard (nil: none).
type segment struct {
	s  string
	q  []bool
	sa *shiftAnd // for long segments with '?'
}

// shiftAndMin is the segment length from which a '?'-segment is searched with Shift-And rather
// than by trying each start position (which costs up to k per position).
const shiftAndMin = 16

func compileWildcard(p string, ci bool) *matcher { return compilePattern(p, ci, false) }

// compilePattern compiles p; with escaped, a backslash makes the next character literal (policy
// variables substitute values and the ${*} ${?} ${$} escapes this way, so a '*' that comes from
// a request value is never a wildcard).
func compilePattern(p string, ci, escaped bool) *matcher {
	m := &matcher{ci: ci}
	if ci {
		p = lower(p)
	}
	text := make([]byte, 0, len(p))
	kinds := make([]uint8, 0, len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case escaped && c == '\\' && i+1 < len(p):
			i++
			text, kinds = append(text, p[i]), append(kinds, kLit)
		case c == '*':
			text, kinds = append(text, c), append(kinds, kStar)
		case c == '?':
			text, kinds = append(text, c), append(kinds, kQ)
			m.hasQ = true
		default:
			text, kinds = append(text, c), append(kinds, kLit)
		}
	}
	stars := 0
	for _, k := range kinds {
		if k == kStar {
			stars++
		}
	}
	switch {
	case len(text) > 0 && stars == len(text):
		m.kind = matchAny
		return m
	case stars == 0 && !m.hasQ:
		m.kind, m.lit = matchLiteral, string(text)
		return m
	case stars == 1 && kinds[len(kinds)-1] == kStar && !m.hasQ:
		m.kind, m.lit = matchPrefix, string(text[:len(text)-1])
		return m
	}
	m.kind = matchGeneral
	if m.hasQ && !isASCII(string(text)) {
		m.runeForm(text, kinds)
	}
	// One string and one '?' mask back every segment: compiling costs a few allocations, not a
	// few per segment.
	str := string(text)
	var qmask []bool
	if m.hasQ {
		qmask = make([]bool, len(kinds))
		for i, k := range kinds {
			qmask[i] = k == kQ
		}
	}
	segs := make([]segment, 0, stars+1)
	startSeg := 0
	for i := 0; i <= len(text); i++ {
		if i == len(text) || kinds[i] == kStar {
			segs = append(segs, newSegmentFrom(str, qmask, startSeg, i))
			startSeg = i + 1
		}
	}
	if len(segs) == 1 {
		m.noStar = true
		m.first = segs[0]
		m.minLen = len(segs[0].s)
		return m
	}
	m.first, m.last = segs[0], segs[len(segs)-1]
	m.minLen = len(m.first.s) + len(m.last.s)
	m.mids = segs[1:1]
	for _, seg := range segs[1 : len(segs)-1] {
		if seg.s == "" {
			continue
		}
		m.mids = append(m.mids, seg) // in place: mids never outgrow segs
		m.minLen += len(seg.s)
	}
	return m
}

// runeForm records the pattern as runes for matching '?' against non-ASCII text.
func (m *matcher) runeForm(text []byte, kinds []uint8) {
	m.runes, m.kinds = m.runes[:0], m.kinds[:0]
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		m.runes, m.kinds = append(m.runes, r), append(m.kinds, kinds[i])
		i += n
	}
}

// newSegmentFrom is the segment str[from:to] with its part of the '?' mask.
func newSegmentFrom(str string, qmask []bool, from, to int) segment {
	seg := segment{s: str[from:to]}
	if qmask != nil {
		for _, q := range qmask[from:to] {
			if q {
				seg.q = qmask[from:to:to]
				break
			}
		}
	}
	if seg.q != nil && to-from >= shiftAndMin {
		seg.sa = newShiftAnd(seg)
	}
	return seg
}

func newSegment(text []byte, kinds []uint8) segment {
	seg := segment{s: string(text)}
	for i, k := range kinds {
		if k == kQ {
			if seg.q == nil {
				seg.q = make([]bool, len(kinds))
			}
			seg.q[i] = true
		}
	}
	if seg.q != nil && len(text) >= shiftAndMin {
		seg.sa = newShiftAnd(seg)
	}
	return seg
}

func (m *matcher) match(s string) bool {
	switch m.kind {
	case matchAny:
		return true
	case matchLiteral:
		if m.ci {
			return len(s) == len(m.lit) && equalFoldLower(s, m.lit)
		}
		return s == m.lit
	case matchPrefix:
		if m.ci {
			return len(s) >= len(m.lit) && equalFoldLower(s[:len(m.lit)], m.lit)
		}
		return strings.HasPrefix(s, m.lit)
	}
	if m.ci {
		s = lower(s)
	}
	if m.hasQ && (m.runes != nil || !isASCII(s)) {
		if m.runes == nil {
			return m.matchRunesFrom(s)
		}
		return matchRunes(m.runes, m.kinds, []rune(s))
	}
	if m.noStar {
		return len(s) == len(m.first.s) && m.first.equal(s)
	}
	if len(s) < m.minLen {
		return false
	}
	if !m.first.equal(s[:len(m.first.s)]) || !m.last.equal(s[len(s)-len(m.last.s):]) {
		return false
	}
	i, end := len(m.first.s), len(s)-len(m.last.s)
	for k := range m.mids {
		seg := &m.mids[k]
		j := seg.index(s[i:end])
		if j < 0 {
			return false
		}
		i += j + len(seg.s)
	}
	return true
}

// matchRunesFrom rebuilds the rune form of an ASCII pattern (for non-ASCII input) from its
// segments; rare, so it may allocate.
func (m *matcher) matchRunesFrom(s string) bool {
	var runes []rune
	var kinds []uint8
	add := func(seg segment) {
		for i := 0; i < len(seg.s); i++ {
			runes = append(runes, rune(seg.s[i]))
			k := kLit
			if seg.q != nil && seg.q[i] {
				k = kQ
			}
			kinds = append(kinds, k)
		}
	}
	add(m.first)
	if !m.noStar {
		for _, seg := range m.mids {
			runes, kinds = append(runes, '*'), append(kinds, kStar)
			add(seg)
		}
		runes, kinds = append(runes, '*'), append(kinds, kStar)
		add(m.last)
	}
	return matchRunes(runes, kinds, []rune(s))
}

// equal compares the segment with a string of the same length.
func (seg *segment) equal(s string) bool {
	if len(seg.s) != len(s) {
		return false
	}
	if seg.q == nil {
		return seg.s == s
	}
	for i := 0; i < len(s); i++ {
		if !seg.q[i] && seg.s[i] != s[i] {
			return false
		}
	}
	return true
}

// index finds the leftmost occurrence of the segment in s.
func (seg *segment) index(s string) int {
	if seg.q == nil {
		return strings.Index(s, seg.s)
	}
	if seg.sa != nil {
		return seg.sa.index(s)
	}
	k := len(seg.s)
	for i := 0; i+k <= len(s); i++ {
		if seg.equal(s[i : i+k]) {
			return i
		}
	}
	return -1
}

// equalFoldLower compares s with lit, which is already lower case, ignoring the case of s
// (ASCII fast path, Unicode through strings.ToLower).
func equalFoldLower(s, lit string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return lower(s) == lit
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[i] {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// lower lower-cases s without allocating when it is already lower-case ASCII.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
