package awsemu

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Pagination. Every list the emulator answers is cut into pages of at most Options.PageSize
// items (2 by default), whatever the client asks for, so that a client which ignores
// Marker/IsTruncated (IAM), NextMarker/Truncated (KMS) or NextToken (Secrets Manager) misses
// data here exactly as it would against a large real account.
//
// A marker is opaque to clients; it names the listing it belongs to so that a marker from one
// list replayed on another is refused, as AWS refuses foreign markers.

// page returns items[start:start+size] for marker, and the marker of the next page ("" on the
// last page). listing identifies the list (operation and resource).
func page[T any](items []T, listing, marker string, size int) ([]T, string, bool) {
	start := 0
	if marker != "" {
		raw, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil {
			return nil, "", false
		}
		i := strings.LastIndexByte(string(raw), 0)
		if i < 0 || string(raw[:i]) != listing {
			return nil, "", false
		}
		n, err := strconv.Atoi(string(raw[i+1:]))
		if err != nil || n < 0 || n > len(items) {
			return nil, "", false
		}
		start = n
	}
	if size < 1 {
		size = 1
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(listing + "\x00" + strconv.Itoa(end)))
	}
	return items[start:end], next, true
}
