// Package archive writes reproducible tar.gz and zip archives: the same
// files and time give the same bytes, wherever and whenever they are
// written.
//
// Entries are written in name order with fixed metadata: the given
// permission bits, the given modification time (in UTC, whole seconds),
// owner and group 0 with empty names, no directory entries, and a gzip
// header with no file name and no time. Nothing of the machine, the user
// or the clock gets into an archive.
package archive

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

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
}

// Write writes an archive of files to w in format f, every entry with
// modification time mtime. It sorts the entries by name and does not
// change files. An entry name that is empty, absolute, not clean or that
// leaves the archive (".."), a name given twice, a source that is not a
// regular file or that changes size while it is read, and an unknown
// format are errors; so are errors reading the files and writing w.
func Write(w io.Writer, f Format, files []File, mtime time.Time) error {
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
		return writeTarGz(w, files, mtime)
	case Zip:
		return writeZip(w, files, mtime)
	}
	return fmt.Errorf("unknown archive format %q: want %s or %s", f, TarGz, Zip)
}

// WriteFile writes the archive to a new file named name (which must not
// exist) and syncs it. On failure it removes what it wrote.
func WriteFile(name string, f Format, files []File, mtime time.Time) (err error) {
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(name)
		}
	}()
	if err := Write(out, f, files, mtime); err != nil {
		return err
	}
	return out.Sync()
}

func writeTarGz(w io.Writer, files []File, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	// The zero gzip.Header has no name, no comment and time 0.
	tw := tar.NewWriter(gz)
	for _, file := range files {
		err := copyFile(file, func(size int64) (io.Writer, error) {
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

func writeZip(w io.Writer, files []File, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, file := range files {
		err := copyFile(file, func(size int64) (io.Writer, error) {
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

// copyFile opens file.Src, asks entry for a writer for its size, and copies
// exactly that many bytes into it.
func copyFile(file File, entry func(size int64) (io.Writer, error)) error {
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
	n, err := io.CopyN(w, src, info.Size())
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("archive entry %q: %s shrank from %d to %d bytes while it was read", file.Name, file.Src, info.Size(), n)
		}
		return fmt.Errorf("archive entry %q: %w", file.Name, err)
	}
	if extra, _ := src.Read(make([]byte, 1)); extra > 0 {
		return fmt.Errorf("archive entry %q: %s grew while it was read", file.Name, file.Src)
	}
	return nil
}
