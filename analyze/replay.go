package analyze

import (
	"fmt"
	"slices"
	"time"

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/detect/starve"
	"github.com/condiag/condiag/internal/racecheck"
	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/trace"
)

// The replay mirrors internal/monitor event by event: the same held
// chains with the same validity rules (a write hold is valid while its
// goroutine owns the lock, a read hold while no other goroutine released
// a read hold of the lock it did not take), the same chain hashes to
// decide when the lock-order graph learns something, and the same
// detector package builds the findings. What the monitor learns from the
// clock (the 20 ms self-deadlock grace, the watchdog's ticks, the hang
// threshold) the replay learns from the events' times: checks fall due
// at a time and run before the first event past it, or at the end of
// the trace.

const (
	maxHeld   = 16                     // as internal/monitor
	selfGrace = 20 * time.Millisecond  // as internal/monitor
	stable    = 100 * time.Millisecond // a wait the watchdog saw on two ticks
)

type mode = deadlock.Mode

const (
	write = deadlock.ModeWrite
	read  = deadlock.ModeRead
)

// object is the replay's state of one lock, wait group or cond.
type object struct {
	id       uint64
	kind     trace.ObjKind
	site     []report.Frame
	class    string // named class, "" if none
	sub      int
	name     string
	info     deadlock.LockInfo
	infoOK   bool
	owner    uint64
	rEpoch   uint32
	handed   bool
	selfRep  bool
	count    int64 // wait group counter
	announce bool
	res      *deadlock.Resource // for a semaphore, barrier, event, queue or pool
	grants   uint64             // write acquisitions, as the monitor counts them
	hb, ho   *racecheck.Sync    // in the race checks, as a lock and as a hand-off (race.go)
	loc      *racecheck.Loc     // for a declared location
}

// resource returns o's wait-for state, made on first use.
func (o *object) resource() *deadlock.Resource {
	if o.res == nil {
		o.res = deadlock.NewResource(0)
	}
	return o.res
}

func (o *object) lockInfo() deadlock.LockInfo {
	if o.infoOK {
		return o.info
	}
	var site report.Frame
	if len(o.site) > 0 {
		site = o.site[0]
	}
	class := "never acquired"
	if !site.IsZero() {
		class = site.String()
	}
	named := o.class != ""
	if named {
		class = o.class
	}
	if o.sub != 0 {
		class = fmt.Sprintf("%s/%d", class, o.sub)
	}
	o.info = deadlock.LockInfo{
		ID: o.id, Kind: o.kind.String(), Class: class, Name: o.name,
		FirstLocked: site, Named: named || o.sub != 0,
	}
	o.infoOK = true
	return o.info
}

type entry struct {
	o     *object
	chain uint64
	epoch uint32
	mode  mode
	try   bool
	stack trace.StackID // of the acquisition
	t     time.Duration // when it was granted
}

// request is a goroutine's Lock or RLock that was not granted yet, or
// its wait in an operation on another object (op is set).
type request struct {
	o       *object
	mode    mode
	stack   trace.StackID
	t       time.Duration // when it was made
	blocked bool
	since   time.Duration // when it blocked
	seq     uint64        // number of the wait, when blocked
	// For a lock: whether it was read-held when the wait began, and
	// its write acquisitions then.
	readHeld bool
	grants   uint64
	// For a wait on an object: the operation and its argument, and the
	// most permits another goroutine held (a semaphore).
	op      trace.Op
	n       int64
	largest int64
}

// grout is the replay's state of one goroutine.
type grout struct {
	id       uint64
	creator  uint64
	reuses   uint64 // the exited goroutine whose runtime structure it reuses
	rt       *racecheck.Thread
	created  report.Frame
	held     [maxHeld]entry
	n        int
	overflow int
	stale    []*object
	pend     *request // nil, or &reqBuf
	// the hang check: when it is due for the current wait, and whether
	// one is queued
	hangDue    time.Duration
	hangQueued bool
	// the same for the check of a stable wait
	stableDue    time.Duration
	stableQueued bool
	reqBuf       request
	// waiting on a wait group or a cond, for the end of the trace
	waitObj   *object
	waitStack []report.Frame
	waitSince time.Duration
}

