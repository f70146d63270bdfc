//go:build !amd64 && !arm64

package goid

func getg() uintptr                          { return 0 }
func load(uintptr) uint64                    { return 0 }
func getgWord(uintptr) (g uintptr, w uint64) { return 0, 0 }

const hasGetg = false
