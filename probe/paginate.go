package probe

import (
	"context"
	"fmt"

	"github.com/xsdoctor/xsdoctor"
)

// CodeRepeatedPageToken is the code of a listing the probe stopped because the service handed
// back a pagination token it had already given: following it would loop forever, and stopping
// silently would pass an incomplete listing off as complete (a policy never read would then look
// absent, and could close a door that is open).
const CodeRepeatedPageToken = "RepeatedPaginationToken"

// maxPages bounds any one listing. IAM returns up to 100 items a page by default and a role has
// at most 20 managed policies attached and a bounded number of inline ones; a listing past a
// thousand pages is a service or proxy misbehaving, not data.
const maxPages = 1000

// pageGuard watches the tokens of one paginated listing (every paginator the probe runs: the
// SDK's StopOnDuplicateToken only compares with the previous token and ends the listing as if it
// were complete).
type pageGuard struct {
	call, account string
	seen          map[string]bool
	pages         int
}

func newPageGuard(call, account string) *pageGuard {
	return &pageGuard{call: call, account: account, seen: map[string]bool{}}
}

// next records the token a page returned (nil or empty at the end of the listing) and returns a
// ReadError when it repeats one seen before, or when the listing has gone on too long.
func (p *pageGuard) next(token *string) *xsdoctor.ReadError {
	p.pages++
	if p.pages > maxPages {
		return &xsdoctor.ReadError{Call: p.call, Account: p.account, Code: CodeRepeatedPageToken,
			Message: fmt.Sprintf("stopped after %d pages: the listing did not end", maxPages),
			Failure: xsdoctor.Failure{Class: xsdoctor.FailureRejected}}
	}
	if token == nil || *token == "" {
		return nil
	}
	if p.seen[*token] {
		return &xsdoctor.ReadError{Call: p.call, Account: p.account, Code: CodeRepeatedPageToken,
			Message: fmt.Sprintf("page %d repeated a pagination token already followed; the listing is incomplete", p.pages),
			Failure: xsdoctor.Failure{Class: xsdoctor.FailureRejected}}
	}
	p.seen[*token] = true
	return nil
}

// maxPolicyReads caps how many policy reads (GetRolePolicy, the GetPolicy → GetPolicyVersion
// chain) one Gather runs at once: a role may carry many inline and attached policies, and one
// request in flight for each would flood the endpoint (and meet IAM's throttling) for no gain.
// Eight cover the common role (a handful of policies) in one round trip.
const maxPolicyReads = 8

// semaphore is a counting semaphore: a slot per value the channel can hold.
type semaphore chan struct{}

// acquire takes a slot, or returns at once when ctx ends (the read then fails on the context, as
// every read cut by the timeout does); the returned function gives the slot back.
func (s semaphore) acquire(ctx context.Context) func() {
	select {
	case s <- struct{}{}:
		return func() { <-s }
	case <-ctx.Done():
		return func() {}
	}
}