// check is something the replay must look at once the trace reaches
// due.
type check struct {
	due  time.Duration
	kind int
	g    *grout
	seq  uint64
	req  request
}

const (
	checkSelf = iota
	checkStable
	checkHang
)

// proc is the replay of one process's trace.
type proc struct {
	r    *trace.Reader
	pid  int
	hang time.Duration
	// hangFixed is set when the threshold was given by the caller, not
	// taken from the trace.
	hangFixed bool
	now       time.Duration
	objs      []*object
	objMap    map[uint64]*object
	gs        []*grout
	gMap      map[uint64]*grout
	lastG     *grout

	graph     *deadlock.Graph
	validated hashSet
	heldBuf   []deadlock.HeldLock
	checks    []check // a min-heap by due
	waitSeq   uint64
	cycles    map[string]bool // wait cycles reported, by their waits
	inCycle   map[uint64]bool // goroutines of reported cycles

	findings []report.Finding
	seen     map[string]bool

	starve     *starve.Detector
	contention *starve.Contention  // nil unless asked for
	race       *racecheck.Detector // nil until a location or edge is declared
}

func newProc(r *trace.Reader, hang time.Duration, opt Options) *proc {
	p := &proc{
		r: r, pid: r.Header().PID, hang: hang,
		objMap: map[uint64]*object{}, gMap: map[uint64]*grout{},
		graph:  deadlock.NewGraph(),
		cycles: map[string]bool{}, inCycle: map[uint64]bool{}, seen: map[string]bool{},
		starve: starve.New(opt.Starve),
	}
	if r.Header().Race {
		p.startRace()
	}
	if opt.Contention || opt.Waits {
		p.contention = starve.NewContention()
	}
	return p
}

const denseLimit = 1 << 22

func (p *proc) obj(id uint64) *object {
	if id < uint64(len(p.objs)) {
		if o := p.objs[id]; o != nil {
			return o
		}
	}
	return p.objSlow(id)
}

func (p *proc) objSlow(id uint64) *object {
	if id >= denseLimit {
		o := p.objMap[id]
		if o == nil {
			o = &object{id: id}
			p.objMap[id] = o
		}
		return o
	}
	if id >= uint64(len(p.objs)) {
		p.objs = slices.Grow(p.objs, int(id)+1-len(p.objs))[:id+1]
	}
	o := &object{id: id}
	p.objs[id] = o
	return o
}

func (p *proc) g(id uint64) *grout {
	if g := p.lastG; g != nil && g.id == id {
		return g
	}
	var g *grout
	if id < uint64(len(p.gs)) {
		g = p.gs[id]
	}
	if g == nil {
		g = p.gSlow(id)
	}
	p.lastG = g
	return g
}

func (p *proc) gSlow(id uint64) *grout {
	if id >= denseLimit {
		g := p.gMap[id]
		if g == nil {
			g = &grout{id: id}
			p.gMap[id] = g
		}
		return g
	}
	if id >= uint64(len(p.gs)) {
		p.gs = slices.Grow(p.gs, int(id)+1-len(p.gs))[:id+1]
	}
	g := &grout{id: id}
	p.gs[id] = g
	return g
}

func (p *proc) report(fs ...report.Finding) {
	for _, f := range fs {
		f.Process = p.pid
		k := f.Key()
		if p.seen[k] {
			continue
		}
		p.seen[k] = true
		p.findings = append(p.findings, f)
	}
}

