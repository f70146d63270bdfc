//go:build !condiagoff

package sync

// OnceFunc returns a function that invokes f only once. The returned
// function may be called concurrently.
//
// If f panics, the returned function will panic with the same value on
// every call.
func OnceFunc(f func()) func() {
	d := &onceFunc{f: f}
	return d.get
}

// OnceValue returns a function that invokes f only once and returns the
// value returned by f. The returned function may be called concurrently.
//
// If f panics, the returned function will panic with the same value on
// every call.
func OnceValue[T any](f func() T) func() T {
	d := &onceValue[T]{f: f}
	return d.get
}

// OnceValues returns a function that invokes f only once and returns the
// values returned by f. The returned function may be called concurrently.
//
// If f panics, the returned function will panic with the same value on
// every call.
func OnceValues[T1, T2 any](f func() (T1, T2)) func() (T1, T2) {
	d := &onceValues[T1, T2]{f: f}
	return d.get
}

// The three share one shape, in one allocation each (plus the returned
// method value): a Once, f until it has run, whether it returned
// normally, and what it panicked with. The deferred done drops f and,
// when f panicked, keeps the value and panics again at once so that the
// first caller gets a traceback into f; later calls panic with the kept
// value. recover must be called by the deferred method itself, hence one
// done per type.

type onceFunc struct {
	once  Once
	f     func()
	valid bool
	p     any
}

func (d *onceFunc) get() {
	d.once.Do(d.call)
	if !d.valid {
		panic(d.p)
	}
}

func (d *onceFunc) call() {
	defer d.done()
	d.f()
	d.valid = true
}

func (d *onceFunc) done() {
	d.f = nil
	if !d.valid {
		d.p = recover()
		panic(d.p)
	}
}

type onceValue[T any] struct {
	once   Once
	f      func() T
	valid  bool
	p      any
	result T
}

func (d *onceValue[T]) get() T {
	d.once.Do(d.call)
	if !d.valid {
		panic(d.p)
	}
	return d.result
}

func (d *onceValue[T]) call() {
	defer d.done()
	d.result = d.f()
	d.valid = true
}

func (d *onceValue[T]) done() {
	d.f = nil
	if !d.valid {
		d.p = recover()
		panic(d.p)
	}
}

type onceValues[T1, T2 any] struct {
	once  Once
	f     func() (T1, T2)
	valid bool
	p     any
	r1    T1
	r2    T2
}

func (d *onceValues[T1, T2]) get() (T1, T2) {
	d.once.Do(d.call)
	if !d.valid {
		panic(d.p)
	}
	return d.r1, d.r2
}

func (d *onceValues[T1, T2]) call() {
	defer d.done()
	d.r1, d.r2 = d.f()
	d.valid = true
}

func (d *onceValues[T1, T2]) done() {
	d.f = nil
	if !d.valid {
		d.p = recover()
		panic(d.p)
	}
}
