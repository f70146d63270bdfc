package report

import "sort"

// Doc documents one finding ID. IDs are permanent: a retired check leaves
// a gap and its number is never reused.
type Doc struct {
	ID       string
	Title    string
	Severity Severity
	Since    string // condiag version that introduced the check
	Text     string // one paragraph: what it means and why it matters
	Bad      string // a short Go program or fragment that triggers it
	Fixed    string // the same code, fixed
}

var docs = map[string]*Doc{}

func register(d *Doc) {
	if _, dup := docs[d.ID]; dup {
		panic("report: duplicate finding ID " + d.ID)
	}
	docs[d.ID] = d
}

// Lookup returns the documentation of id, and whether id exists.
func Lookup(id string) (Doc, bool) {
	d, ok := docs[id]
	if !ok {
		return Doc{}, false
	}
	return *d, true
}

// All returns the documentation of every ID, sorted by ID.
func All() []Doc {
	out := make([]Doc, 0, len(docs))
	for _, d := range docs {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// New returns a finding with the ID, title and severity of id filled in.
// It panics if id is not registered: that is a bug in condiag.
func New(id string) Finding {
	d, ok := docs[id]
	if !ok {
		panic("report: unknown finding ID " + id)
	}
	return Finding{ID: d.ID, Title: d.Title, Severity: d.Severity}
}