// event applies one event.
func (p *proc) event(e *trace.Event) {
	if len(p.checks) > 0 && p.checks[0].due <= e.Time {
		p.runChecks(e.Time)
	}
	p.now = e.Time
	g := p.g(e.G)
	switch e.Kind {
	case trace.EvLock, trace.EvRLock:
		p.grant(g)
		m := write
		if e.Kind == trace.EvRLock {
			m = read
		}
		p.request(g, p.obj(e.Obj), m, e.Stack)
	case trace.EvUnlock:
		p.grant(g)
		p.release(g, p.obj(e.Obj), write)
	case trace.EvRUnlock:
		p.grant(g)
		p.release(g, p.obj(e.Obj), read)
	case trace.EvBlock:
		p.block(g, e)
	case trace.EvUnblock:
		p.unblock(g, e)
		p.grant(g)
	case trace.EvOp:
		p.grant(g)
		if validOp(e) {
			p.op(g, e)
		}
	case trace.EvOpBlock:
		p.grant(g)
		if validOp(e) {
			p.blockOn(g, e)
		}
	case trace.EvOpUnblock:
		p.unblockOp(g, e)
	case trace.EvTryLock, trace.EvTryRLock:
		p.grant(g)
		m := write
		if e.Kind == trace.EvTryRLock {
			m = read
		}
		o := p.obj(e.Obj)
		p.acquired(g, o, m, true, e.Stack)
		if p.contention != nil {
			p.contention.Acquired(o.lockInfo(), e.Stack, 0, false)
		}
	case trace.EvTryFail, trace.EvTryRFail:
		p.grant(g)
	case trace.EvObject:
		o := p.obj(e.Obj)
		o.kind = trace.ObjKind(e.Arg)
		o.site = p.r.Stack(e.Stack)
		o.infoOK = false
		o.announce = true
		if o.kind == trace.ObjVar || o.kind == trace.ObjEdge {
			p.startRace()
		}
	case trace.EvClass:
		o := p.obj(e.Obj)
		o.class, o.infoOK = e.Str, false
	case trace.EvSubclass:
		o := p.obj(e.Obj)
		o.sub, o.infoOK = int(e.Arg), false
	case trace.EvName:
		o := p.obj(e.Obj)
		o.name, o.infoOK = e.Str, false
	case trace.EvGoroutine:
		g.creator, g.reuses = uint64(e.Arg), uint64(e.Arg2)
		if st := p.r.Stack(e.Stack); len(st) > 0 {
			g.created = st[0]
		}
	case trace.EvHang:
		p.grant(g)
		if !p.hangFixed {
			p.hang = time.Duration(e.Arg)
			if p.hang > 0 {
				for _, b := range p.blockedGs() {
					p.scheduleHang(b, b.pend.since+p.hang, true)
				}
			}
		}
	case trace.EvMisuse:
		p.grant(g)
		var info *deadlock.LockInfo
		if e.Obj != 0 {
			i := p.obj(e.Obj).lockInfo()
			info = &i
		}
		p.report(deadlock.MisuseFinding(info, trace.ObjKind(e.Arg).String(), e.Str, int64(g.id), g.heldIDs(), p.r.Stack(e.Stack)))
	case trace.EvWGAdd:
		p.grant(g)
		p.obj(e.Obj).count += e.Arg
	case trace.EvWGWait, trace.EvCondWait:
		p.grant(g)
		g.waitObj, g.waitStack, g.waitSince = p.obj(e.Obj), p.r.Stack(e.Stack), e.Time
	case trace.EvWGWaited, trace.EvCondWoken:
		p.grant(g)
		g.waitObj, g.waitStack = nil, nil
	case trace.EvAccess:
		p.grant(g)
		p.raceAccess(g, e)
	case trace.EvHeld:
		p.grant(g)
		m := read
		if e.Arg == 1 {
			m = write
		}
		if o := p.obj(e.Obj); !g.has(o, m) {
			p.acquired(g, o, m, false, e.Stack)
		}
	case trace.EvUnguarded:
		p.grant(g)
		p.report(race.UnguardedFinding(e.Str, e.Arg != 0, int64(e.Arg2), int64(g.id), p.r.Stack(e.Stack)))
	case trace.EvSync:
		p.grant(g)
		p.raceSync(g, e)
	default:
		p.grant(g)
	}
}

