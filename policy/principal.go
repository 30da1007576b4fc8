package policy

import "strings"

// Principal element semantics (IAM User Guide, "AWS JSON policy elements: Principal"):
//   - an account id or arn:aws:iam::ACCT:root names the account: any principal of it;
//   - a role ARN names the role and so its sessions; the session ARN carries no path, and role
//     names are unique within an account whatever their path, so a session matches on account
//     and role name;
//   - an assumed-role session ARN names exactly that session;
//   - a unique id (AROA…, AIDA…) is what IAM stores when the named entity is deleted; it matches
//     only the principal with that id, so a re-created role of the same name no longer matches;
//   - "*" (or {"AWS": "*"}) is everyone.

type principalKind uint8

const (
	pAny principalKind = iota
	pAccount
	pRole
	pSession
	pUser
	pUniqueID
	pService
	pOther // federated, canonical user, anything else: compared as written
)

type principalEntry struct {
	kind    principalKind
	raw     string
	account string
	name    string // role or user name
	session string
}

func compilePrincipals(pr *Principals) []principalEntry {
	if pr == nil {
		return nil
	}
	if pr.Wildcard {
		return []principalEntry{{kind: pAny, raw: "*"}}
	}
	var out []principalEntry
	for _, v := range pr.AWS {
		out = append(out, awsPrincipalEntry(v))
	}
	for _, v := range pr.Service {
		out = append(out, principalEntry{kind: pService, raw: v})
	}
	for _, v := range pr.Federated {
		out = append(out, principalEntry{kind: pOther, raw: v})
	}
	for _, v := range pr.CanonicalUser {
		out = append(out, principalEntry{kind: pOther, raw: v})
	}
	return out
}

