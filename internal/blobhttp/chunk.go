package blobhttp

// Fill appends p to *buf, the chunk a writer is filling, of at most size
// bytes. Each time the chunk is full and more of p is left, it calls
// flush, which sends *buf and empties it (a chunk sent is never the last).
// It returns how many bytes of p went into chunks, and flush's error.
func Fill(buf *[]byte, size int, p []byte, flush func() error) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(*buf) == size {
			if err := flush(); err != nil {
				return n - len(p), err
			}
		}
		if *buf == nil {
			*buf = make([]byte, 0, min(size, max(len(p), 64<<10)))
		}
		k := min(len(p), size-len(*buf))
		*buf = append(*buf, p[:k]...)
		p = p[k:]
	}
	return n, nil
}
