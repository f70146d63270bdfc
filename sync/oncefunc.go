//go:build !condiagoff

package sync

// OnceFunc returns a function that invokes f only once. The returned
// function may be called concurrently.
//
// If f panics, the returned function will panic with the same value on
// every call.
func OnceFunc(f func()) func() {
	var s onceState
	call := func() {
		defer s.finish(func() { f = nil })
		f()
		s.valid = true
	}
	return func() {
		s.once.Do(call)
		s.check()
	}
}

// OnceValue returns a function that invokes f only once and returns the
// value returned by f. The returned function may be called concurrently.
//
// If f panics, the returned function will panic with the same value on
// every call.
func OnceValue[T any](f func() T) func() T {
	var (
		s      onceState
		result T
	)
	call := func() {
		defer s.finish(func() { f = nil })
		result = f()
		s.valid = true
	}
	return func() T {
		s.once.Do(call)
		s.check()
		return result
	}
}

// OnceValues returns a function that invokes f only once and returns the
// values returned by f. The returned function may be called concurrently.
//
// If f panics, the returned function will panic with the same value on
// every call.
func OnceValues[T1, T2 any](f func() (T1, T2)) func() (T1, T2) {
	var (
		s  onceState
		r1 T1
		r2 T2
	)
	call := func() {
		defer s.finish(func() { f = nil })
		r1, r2 = f()
		s.valid = true
	}
	return func() (T1, T2) {
		s.once.Do(call)
		s.check()
		return r1, r2
	}
}

// onceState is the shared part of OnceFunc, OnceValue and OnceValues.
type onceState struct {
	once  Once
	valid bool // f returned normally
	p     any  // what f panicked with
}

// finish runs deferred after f: it drops f, and when f panicked it keeps
// the value and panics again at once, so that the first caller gets a
// traceback into f.
func (s *onceState) finish(drop func()) {
	drop()
	if !s.valid {
		s.p = recover()
		panic(s.p)
	}
}

// check panics with f's value on every call after f panicked.
func (s *onceState) check() {
	if !s.valid {
		panic(s.p)
	}
}
