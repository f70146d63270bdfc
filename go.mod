module github.com/condiag/condiag

go 1.26.8

require github.com/google/go-cmp v0.7.0

require golang.org/x/exp v0.0.0-20261014143641-f0251eb4aa3e

require go.uber.org/goleak v1.3.0

require golang.org/x/sync v0.25.0

require github.com/felixge/fgprof v0.9.5

require (
	github.com/google/pprof v0.0.0-20261105003125-4bf881d7fb0b
	github.com/prometheus/procfs v0.23.0
	golang.org/x/sys v0.49.0
)
