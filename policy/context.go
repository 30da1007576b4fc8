package policy

import "strings"

// The request context of one evaluation: the request's keys and the implied ones, looked up
// case-insensitively.

type ctxEntry struct {
	key     string
	vals    []string
	implied int8 // index into evaluation.implied, or -1
	lazy    bool // implied aws:PrincipalArn, built on first lookup
}

func (e *evaluation) init(req Request, set Set) {
	e.req, e.set, e.w = req, set, normalizePrincipal(req.Principal)
	e.action = req.Action
	e.isKMS = len(e.action) > 4 && strings.EqualFold(e.action[:4], "kms:")
	e.isAssumeRole = len(e.action) >= 14 && strings.EqualFold(e.action[:14], "sts:AssumeRole")
	e.resParts, e.resOK = arnParts(req.Resource)
	e.resourceAccount = req.ResourceAccount
	if e.resourceAccount == "" {
		if e.resOK && e.resParts[4] != "" {
			e.resourceAccount = e.resParts[4]
		} else {
			e.resourceAccount = e.w.account
		}
	}
	if len(req.Context)+3 > len(e.ctxArr) {
		e.ctxMore = make([]ctxEntry, 0, len(req.Context)+3)
	}
	for k, v := range req.Context {
		e.addCtx(ctxEntry{key: k, vals: v, implied: -1})
	}
	// Keys SPEC §7 implies from the principal unless the request gives them, or declares them
	// unknown (a role path that could not be read leaves aws:PrincipalArn unknown, not guessed).
	if (e.w.arn != "" || e.w.roleName != "") && !e.isUnknown("aws:PrincipalArn") {
		e.imply("aws:PrincipalArn", "", true)
	}
	e.imply("aws:PrincipalAccount", e.w.account, false)
	if e.isKMS {
		e.imply("kms:CallerAccount", e.w.account, false)
	}
}

func (e *evaluation) addCtx(c ctxEntry) {
	if e.ctxMore != nil {
		e.ctxMore = append(e.ctxMore, c)
		return
	}
	e.ctxArr[e.nctx] = c
	e.nctx++
}

// context is the context entries; callers use the slice and never keep it.
func (e *evaluation) context() []ctxEntry {
	if e.ctxMore != nil {
		return e.ctxMore
	}
	return e.ctxArr[:e.nctx]
}

func (e *evaluation) imply(key, val string, lazy bool) {
	if !lazy && val == "" {
		return
	}
	if _, ok := e.lookup(key); ok {
		return
	}
	e.implied[e.nimply] = val
	e.addCtx(ctxEntry{key: key, implied: int8(e.nimply), lazy: lazy})
	e.nimply++
}

// lookup finds a context key; names are case-insensitive (IAM User Guide, "Condition element":
// "Condition key names are not case-sensitive"). The slice returned is only read.
func (e *evaluation) lookup(key string) ([]string, bool) {
	ctx := e.context()
	for i := range ctx {
		c := &ctx[i]
		if !strings.EqualFold(c.key, key) {
			continue
		}
		if c.implied < 0 {
			return c.vals, true
		}
		if c.lazy {
			c.lazy = false
			e.implied[c.implied] = e.w.principalArn()
		}
		return e.implied[c.implied : c.implied+1 : c.implied+1], true
	}
	return nil, false
}

// isUnknown reports whether key is declared unknown (and absent from the context).
func (e *evaluation) isUnknown(key string) bool {
	if len(e.req.Unknown) == 0 {
		return false
	}
	for _, u := range e.req.Unknown {
		if strings.HasSuffix(u, "*") {
			p := u[:len(u)-1]
			if len(key) >= len(p) && strings.EqualFold(key[:len(p)], p) {
				return !e.present(key)
			}
		} else if strings.EqualFold(u, key) {
			return !e.present(key)
		}
	}
	return false
}

func (e *evaluation) present(key string) bool {
	_, ok := e.lookup(key)
	return ok
}
