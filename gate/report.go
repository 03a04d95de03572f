package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteJSON writes s as indented JSON: the module, whether it passed, and
// every gate's report with all its findings.
func WriteJSON(w io.Writer, s *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteText writes s for a person: one block per gate with its verdict
// and findings (blocking ones first, each with its package, location and
// trace), then the overall verdict naming the failed gates.
func WriteText(w io.Writer, s *Summary) error {
	var b bytes.Buffer
	for _, r := range s.Reports {
		writeReportText(&b, r)
	}
	switch failed := s.Failed(); {
	case len(s.Reports) == 0:
		b.WriteString("no gate ran\n")
	case len(failed) > 0:
		names := make([]string, len(failed))
		for i, r := range failed {
			names[i] = r.Gate
		}
		fmt.Fprintf(&b, "BLOCKED: %d of %d gate(s) failed: %s\n", len(failed), len(s.Reports), strings.Join(names, ", "))
	default:
		fmt.Fprintf(&b, "passed: %d gate(s), no blocking finding\n", len(s.Reports))
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeReportText(b *bytes.Buffer, r *Report) {
	verdict := "passed"
	if !r.Passed {
		verdict = "FAILED"
	}
	blocking := len(r.Blocking())
	fmt.Fprintf(b, "gate %s: %s (%s; %s)\n", r.Gate, verdict, counts(len(r.Findings), blocking), r.Duration.Round(time.Millisecond))
	if r.Error != "" {
		fmt.Fprintf(b, "  error: %s\n", indent(r.Error, "    "))
	}
	// Blocking findings first, then the others, each group in order.
	for _, want := range []bool{true, false} {
		for _, f := range r.Findings {
			if f.Blocking == want {
				writeFindingText(b, &f)
			}
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "  note: %s\n", indent(n, "    "))
	}
}

func counts(findings, blocking int) string {
	switch {
	case findings == 0:
		return "no findings"
	case blocking == 0:
		return fmt.Sprintf("%d finding(s), none blocking", findings)
	}
	return fmt.Sprintf("%d finding(s), %d blocking", findings, blocking)
}

func writeFindingText(b *bytes.Buffer, f *Finding) {
	mark := "warn"
	switch {
	case f.Blocking:
		mark = "BLOCK"
	case f.Suppressed != "":
		mark = "ignored"
	}
	fmt.Fprintf(b, "  %s %s (%s): %s\n", mark, f.ID, f.Severity, indent(f.Message, "    "))
	if f.Suppressed != "" {
		fmt.Fprintf(b, "    suppressed: %s\n", f.Suppressed)
	}
	switch {
	case f.Package != "":
		fmt.Fprintf(b, "    package: %s\n", f.Package)
	case f.Module != "":
		fmt.Fprintf(b, "    module: %s\n", f.Module)
	}
	if f.Location != nil {
		fmt.Fprintf(b, "    at: %s\n", f.Location)
	}
	if len(f.Trace) > 0 {
		b.WriteString("    trace:\n")
		for _, t := range f.Trace {
			fmt.Fprintf(b, "      %s\n", t)
		}
	}
}

// indent indents the lines after the first of s by prefix.
func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// WriteFiles writes the reports of s into dir, creating it: for each gate
// NAME.json, NAME.sarif and NAME.txt, and for the whole run summary.json,
// gates.sarif (one run per gate) and summary.txt. It returns the paths
// written. Each file is written to a temporary name and renamed, so a
// reader never sees half a report.
func WriteFiles(dir string, s *Summary) ([]string, error) {
	// #nosec G301 -- the reports are for people and CI to read (SARIF uploads) and are written 0644; they hold findings about the code, no secrets
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write gate reports: %w", err)
	}
	type file struct {
		name  string
		write func(io.Writer) error
	}
	var files []file
	for _, r := range s.Reports {
		one := s.Only(r.Gate)
		files = append(files,
			file{r.Gate + ".json", func(w io.Writer) error { return WriteJSON(w, one) }},
			file{r.Gate + ".sarif", func(w io.Writer) error { return WriteSARIF(w, one) }},
			file{r.Gate + ".txt", func(w io.Writer) error { return WriteText(w, one) }},
		)
	}
	files = append(files,
		file{"summary.json", func(w io.Writer) error { return WriteJSON(w, s) }},
		file{"gates.sarif", func(w io.Writer) error { return WriteSARIF(w, s) }},
		file{"summary.txt", func(w io.Writer) error { return WriteText(w, s) }},
	)
	var paths []string
	for _, f := range files {
		var buf bytes.Buffer
		if err := f.write(&buf); err != nil {
			return paths, fmt.Errorf("write %s: %w", f.name, err)
		}
		p := filepath.Join(dir, f.name)
		if err := writeFileAtomic(p, buf.Bytes()); err != nil {
			return paths, fmt.Errorf("write gate reports: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
