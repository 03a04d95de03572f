// Package archive writes reproducible tar.gz and zip archives: the same
// files, time and compression level give the same bytes, wherever and
// whenever they are written.
//
// Entries are written in name order with fixed metadata: the given
// permission bits, the given modification time (in UTC, whole seconds),
// owner and group 0 with empty names, no directory entries, and a gzip
// header with no file name and no time. Nothing of the machine, the user
// or the clock gets into an archive.
//
// Both formats compress with the deflate of github.com/klauspost/compress,
// which at its fast levels is several times faster than the standard
// library's compress/flate for a similar size (see DefaultLevel). Its
// encoder is plain Go whose output depends on the level and the input
// only, not on the machine, so archives stay reproducible; the bytes may
// change with the version of that module, as they may with the standard
// library's from one Go release to the next.
package archive

import (
	"archive/tar"
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// Compression levels of Write: deflate's, from BestSpeed (fastest, largest)
// to BestCompression (slowest, smallest).
const (
	BestSpeed       = 1
	BestCompression = 9
	// DefaultLevel is the level of a Write given level 0. On Go
	// executables (fzf and Shipline, measured on one core of an AMD EPYC)
	// level 2 compresses at about 200 MB/s, as fast as level 1, and 2 to
	// 3% smaller. Each level above costs more time than it saves: level 5
	// takes about twice as long for archives 7 to 8% smaller, and the
	// standard library's default (its level 6), about six times as long
	// for archives 10 to 12% smaller.
	DefaultLevel = 2
)

// CheckLevel returns an error unless level is 0 (DefaultLevel) or from
// BestSpeed to BestCompression.
func CheckLevel(level int) error {
	if level != 0 && (level < BestSpeed || level > BestCompression) {
		return fmt.Errorf("compression level %d: want %d (fastest) to %d (smallest)", level, BestSpeed, BestCompression)
	}
	return nil
}

// Format is an archive format.
type Format string

// The formats Write can write.
const (
	TarGz Format = "tar.gz"
	Zip   Format = "zip"
)

// FormatFor returns the usual format for a GOOS: zip for windows, tar.gz
// for everything else.
func FormatFor(goos string) Format {
	if goos == "windows" {
		return Zip
	}
	return TarGz
}

// Ext returns the file name extension of the format, with its dot.
func (f Format) Ext() string { return "." + string(f) }

// File is one file to put in an archive.
type File struct {
	Name string      // slash path inside the archive, such as "app" or "docs/README.md"
	Src  string      // the file on disk to copy
	Mode fs.FileMode // permission bits, such as 0o755 for a binary and 0o644 for a document
	// Tee, if not nil, is given every byte of Src as Write reads it, in
	// order and once, so that the caller can hash the file from the read
	// that archives it. Its errors fail Write.
	Tee io.Writer
}

// Write writes an archive of files to w in format f, every entry with
// modification time mtime, compressed at level (0 means DefaultLevel). It
// sorts the entries by name and does not change files. An entry name that
// is empty, absolute, not clean or that leaves the archive (".."), a name
// given twice, a source that is not a regular file or that changes size
// while it is read, a level that CheckLevel refuses and an unknown format
// are errors; so are errors reading the files and writing w.
//
// Write writes to w in pieces of a few hundred bytes: give it a buffered
// writer.
func Write(w io.Writer, f Format, files []File, mtime time.Time, level int) error {
	if err := CheckLevel(level); err != nil {
		return err
	}
	if level == 0 {
		level = DefaultLevel
	}
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	for i, file := range files {
		if file.Name == "" || !fs.ValidPath(file.Name) || file.Name == "." {
			return fmt.Errorf("archive entry %q: want a relative slash path inside the archive", file.Name)
		}
		if i > 0 && files[i-1].Name == file.Name {
			return fmt.Errorf("archive entry %q given twice", file.Name)
		}
	}
	mtime = mtime.UTC().Truncate(time.Second)
	switch f {
	case TarGz:
		return writeTarGz(w, files, mtime, level)
	case Zip:
		return writeZip(w, files, mtime, level)
	}
	return fmt.Errorf("unknown archive format %q: want %s or %s", f, TarGz, Zip)
}

func writeTarGz(w io.Writer, files []File, mtime time.Time, level int) error {
	gz, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return err
	}
	// The zero gzip.Header has no name, no comment and time 0.
	tw := tar.NewWriter(gz)
	buf := make([]byte, copyBuffer)
	for _, file := range files {
		err := copyFile(file, buf, func(size int64) (io.Writer, error) {
			h := &tar.Header{
				Typeflag: tar.TypeReg,
				Name:     file.Name,
				Mode:     int64(file.Mode.Perm()),
				Size:     size,
				ModTime:  mtime,
				Uid:      0,
				Gid:      0,
				Uname:    "",
				Gname:    "",
			}
			if err := tw.WriteHeader(h); err != nil {
				return nil, err
			}
			return tw, nil
		})
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, files []File, mtime time.Time, level int) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, level)
	})
	buf := make([]byte, copyBuffer)
	for _, file := range files {
		err := copyFile(file, buf, func(size int64) (io.Writer, error) {
			h := &zip.FileHeader{
				Name:     file.Name,
				Method:   zip.Deflate,
				Modified: mtime,
			}
			h.SetMode(file.Mode.Perm())
			return zw.CreateHeader(h)
		})
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyBuffer is the size of the reads of the files archived: a binary of
// tens of megabytes takes tens of reads, not thousands.
const copyBuffer = 1 << 20

// copyFile opens file.Src, asks entry for a writer for its size, and copies
// exactly that many bytes into it (and file.Tee) through buf.
func copyFile(file File, buf []byte, entry func(size int64) (io.Writer, error)) error {
	src, err := os.Open(file.Src)
	if err != nil {
		return err
	}
	defer src.Close()
	info, err := src.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("archive entry %q: %s is not a regular file", file.Name, file.Src)
	}
	w, err := entry(info.Size())
	if err != nil {
		return fmt.Errorf("archive entry %q: %w", file.Name, err)
	}
	var r io.Reader = src
	if file.Tee != nil {
		r = io.TeeReader(src, file.Tee)
	}
	// Hiding tar's ReadFrom makes the copy go through buf.
	n, err := io.CopyBuffer(struct{ io.Writer }{w}, io.LimitReader(r, info.Size()), buf)
	if err == nil && n < info.Size() {
		err = io.EOF
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("archive entry %q: %s shrank from %d to %d bytes while it was read", file.Name, file.Src, info.Size(), n)
		}
		return fmt.Errorf("archive entry %q: %w", file.Name, err)
	}
	if extra, _ := src.Read(buf[:1]); extra > 0 {
		return fmt.Errorf("archive entry %q: %s grew while it was read", file.Name, file.Src)
	}
	return nil
}
