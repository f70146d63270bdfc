package trace

import "github.com/condiag/condiag/internal/tracefmt"

// AppendChunk frames body as a chunk, for tests.
func AppendChunk(b, body []byte) []byte { return tracefmt.AppendChunk(b, body) }