// request mirrors G.BeforeLock: the self checks and the graph feed.
func (p *proc) request(g *grout, o *object, m mode, stack trace.StackID) {
	g.reqBuf = request{o: o, mode: m, stack: stack, t: p.now}
	req := &g.reqBuf
	g.pend = req
	if g.n == 0 {
		return
	}
	if p.selfCheck(g, req) {
		return // decided when the grace ends
	}
	p.maybeFeed(g, req)
}

func (p *proc) maybeFeed(g *grout, req *request) {
	if g.n > 0 && g.n < maxHeld {
		if !p.validated.has(g.next(req.o, req.mode, false)) {
			p.feed(g, req)
		}
	}
}

// selfCheck mirrors G.checkSelf. It returns true when the outcome
// depends on whether another goroutine releases the lock within the
// grace: a check then falls due.
func (p *proc) selfCheck(g *grout, req *request) bool {
	o, m := req.o, req.mode
	for i := g.n - 1; i >= 0; i-- {
		e := &g.held[i]
		if e.o != o {
			continue
		}
		if !g.valid(e) {
			g.dropStale(i)
			g.rehash(i)
			continue
		}
		switch {
		case e.mode == read && m == read:
			if !o.selfRep {
				o.selfRep = true
				p.report(deadlock.SelfFinding("DL1004", int64(g.id), g.heldIDs(), o.lockInfo(), e.mode, m, "about to block", p.r.Stack(req.stack)))
			}
		case e.mode == read || o.handed:
		default:
			p.schedule(check{due: p.now + selfGrace, kind: checkSelf, g: g, req: *req})
			return true
		}
		return false
	}
	return false
}

// grace decides a self-deadlock check: the goroutine still waits for a
// lock it holds, nobody handed it over.
func (p *proc) grace(c check) {
	g, req := c.g, &c.req
	if req.o.handed {
		// Another goroutine released the lock in the grace: the
		// monitor's retry got it, and it neither reported nor fed.
		return
	}
	if m, ok := p.holdsMode(g, req.o); ok && m == write {
		p.report(deadlock.SelfFinding("DL1003", int64(g.id), g.heldIDs(), req.o.lockInfo(), m, req.mode, "about to block", p.r.Stack(req.stack)))
	}
	p.maybeFeed(g, req)
}

// feed mirrors G.feed.
func (p *proc) feed(g *grout, req *request) {
	g.prune()
	h := g.next(req.o, req.mode, false)
	if g.n == 0 {
		p.validated.add(h)
		return
	}
	a := deadlock.Acquisition{
		Goroutine: int64(g.id),
		Lock:      req.o.lockInfo(),
		Mode:      req.mode,
		Stack:     func() []report.Frame { return p.r.Stack(req.stack) },
		Held:      p.heldBuf[:0],
	}
	for i := 0; i < g.n; i++ {
		e := &g.held[i]
		a.Held = append(a.Held, deadlock.HeldLock{Lock: e.o.lockInfo(), Mode: e.mode})
	}
	p.heldBuf = a.Held
	found, _ := p.graph.Acquire(a)
	p.validated.add(h)
	p.report(found...)
}

// grant marks g's pending request granted: it made another event since,
// so it got the lock.
func (p *proc) grant(g *grout) {
	req := g.pend
	if req == nil {
		return
	}
	g.pend = nil
	if req.op != 0 {
		return // a wait on an object, over
	}
	n := g.n
	p.acquired(g, req.o, req.mode, false, req.stack)
	if g.n > n && !req.blocked {
		g.held[n].t = req.t // granted when asked for
	}
	if p.contention != nil {
		p.contention.Acquired(req.o.lockInfo(), req.stack, p.now-req.since, req.blocked)
	}
}

// acquired mirrors G.Acquired.
func (p *proc) acquired(g *grout, o *object, m mode, try bool, stack trace.StackID) {
	if p.race != nil {
		p.raceLock(g, o, m, true)
	}
	if m == write {
		o.owner = g.id
		o.grants++
	}
	if g.n == maxHeld {
		g.overflow++
		return
	}
	h := g.next(o, m, try)
	e := &g.held[g.n]
	*e = entry{o: o, mode: m, try: try, chain: h, stack: stack, t: p.now}
	if m == read {
		e.epoch = o.rEpoch
	}
	g.n++
}

