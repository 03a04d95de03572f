package gitrepo

import (
	"bytes"
	"crypto/sha1" // #nosec G505 -- the checksum of git's index file is SHA-1 by format
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// indexPaths returns the paths of the index entries that keep(path) accepts,
// read from the index file itself (format versions 2, 3 and 4), in index
// order with each path once: what `git ls-files` lists, without starting git
// on the path every version command takes.
//
// It returns ok false for whatever it does not read itself, and the caller
// asks git: no .git directory found by discover, GIT_INDEX_FILE set, an
// unknown version, a split index (the "link" extension: most entries live
// in another file), a sparse index (directory entries stand for whole
// trees) or a file that does not parse. A missing index is an empty one, as
// for git.
func (r *Repo) indexPaths(keep func(path string) bool) (paths []string, ok bool) {
	if r.gitDir == "" || r.head == "" {
		return nil, false
	}
	if _, set := os.LookupEnv("GIT_INDEX_FILE"); set {
		return nil, false
	}
	data, err := os.ReadFile(filepath.Join(r.gitDir, "index"))
	if os.IsNotExist(err) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	// The object format decides the size of the names in each entry; HEAD
	// has one.
	return parseIndex(data, len(r.head)/2, keep)
}

// parseIndex reads the entries of an index file whose object names are
// hashSize bytes long (20 for SHA-1, 32 for SHA-256). See indexPaths.
func parseIndex(data []byte, hashSize int, keep func(string) bool) (paths []string, ok bool) {
	const header = 12
	if len(data) < header+hashSize || string(data[:4]) != "DIRC" {
		return nil, false
	}
	version := binary.BigEndian.Uint32(data[4:8])
	if version < 2 || version > 4 {
		return nil, false
	}
	count := binary.BigEndian.Uint32(data[8:12])
	end := len(data) - hashSize // the trailing checksum
	if !indexChecksumOK(data[:end], data[end:]) {
		return nil, false
	}
	// Fixed part of an entry: ctime, mtime (8 each), dev, ino, mode, uid,
	// gid, size (4 each), the object name and 16 bits of flags.
	fixed := 40 + hashSize + 2
	pos := header
	var prev []byte // the previous path, which version 4 paths build on
	for i := uint32(0); i < count; i++ {
		start := pos
		if end-pos < fixed {
			return nil, false
		}
		mode := binary.BigEndian.Uint32(data[pos+24 : pos+28])
		flags := binary.BigEndian.Uint16(data[pos+40+hashSize : pos+fixed])
		pos += fixed
		if flags&0x4000 != 0 { // extended flags
			if version < 3 || end-pos < 2 {
				return nil, false
			}
			pos += 2
		}
		if mode&0o170000 == 0o040000 { // a sparse directory entry
			return nil, false
		}
		var path []byte
		if version == 4 {
			strip, n := binary.Uvarint(data[pos:end])
			if n <= 0 || strip > uint64(len(prev)) {
				return nil, false
			}
			pos += n
			nul := bytes.IndexByte(data[pos:end], 0)
			if nul < 0 {
				return nil, false
			}
			kept := len(prev) - int(strip) // #nosec G115 -- strip <= len(prev), checked above
			path = append(prev[:kept:kept], data[pos:pos+nul]...)
			pos += nul + 1
		} else {
			nul := bytes.IndexByte(data[pos:end], 0)
			if nul < 0 {
				return nil, false
			}
			if n := int(flags & 0x0fff); n < 0x0fff && n != nul {
				return nil, false
			}
			path = data[pos : pos+nul]
			// Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
			pos = start + (pos+nul-start+8)&^7
			if pos > end {
				return nil, false
			}
		}
		prev = path
		if p := string(path); keep(p) && (len(paths) == 0 || paths[len(paths)-1] != p) {
			paths = append(paths, p) // unmerged paths have an entry per stage, side by side
		}
	}
	// Extensions: a 4-byte signature and a 32-bit size each.
	for pos < end {
		if end-pos < 8 {
			return nil, false
		}
		sig := string(data[pos : pos+4])
		size := binary.BigEndian.Uint32(data[pos+4 : pos+8])
		if sig == "link" || sig == "sdir" {
			return nil, false
		}
		if int64(size) > int64(end-pos-8) {
			return nil, false
		}
		pos += 8 + int(size)
	}
	return paths, true
}

// indexChecksumOK reports whether sum is the checksum of an index file's
// content: its SHA-1 or SHA-256 (by the length of sum), or all zeros when
// git was told not to write one (index.skipHash).
func indexChecksumOK(content, sum []byte) bool {
	if !slices.ContainsFunc(sum, func(b byte) bool { return b != 0 }) {
		return true
	}
	var got []byte
	switch len(sum) {
	case sha1.Size:
		s := sha1.Sum(content) // #nosec G401 -- git's index format names SHA-1 as the checksum of the file; it guards against damage, not attack
		got = s[:]
	case sha256.Size:
		s := sha256.Sum256(content)
		got = s[:]
	default:
		return false
	}
	return bytes.Equal(got, sum)
}

// isGoMod reports whether an index path names a go.mod file: the file at
// the top or one in any directory below it.
func isGoMod(path string) bool {
	return path == "go.mod" || strings.HasSuffix(path, "/go.mod")
}
