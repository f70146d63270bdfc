package monitor

import "sync/atomic"

// chainCache is a lock-free set of validated chain hashes: a chain of held
// locks that was fed to the graph once teaches it nothing new the second
// time. It has a fixed size; a hash that finds its probe window full
// overwrites a slot, so the cache forgets rather than grows (forgetting
// costs a revalidation, never a missed finding).
type chainCache struct {
	slots [1 << chainBits]atomic.Uint64
}

const (
	chainBits  = 16 // 512 KiB, allocated at the first nested acquisition
	chainProbe = 4
)

var chains atomic.Pointer[chainCache]

func (c *chainCache) index(h uint64) uint64 { return h >> (64 - chainBits) }

func (c *chainCache) has(h uint64) bool {
	i := c.index(h)
	for k := uint64(0); k < chainProbe; k++ {
		if c.slots[(i+k)&(1<<chainBits-1)].Load() == h {
			return true
		}
	}
	return false
}

func (c *chainCache) add(h uint64) {
	i := c.index(h)
	for k := uint64(0); k < chainProbe; k++ {
		s := &c.slots[(i+k)&(1<<chainBits-1)]
		if s.CompareAndSwap(0, h) || s.Load() == h {
			return
		}
	}
	c.slots[(i+h&(chainProbe-1))&(1<<chainBits-1)].Store(h)
}

// validated reports whether chain h was validated before.
func validated(h uint64) bool {
	c := chains.Load()
	return c != nil && c.has(h)
}

func markValidated(h uint64) {
	c := chains.Load()
	if c == nil {
		chains.CompareAndSwap(nil, new(chainCache))
		c = chains.Load()
	}
	c.add(h)
}

const chainSeed = 0x243F6A8885A308D3

// mix folds one held lock into a chain hash. The result is never 0.
func mix(h uint64, id uint64, mode Mode, try bool) uint64 {
	x := id<<3 | uint64(mode)<<1
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