// release mirrors G.Released.
func (p *proc) release(g *grout, o *object, m mode) {
	// A release of a hold g did not take hands the lock over: a
	// goroutine whose request for it is pending, not blocked, got it
	// before.
	if !g.has(o, m) {
		p.each(func(h *grout) {
			if h != g && h.pend != nil && !h.pend.blocked && h.pend.o == o {
				p.grant(h)
			}
		})
	}
	if p.race != nil {
		p.raceLock(g, o, m, false)
	}
	if m == write {
		o.owner = 0
	}
	for i := g.n - 1; i >= 0; i-- {
		if e := &g.held[i]; e.o == o && e.mode == m {
			if p.contention != nil {
				p.contention.Released(o.lockInfo(), e.stack, p.now-e.t)
			}
			g.remove(i)
			return
		}
	}
	if g.overflow > 0 {
		g.overflow--
		return
	}
	if m == read {
		if i := slices.Index(g.stale, o); i >= 0 {
			g.stale = slices.Delete(g.stale, i, i+1)
			return
		}
		o.rEpoch++
	}
	o.handed = true
}

func (p *proc) block(g *grout, e *trace.Event) {
	req := g.pend
	if req == nil || req.o.id != e.Obj {
		return // a Block without its request: nothing to wait on
	}
	p.waitSeq++
	req.blocked, req.since, req.seq = true, e.Time, p.waitSeq
	req.readHeld, req.grants = req.o.owner == 0, req.o.grants
	p.waitBegan(g, e.Time)
}

// waitBegan schedules the checks of g's wait, which began at t.
func (p *proc) waitBegan(g *grout, t time.Duration) {
	g.stableDue = t + stable
	if !g.stableQueued {
		g.stableQueued = true
		p.schedule(check{due: g.stableDue, kind: checkStable, g: g})
	}
	if p.hang > 0 {
		p.scheduleHang(g, t+p.hang, false)
	}
}

// unblock checks the lock wait that ended with e for starvation, as
// G.Waited does.
func (p *proc) unblock(g *grout, e *trace.Event) {
	req := g.pend
	if req == nil || !req.blocked || req.op != 0 || req.o.id != e.Obj {
		return
	}
	waited := e.Time - req.since
	if waited < p.starve.LockFloor() {
		return
	}
	if f, ok := p.starve.LockWaited(starve.LockWait{
		Goroutine: int64(g.id), Lock: req.o.lockInfo(), Mode: req.mode, Waited: waited,
		Overtaken: int(e.Arg), ReadHeld: req.readHeld && req.o.grants == req.grants, Stack: p.r.Stack(req.stack),
	}); ok {
		p.report(f)
	}
}

// validOp reports whether e names an operation this version knows, on
// an object: others (from a newer condiag, or corrupt) are left out.
func validOp(e *trace.Event) bool {
	return e.Obj != 0 && e.Arg > 0 && e.Arg < int64(tracefmt.NumOps)
}

// op applies an operation on a semaphore, barrier, event, queue or pool,
// as monitor.ObjectOp does.
func (p *proc) op(g *grout, e *trace.Event) {
	o := p.obj(e.Obj)
	op := trace.Op(e.Arg)
	waited := o.resource().Apply(g.id, deadlock.Op(op), e.Arg2, e.Time)
	switch op {
	case trace.OpTaskSubmit:
		if e.Stack != 0 {
			o.res.SetSite(e.Arg2, deadlock.Site{Stack: uint64(e.Stack)})
		}
	case trace.OpTaskStart:
		if waited <= 0 {
			return
		}
		st := p.r.Stack(trace.StackID(o.res.Site(e.Arg2).Stack))
		if f, ok := p.starve.WorkWaited(starve.WorkWait{
			Goroutine: int64(g.id), Object: o.lockInfo(), Op: deadlock.Op(op), Size: o.res.Size, Waited: waited, Stack: st,
		}); ok {
			p.report(f)
		}
	}
}