func awsPrincipalEntry(v string) principalEntry {
	e := principalEntry{kind: pOther, raw: v}
	switch {
	case v == "*":
		e.kind = pAny
	case isAccountID(v):
		e.kind, e.account = pAccount, v
	case IsUniqueID(v):
		e.kind = pUniqueID
	default:
		parts, ok := arnParts(v)
		if !ok {
			return e
		}
		e.account = parts[4]
		res := parts[5]
		switch {
		case parts[2] == "iam" && res == "root":
			e.kind = pAccount
		case parts[2] == "iam" && strings.HasPrefix(res, "role/"):
			e.kind, e.name = pRole, lastSegment(res)
		case parts[2] == "iam" && strings.HasPrefix(res, "user/"):
			e.kind, e.name = pUser, lastSegment(res)
		case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
			rest := strings.TrimPrefix(res, "assumed-role/")
			if i := strings.IndexByte(rest, '/'); i > 0 {
				e.kind, e.name, e.session = pSession, rest[:i], rest[i+1:]
			}
		}
	}
	return e
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsUniqueID reports whether s looks like an IAM unique id rather than an ARN: four upper-case
// letters (AROA role, AIDA user, …) and at least sixteen more upper-case letters or digits (IAM
// User Guide, "IAM identifiers", unique IDs). A policy shows one where it named an entity that
// has since been deleted.
func IsUniqueID(s string) bool {
	if len(s) < 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z'
		if i < 4 && !letter || !letter && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// who is the requesting principal, normalized once per evaluation.
type who struct {
	arn       string
	account   string
	typ       PrincipalType
	roleName  string // role and session principals
	roleARN   string // with path when known
	session   string
	userName  string
	uniqueID  string
	service   string
	partition string
}

func normalizePrincipal(p Principal) who {
	w := who{arn: p.ARN, account: p.Account, typ: p.Type, roleARN: p.RoleARN, uniqueID: p.UniqueID, service: p.Service, partition: "aws"}
	if parts, ok := arnParts(p.ARN); ok {
		w.partition = parts[1]
		if w.account == "" {
			w.account = parts[4]
		}
		res := parts[5]
		switch {
		case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
			rest := strings.TrimPrefix(res, "assumed-role/")
			if i := strings.IndexByte(rest, '/'); i > 0 {
				w.roleName, w.session = rest[:i], rest[i+1:]
			}
			if w.typ == "" {
				w.typ = AssumedRole
			}
		case parts[2] == "iam" && strings.HasPrefix(res, "role/"):
			w.roleName = lastSegment(res)
			if w.roleARN == "" {
				w.roleARN = p.ARN
			}
			if w.typ == "" {
				w.typ = Role
			}
		case parts[2] == "iam" && strings.HasPrefix(res, "user/"):
			w.userName = lastSegment(res)
			if w.typ == "" {
				w.typ = User
			}
		case parts[2] == "iam" && res == "root":
			if w.typ == "" {
				w.typ = Root
			}
		}
	}
	if w.typ == "" && p.Service != "" {
		w.typ = Service
	}
	if w.typ == Service && w.service == "" {
		w.service = p.ARN
	}
	if w.roleName == "" && w.roleARN != "" {
		if parts, ok := arnParts(w.roleARN); ok {
			w.roleName = lastSegment(parts[5])
		}
	}
	return w
}

// role returns the role ARN; when the caller did not give it, the path-less form built from the
// session ARN (which carries no path) is the best there is. Built on demand: most evaluations
// never need it.
func (w *who) role() string {
	if w.roleARN == "" && w.roleName != "" {
		w.roleARN = "arn:" + w.partition + ":iam::" + w.account + ":role/" + w.roleName
	}
	return w.roleARN
}

// principalArn is the aws:PrincipalArn value: the role ARN for roles and their sessions (IAM
// User Guide, "AWS global condition context keys", aws:PrincipalArn), else the ARN.
func (w *who) principalArn() string {
	if w.roleName != "" {
		return w.role()
	}
	return w.arn
}

// hasRole reports whether the principal is a role or one of its sessions.
func (w *who) hasRole() bool { return w.roleName != "" }

// matches reports whether the entry names this principal (for Principal).
func (en *principalEntry) matches(w *who) bool {
	switch en.kind {
	case pAny:
		return true // "*" and {"AWS": "*"} both mean everyone (IAM User Guide, "Principal", all principals)
	case pAccount:
		return w.typ != Service && en.account == w.account
	case pRole:
		return w.hasRole() && en.account == w.account && strings.EqualFold(en.name, w.roleName)
	case pSession:
		return w.typ == AssumedRole && en.account == w.account && strings.EqualFold(en.name, w.roleName) && en.session == w.session
	case pUser:
		return w.typ == User && en.account == w.account && strings.EqualFold(en.name, w.userName)
	case pUniqueID:
		return w.uniqueID != "" && en.raw == w.uniqueID
	case pService:
		return w.typ == Service && en.raw == w.service
	}
	return en.raw == w.arn
}

// notPrincipalExempts reports whether a NotPrincipal list exempts the principal. AWS may check
// the account, then the role, then the session (or the account, then the user), and a Deny
// applies if any of them is not listed: "you must also specify the account ARN of the not-denied
// principal … include both the ARN for a role and the ARN for the account" (IAM User Guide,
// "AWS JSON policy elements: NotPrincipal"). So every link of the chain must be listed.
func notPrincipalExempts(entries []principalEntry, w *who) bool {
	links, n := principalChain(w)
	for _, link := range links[:n] {
		if !notPrincipalLists(entries, w, link) {
			return false
		}
	}
	return true
}

// notPrincipalNames reports whether a NotPrincipal list names any link of the principal's chain
// (its account, its role, its session or user): the principals an Allow with NotPrincipal
// leaves out.
func notPrincipalNames(entries []principalEntry, w *who) bool {
	links, n := principalChain(w)
	for _, link := range links[:n] {
		if notPrincipalLists(entries, w, link) {
			return true
		}
	}
	return false
}

// principalChain is what AWS may check for a principal, outermost first: the account, then the
// role and the session, or the user. (An array, so the evaluation does not allocate.)
func principalChain(w *who) ([3]principalKind, int) {
	switch {
	case w.typ == Service:
		return [3]principalKind{pService}, 1
	case w.typ == AssumedRole:
		return [3]principalKind{pAccount, pRole, pSession}, 3
	case w.hasRole():
		return [3]principalKind{pAccount, pRole}, 2
	case w.typ == User:
		return [3]principalKind{pAccount, pUser}, 2
	case w.typ == Root:
		return [3]principalKind{pAccount}, 1
	}
	return [3]principalKind{pAccount, pOther}, 2
}

// notPrincipalLists reports whether the list names the principal's link of the given kind.
func notPrincipalLists(entries []principalEntry, w *who, link principalKind) bool {
	for i := range entries {
		en := &entries[i]
		switch {
		case en.kind == pAny:
			return true
		case link == pAccount && en.kind == pAccount && en.account == w.account:
			return true
		case link == pRole && (en.kind == pRole || en.kind == pUniqueID) && en.matches(w):
			return true
		case link == pSession && en.kind == pSession && en.matches(w):
			return true
		case link == pUser && (en.kind == pUser || en.kind == pUniqueID) && en.matches(w):
			return true
		case link == pService && en.kind == pService && en.matches(w):
			return true
		case link == pOther && en.kind == pOther && en.matches(w):
			return true
		}
	}
	return false
}
