package main

import (
	"sort"
	"strings"
)

// suggest returns up to n candidates nearest to a mistyped word by edit distance, nearest first,
// for "did you mean" hints. Only candidates within a third of their length count (at least 2),
// so nonsense gets no suggestion; a fragment of four or more characters finds the candidates
// that contain it ("alias" finds IAM_KMS_ALIAS_RESOURCE).
func suggest(word string, candidates []string, n int) []string {
	type scored struct {
		s string
		d int
	}
	var near []scored
	for _, c := range candidates {
		d := editDistance(word, c)
		if len(word) >= 4 && strings.Contains(c, word) {
			d = min(d, 1+len(c)/4)
		}
		if d <= max(2, len(c)/3) {
			near = append(near, scored{c, d})
		}
	}
	sort.SliceStable(near, func(i, j int) bool { return near[i].d < near[j].d })
	var out []string
	for i := 0; i < len(near) && i < n; i++ {
		out = append(out, near[i].s)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean turns suggestions into a hint prefix: "did you mean A or B? ".
func didYouMean(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return "did you mean " + strings.Join(s, " or ") + "? "
}