// blockOn starts g's wait in an operation on an object, as G.BlockOn
// does.
func (p *proc) blockOn(g *grout, e *trace.Event) {
	o := p.obj(e.Obj)
	p.waitSeq++
	g.reqBuf = request{
		o: o, mode: write, stack: e.Stack, t: e.Time, blocked: true, since: e.Time, seq: p.waitSeq,
		op: trace.Op(e.Arg), n: e.Arg2,
	}
	if g.reqBuf.op == trace.OpSemAcquire {
		g.reqBuf.largest = o.resource().Largest(g.id)
	}
	g.pend = &g.reqBuf
	p.waitBegan(g, e.Time)
}

// unblockOp ends g's wait on an object and checks it for starvation, as
// G.Unblocked does.
func (p *proc) unblockOp(g *grout, e *trace.Event) {
	req := g.pend
	if req == nil || req.op == 0 {
		p.grant(g)
		return
	}
	g.pend = nil
	if req.op != trace.OpQueuePut && req.op != trace.OpSemAcquire {
		return
	}
	if f, ok := p.starve.WorkWaited(starve.WorkWait{
		Goroutine: int64(g.id), Object: req.o.lockInfo(), Op: deadlock.Op(req.op), N: req.n,
		Size: req.o.resource().Size, Largest: req.largest, Waited: e.Time - req.since, Stack: p.r.Stack(req.stack),
	}); ok {
		p.report(f)
	}
}

// waiting reports whether g is still in the wait numbered seq.
func waiting(g *grout, seq uint64) bool {
	return g.pend != nil && g.pend.blocked && g.pend.seq == seq
}

// stableWait mirrors the watchdog's tick for a wait seen twice.
func (p *proc) stableWait(c check) {
	g := c.g
	g.stableQueued = false
	if g.pend == nil || !g.pend.blocked {
		return
	}
	if c.due < g.stableDue {
		// The wait this check was for is over; the current one is
		// stable later.
		g.stableQueued = true
		p.schedule(check{due: g.stableDue, kind: checkStable, g: g})
		return
	}
	req := g.pend
	if req.op == 0 && req.mode == write && !req.o.handed {
		if m, ok := p.holdsMode(g, req.o); ok && m == read {
			p.report(deadlock.SelfFinding("DL1003", int64(g.id), g.heldIDs(), req.o.lockInfo(), m, req.mode, "blocked", p.r.Stack(req.stack)))
		}
	}
	ws, blocked := p.waiters()
	var snap *deadlock.Snapshot
	for _, cyc := range deadlock.WaitCycles(ws) {
		if !slices.ContainsFunc(cyc, func(i int) bool { return blocked[i] == g }) {
			continue
		}
		key := ""
		for _, i := range cyc {
			key += fmt.Sprintf("%d/%d ", blocked[i].id, blocked[i].pend.seq)
		}
		if p.cycles[key] {
			continue
		}
		p.cycles[key] = true
		for _, i := range cyc {
			p.inCycle[blocked[i].id] = true
		}
		if snap == nil {
			s := p.snapshot()
			snap = &s
		}
		p.report(deadlock.BlockedFinding(ws, cyc, *snap))
	}
}

// scheduleHang makes a hang check fall due for g's current wait at due.
// A goroutine has one hang check queued at most, so that the queue does
// not grow with the number of waits: a check that falls due for a wait
// that is over moves on to the goroutine's current one. earlier forces a
// new check when the threshold went down.
func (p *proc) scheduleHang(g *grout, due time.Duration, earlier bool) {
	g.hangDue = due
	if !g.hangQueued || earlier {
		g.hangQueued = true
		p.schedule(check{due: due, kind: checkHang, g: g})
	}
}

