package guc

import (
	"fmt"
	"strings"
)

// didYouMean suggests the catalog name closest to a misspelt one, as a
// hint. PostgreSQL itself gives no suggestion, but a compiler can afford
// one: "shared_bufers" is far more often a typo than a new parameter. The
// distance limit grows with the name's length and stays small enough
// that unrelated short names are not offered.
func didYouMean(name string) string {
	lower := strings.ToLower(name)
	limit := min(max(len(lower)/4, 1), 3)
	c := loadCatalog()
	best, bestDist := -1, limit+1
	prev := make([]int, 64)
	cur := make([]int, 64)
	for i, cand := range c.lowerNames {
		// The distance is at least the length difference.
		if diff := len(cand) - len(lower); diff >= bestDist || -diff >= bestDist {
			continue
		}
		if d := boundedEditDistance(lower, cand, bestDist-1, &prev, &cur); d < bestDist {
			best, bestDist = i, d
		}
	}
	if best < 0 {
		return ""
	}
	return fmt.Sprintf("Did you mean %q?", c.names[best])
}

// boundedEditDistance is the Levenshtein distance between a and b in
// bytes, or any value above bound once it is clear the distance exceeds
// bound. prev and cur are scratch rows reused between calls.
func boundedEditDistance(a, b string, bound int, prev, cur *[]int) int {
	if len(b)+1 > len(*prev) {
		*prev = make([]int, len(b)+1)
		*cur = make([]int, len(b)+1)
	}
	p, c := (*prev)[:len(b)+1], (*cur)[:len(b)+1]
	for j := range p {
		p[j] = j
	}
	for i := 1; i <= len(a); i++ {
		c[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			c[j] = min(p[j]+1, c[j-1]+1, p[j-1]+cost)
			rowMin = min(rowMin, c[j])
		}
		if rowMin > bound {
			return bound + 1
		}
		p, c = c, p
	}
	return p[len(b)]
}
