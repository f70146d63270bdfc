package starve

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/report"
)

// Contention accumulates the contention report (CT5001): for each lock
// class and acquisition site, how often the lock was taken there, how
// often that had to wait, for how long, and how long it was held. It
// needs every acquisition and release with their times, which only a
// trace has: `condiag analyze` builds it. Sites are whatever the caller
// uses to tell them apart (a trace's stack id), resolved to a frame once,
// when the report is made. It is not safe for concurrent use.
type Contention struct {
	sites map[siteKey]*SiteStats
}

type siteKey struct {
	class string
	site  any
}

// SiteStats is the contention of one lock class at one acquisition site.
type SiteStats struct {
	Lock         deadlock.LockInfo // the first instance seen there
	Site         report.Frame      // filled by [Contention.Findings]
	Acquisitions int64
	Contended    int64 // acquisitions that waited
	Wait         time.Duration
	MaxWait      time.Duration
	Releases     int64
	Hold         time.Duration
	MaxHold      time.Duration
}

// NewContention returns an empty report.
func NewContention() *Contention { return &Contention{sites: map[siteKey]*SiteStats{}} }

func (c *Contention) stats(lock deadlock.LockInfo, site any) *SiteStats {
	k := siteKey{lock.Class, site}
	s := c.sites[k]
	if s == nil {
		s = &SiteStats{Lock: lock}
		c.sites[k] = s
	}
	return s
}

// Acquired records an acquisition of lock at site that waited for
// waited (0 if it did not block).
func (c *Contention) Acquired(lock deadlock.LockInfo, site any, waited time.Duration, blocked bool) {
	s := c.stats(lock, site)
	s.Acquisitions++
	if blocked {
		s.Contended++
		s.Wait += waited
		s.MaxWait = max(s.MaxWait, waited)
	}
}

// Released records the release of a hold of lock taken at site, held
// for held.
func (c *Contention) Released(lock deadlock.LockInfo, site any, held time.Duration) {
	s := c.stats(lock, site)
	s.Releases++
	s.Hold += held
	s.MaxHold = max(s.MaxHold, held)
}

// Findings returns one CT5001 for each of the top sites that waited,
// the longest total wait first; top <= 0 means all. frame resolves a
// site to the frame of its acquisition.
func (c *Contention) Findings(top int, frame func(site any) report.Frame) []report.Finding {
	// Sites that resolve to the same frame (stacks that differ deeper)
	// are one site.
	type key struct {
		class string
		at    report.Frame
	}
	merged := map[key]*SiteStats{}
	var order []key
	for k, s := range c.sites {
		at := frame(k.site)
		mk := key{k.class, at}
		m := merged[mk]
		if m == nil {
			cp := *s
			cp.Site = at
			merged[mk] = &cp
			order = append(order, mk)
			continue
		}
		m.Acquisitions += s.Acquisitions
		m.Contended += s.Contended
		m.Wait += s.Wait
		m.MaxWait = max(m.MaxWait, s.MaxWait)
		m.Releases += s.Releases
		m.Hold += s.Hold
		m.MaxHold = max(m.MaxHold, s.MaxHold)
		if s.Lock.ID < m.Lock.ID {
			m.Lock = s.Lock
		}
	}
	var all []*SiteStats
	for _, k := range order {
		if s := merged[k]; s.Contended > 0 {
			all = append(all, s)
		}
	}
	slices.SortFunc(all, func(a, b *SiteStats) int {
		if c := cmp.Compare(b.Wait, a.Wait); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Site.String(), b.Site.String()); c != 0 {
			return c
		}
		return cmp.Compare(a.Lock.Class, b.Lock.Class)
	})
	if top > 0 && len(all) > top {
		all = all[:top]
	}
	out := make([]report.Finding, 0, len(all))
	for _, s := range all {
		out = append(out, s.finding())
	}
	return out
}

func (s *SiteStats) finding() report.Finding {
	f := report.New("CT5001")
	f.Confidence = report.Observed
	f.Location = s.Site
	f.Locks = []report.Lock{s.Lock.Report()}
	label := s.Lock.Report().Label()
	if s.Lock.Named || s.Lock.Name == "" {
		label += " (class " + s.Lock.Class + ")"
	}
	f.Message = fmt.Sprintf("hot lock: %s: %d of %d acquisitions here waited, %s in all (longest %s)",
		label, s.Contended, s.Acquisitions, round(s.Wait), round(s.MaxWait))
	if s.Releases > 0 {
		f.Message += fmt.Sprintf("; held %s in all from here (mean %s, longest %s)",
			round(s.Hold), round(s.Hold/time.Duration(s.Releases)), round(s.MaxHold))
	}
	return f
}

// Each calls f for every lock class and acquisition site that had to
// wait, with the site as given to Acquired, in no order.
func (c *Contention) Each(f func(site any, s SiteStats)) {
	for k, s := range c.sites {
		if s.Contended > 0 {
			f(k.site, *s)
		}
	}
}