func (p *proc) hangCheck(c check) {
	g := c.g
	g.hangQueued = false
	if g.pend == nil || !g.pend.blocked || p.hang <= 0 {
		return // not waiting, or the check is off
	}
	if c.due < g.hangDue {
		g.hangQueued = true
		p.schedule(check{due: g.hangDue, kind: checkHang, g: g})
		return
	}
	if c.due < g.pend.since+p.hang {
		return // the threshold went up since
	}
	ws, blocked := p.waiters()
	for i, b := range blocked {
		if b == g {
			p.report(deadlock.HangFinding(ws[i], c.due-g.pend.since, p.snapshot()))
		}
	}
}

// blockedGs returns the goroutines blocked on a lock, by id.
func (p *proc) blockedGs() []*grout {
	var out []*grout
	p.each(func(g *grout) {
		if g.pend != nil && g.pend.blocked {
			out = append(out, g)
		}
	})
	return out
}

func (p *proc) each(f func(*grout)) {
	for _, g := range p.gs {
		if g != nil {
			f(g)
		}
	}
	ids := make([]uint64, 0, len(p.gMap))
	for id := range p.gMap {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		f(p.gMap[id])
	}
}

// waiters mirrors the watchdog's wait-for graph.
func (p *proc) waiters() ([]deadlock.Waiter, []*grout) {
	blocked := p.blockedGs()
	readers := map[*object][]uint64{}
	p.each(func(g *grout) {
		for i := 0; i < g.n; i++ {
			if e := &g.held[i]; e.mode == read && g.valid(e) {
				readers[e.o] = append(readers[e.o], g.id)
			}
		}
	})
	queued := map[*object][]uint64{}
	for _, g := range blocked {
		if g.pend.mode == write && g.pend.op == 0 {
			queued[g.pend.o] = append(queued[g.pend.o], g.id)
		}
	}
	ws := make([]deadlock.Waiter, len(blocked))
	for i, g := range blocked {
		o := g.pend.o
		ws[i] = deadlock.Waiter{Goroutine: int64(g.id), Lock: o.lockInfo(), Mode: g.pend.mode, Uncertain: o.handed}
		if req := g.pend; req.op != 0 {
			ws[i] = ws[i].Resource(o.resource().WaitsFor(g.id, deadlock.Op(req.op), req.n))
			continue
		}
		var on []uint64
		if o.owner != 0 {
			on = append(on, o.owner)
		}
		if g.pend.mode == write {
			on = append(on, readers[o]...)
		} else {
			on = append(on, queued[o]...)
		}
		for _, h := range on {
			if h != g.id && !slices.Contains(ws[i].WaitsFor, int64(h)) {
				ws[i].WaitsFor = append(ws[i].WaitsFor, int64(h))
			}
		}
	}
	return ws, blocked
}

// snapshot describes every goroutine: what it holds, and its stack as
// far as the trace knows it (where it blocked, or where it took the last
// lock it holds).
func (p *proc) snapshot() deadlock.Snapshot {
	s := deadlock.Snapshot{Holds: map[int64][]deadlock.HeldLock{}, Stacks: map[int64]report.Goroutine{}}
	p.each(func(g *grout) {
		var last []report.Frame
		for i := 0; i < g.n; i++ {
			if e := &g.held[i]; g.valid(e) {
				s.Holds[int64(g.id)] = append(s.Holds[int64(g.id)], deadlock.HeldLock{Lock: e.o.lockInfo(), Mode: e.mode})
				last = p.r.Stack(e.stack)
			}
		}
		rg := report.Goroutine{ID: int64(g.id), CreatedBy: g.created}
		switch {
		case g.pend != nil && g.pend.blocked:
			rg.State, rg.Stack = "blocked", p.r.Stack(g.pend.stack)
		case g.waitObj != nil:
			rg.State, rg.Stack = "waiting", g.waitStack
		default:
			rg.State, rg.Stack = "last seen taking a lock", last
		}
		if rg.Stack != nil || s.Holds[int64(g.id)] != nil {
			s.Stacks[int64(g.id)] = rg
		}
	})
	return s
}

