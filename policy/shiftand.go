package policy

// The matcher's two slower paths: Shift-And for long segments with '?', and the rune form for
// '?' over non-ASCII text.

// shiftAnd is the Baeza-Yates–Gonnet bit-parallel matcher for one segment, with '?' matching
// every byte. Bit j of the state is set when the last j+1 bytes match the segment's first j+1.
type shiftAnd struct {
	n     int
	words int
	masks [256][]uint64
}

func newShiftAnd(seg segment) *shiftAnd {
	sa := &shiftAnd{n: len(seg.s), words: (len(seg.s) + 63) / 64}
	backing := make([]uint64, 256*sa.words)
	for c := 0; c < 256; c++ {
		sa.masks[c] = backing[c*sa.words : (c+1)*sa.words]
	}
	for j := 0; j < len(seg.s); j++ {
		w, b := j/64, uint(j%64)
		if seg.q[j] {
			for c := 0; c < 256; c++ {
				sa.masks[c][w] |= 1 << b
			}
			continue
		}
		sa.masks[seg.s[j]][w] |= 1 << b
	}
	return sa
}

func (sa *shiftAnd) index(s string) int {
	var small [4]uint64
	state := small[:]
	if sa.words > len(small) {
		state = make([]uint64, sa.words)
	} else {
		state = small[:sa.words]
	}
	lastW, lastB := (sa.n-1)/64, uint((sa.n-1)%64)
	for i := 0; i < len(s); i++ {
		mask := sa.masks[s[i]]
		carry := uint64(1) // the empty prefix always matches
		for w := 0; w < sa.words; w++ {
			next := state[w] >> 63
			state[w] = ((state[w] << 1) | carry) & mask[w]
			carry = next
		}
		if state[lastW]&(1<<lastB) != 0 {
			return i - sa.n + 1
		}
	}
	return -1
}

// matchRunes is the same algorithm over runes, for non-ASCII input where '?' must consume a
// whole character.
func matchRunes(p []rune, kinds []uint8, s []rune) bool {
	type seg struct {
		r []rune
		k []uint8
	}
	var segs []seg
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || kinds[i] == kStar {
			segs = append(segs, seg{p[start:i], kinds[start:i]})
			start = i + 1
		}
	}
	eq := func(g seg, t []rune) bool {
		if len(g.r) != len(t) {
			return false
		}
		for i := range t {
			if g.k[i] != kQ && g.r[i] != t[i] {
				return false
			}
		}
		return true
	}
	if len(segs) == 1 {
		return eq(segs[0], s)
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(s) < len(first.r)+len(last.r) || !eq(first, s[:len(first.r)]) || !eq(last, s[len(s)-len(last.r):]) {
		return false
	}
	i, end := len(first.r), len(s)-len(last.r)
	for _, g := range segs[1 : len(segs)-1] {
		if len(g.r) == 0 {
			continue
		}
		found := -1
		for j := i; j+len(g.r) <= end; j++ {
			if eq(g, s[j:j+len(g.r)]) {
				found = j
				break
			}
		}
		if found < 0 {
			return false
		}
		i = found + len(g.r)
	}
	return true
}