func (p *proc) holdsMode(g *grout, o *object) (mode, bool) {
	for i := 0; i < g.n; i++ {
		if e := &g.held[i]; e.o == o && g.valid(e) {
			return e.mode, true
		}
	}
	return 0, false
}

func (p *proc) schedule(c check) {
	p.checks = append(p.checks, c)
	h := p.checks
	for i := len(h) - 1; i > 0; {
		j := (i - 1) / 2
		if h[j].due <= h[i].due {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

func (p *proc) popCheck() check {
	h := p.checks
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].due < h[m].due {
			m = l
		}
		if r < len(h) && h[r].due < h[m].due {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	p.checks = h
	return top
}

// settle grants the requests that did not block and were made long
// enough before t: a goroutine that blocks records it right after its
// request, so one that did not, got the lock, even if it has made no
// event since (it may be blocked on a channel, holding the lock).
func (p *proc) settle(t time.Duration) {
	p.each(func(g *grout) {
		if r := g.pend; r != nil && !r.blocked && r.t+settleAfter <= t {
			p.grant(g)
		}
	})
}

// settleAfter is how long after a request that did not block the replay
// takes it as granted when it needs to know.
const settleAfter = 10 * time.Millisecond

// runChecks runs the checks due by t.
func (p *proc) runChecks(t time.Duration) {
	for len(p.checks) > 0 && p.checks[0].due <= t {
		c := p.popCheck()
		p.now = c.due
		p.settle(c.due)
		switch c.kind {
		case checkSelf:
			p.grace(c)
		case checkStable:
			p.stableWait(c)
		case checkHang:
			p.hangCheck(c)
		}
	}
}

// chain hashes, as internal/monitor computes them.

const chainSeed = 0x243F6A8885A308D3

func mix(h uint64, id uint64, m mode, try bool) uint64 {
	x := id<<3 | uint64(m)<<1
	if try {
		x |= 1
	}
	h ^= x
	h *= 0x9E3779B97F4A7C15
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	if h == 0 {
		h = 1
	}
	return h
}

func (g *grout) next(o *object, m mode, try bool) uint64 {
	prev := uint64(chainSeed)
	if g.n > 0 {
		prev = g.held[g.n-1].chain
	}
	return mix(prev, o.id, m, try)
}

func (g *grout) valid(e *entry) bool {
	if e.mode == write {
		return e.o.owner == g.id
	}
	return e.o.rEpoch == e.epoch
}

func (g *grout) remove(i int) {
	copy(g.held[i:g.n], g.held[i+1:g.n])
	g.n--
	g.held[g.n] = entry{}
	g.rehash(i)
}

func (g *grout) rehash(from int) {
	prev := uint64(chainSeed)
	if from > 0 {
		prev = g.held[from-1].chain
	}
	for j := from; j < g.n; j++ {
		e := &g.held[j]
		e.chain = mix(prev, e.o.id, e.mode, e.try)
		prev = e.chain
	}
}

func (g *grout) prune() {
	for i := g.n - 1; i >= 0; i-- {
		if !g.valid(&g.held[i]) {
			g.dropStale(i)
		}
	}
	g.rehash(0)
}

func (g *grout) dropStale(i int) {
	if e := &g.held[i]; e.mode == read {
		g.stale = append(g.stale, e.o)
		if len(g.stale) > 4 {
			g.stale = g.stale[1:]
		}
	}
	copy(g.held[i:g.n], g.held[i+1:g.n])
	g.n--
	g.held[g.n] = entry{}
}

func (g *grout) has(o *object, m mode) bool {
	for i := 0; i < g.n; i++ {
		if g.held[i].o == o && g.held[i].mode == m {
			return true
		}
	}
	return false
}

func (g *grout) heldIDs() []uint64 {
	ids := make([]uint64, 0, g.n)
	for i := 0; i < g.n; i++ {
		if g.valid(&g.held[i]) {
			ids = append(ids, g.held[i].o.id)
		}
	}
	return ids
}
