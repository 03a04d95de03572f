package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/shipline-ci/shipline"
)

const (
	hashA = "1111111111111111111111111111111111111111"
	hashB = "2222222222222222222222222222222222222222"
	hashC = "3333333333333333333333333333333333333333"
)

// record formats a commit as git log -z prints logFormat: the fields
// separated by \x1f, the message with a final newline, then NUL.
func record(hash, parents, name, email string, secs int64, msg string) string {
	return fmt.Sprintf("%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f%s\n\x00", hash, parents, name, email, secs, msg)
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name string
		rec  string
		want shipline.Commit
	}{
		{
			name: "root commit",
			rec:  hashA + "\x1f\x1fA U Thor\x1fa@example.com\x1f1700000000\x1ffeat: first\n",
			want: shipline.Commit{Hash: hashA, Author: "A U Thor", Email: "a@example.com",
				Time: time.Unix(1700000000, 0).UTC(), Subject: "feat: first", Message: "feat: first"},
		},
		{
			name: "merge",
			rec:  hashA + "\x1f" + hashB + " " + hashC + "\x1fA\x1fa@b\x1f1\x1fMerge branch 'x'\n\nbody\n\n",
			want: shipline.Commit{Hash: hashA, Parents: []string{hashB, hashC}, Author: "A", Email: "a@b",
				Time: time.Unix(1, 0).UTC(), Subject: "Merge branch 'x'", Message: "Merge branch 'x'\n\nbody"},
		},
		{
			name: "newline before the record",
			rec:  "\n" + hashA + "\x1f" + hashB + "\x1fA\x1fa@b\x1f2\x1ffix: x",
			want: shipline.Commit{Hash: hashA, Parents: []string{hashB}, Author: "A", Email: "a@b",
				Time: time.Unix(2, 0).UTC(), Subject: "fix: x", Message: "fix: x"},
		},
		{
			name: "unicode",
			rec:  hashA + "\x1f" + hashB + "\x1fJosé Ñúñez 山田\x1fjosé@example.com\x1f3\x1ffeat(ü): 日本語 ✓\n\nDétails 🎉\n",
			want: shipline.Commit{Hash: hashA, Parents: []string{hashB}, Author: "José Ñúñez 山田", Email: "josé@example.com",
				Time: time.Unix(3, 0).UTC(), Subject: "feat(ü): 日本語 ✓", Message: "feat(ü): 日本語 ✓\n\nDétails 🎉"},
		},
		{
			name: "unit separator inside the message",
			rec:  hashA + "\x1f" + hashB + "\x1fA\x1fa@b\x1f4\x1ffix: a\x1fb\n\nc\x1f\x1fd\n",
			want: shipline.Commit{Hash: hashA, Parents: []string{hashB}, Author: "A", Email: "a@b",
				Time: time.Unix(4, 0).UTC(), Subject: "fix: a\x1fb", Message: "fix: a\x1fb\n\nc\x1f\x1fd"},
		},
		{
			name: "empty message",
			rec:  hashA + "\x1f" + hashB + "\x1fA\x1fa@b\x1f5\x1f",
			want: shipline.Commit{Hash: hashA, Parents: []string{hashB}, Author: "A", Email: "a@b",
				Time: time.Unix(5, 0).UTC()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRecord([]byte(tt.rec))
			if err != nil {
				t.Fatalf("parseRecord(%q) error: %v", tt.rec, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseRecord(%q) =\n%#v\nwant\n%#v", tt.rec, got, tt.want)
			}
		})
	}
}

func TestParseRecordErrors(t *testing.T) {
	for _, rec := range []string{
		"garbage",
		hashA + "\x1f\x1fA\x1fa@b\x1f1", // no message field
		"\n\n",
	} {
		_, err := parseRecord([]byte(rec))
		if code := shipline.ErrorCode(err); code != shipline.EINTERNAL {
			t.Errorf("parseRecord(%q) error %v (code %q); want %q", rec, err, code, shipline.EINTERNAL)
		}
	}
}

// collect parses a log and returns the commits.
func collect(t *testing.T, rd io.Reader) []shipline.Commit {
	t.Helper()
	var got []shipline.Commit
	if err := parseLog(rd, func(c shipline.Commit) error {
		got = append(got, c)
		return nil
	}); err != nil {
		t.Fatalf("parseLog error: %v", err)
	}
	return got
}

func TestParseLog(t *testing.T) {
	long := "feat: long\n\n" + strings.Repeat("0123456789abcdef\n", 600<<10/17) // ~600 KiB, over the 256 KiB buffer
	log := record(hashA, hashB+" "+hashC, "A", "a@b", 30, "Merge branch 'x'") +
		"\n" + record(hashB, hashC, "B", "b@c", 20, long) +
		"\n" + record(hashC, "", "C", "c@d", 10, "chore: ünïcode\x1fsep\n\nbody")
	want := []struct {
		hash, subject string
		msgLen        int
		parents       int
	}{
		{hashA, "Merge branch 'x'", len("Merge branch 'x'"), 2},
		{hashB, "feat: long", len(strings.TrimRight(long, "\n")), 1},
		{hashC, "chore: ünïcode\x1fsep", len("chore: ünïcode\x1fsep\n\nbody"), 0},
	}
	readers := map[string]func() io.Reader{
		"bytes":    func() io.Reader { return strings.NewReader(log) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(log)) },
		"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(log)) },
		// The last record may come without its NUL.
		"no final NUL": func() io.Reader { return strings.NewReader(strings.TrimSuffix(log, "\x00")) },
	}
	for name, rd := range readers {
		t.Run(name, func(t *testing.T) {
			got := collect(t, rd())
			if len(got) != len(want) {
				t.Fatalf("parseLog gave %d commits; want %d", len(got), len(want))
			}
			for i, w := range want {
				c := got[i]
				if c.Hash != w.hash || c.Subject != w.subject || len(c.Message) != w.msgLen || len(c.Parents) != w.parents {
					t.Errorf("commit %d = %.7s %q (message %d bytes, %d parents); want %.7s %q (%d bytes, %d parents)",
						i, c.Hash, c.Subject, len(c.Message), len(c.Parents), w.hash, w.subject, w.msgLen, w.parents)
				}
			}
			if got[1].Message != strings.TrimRight(long, "\n") {
				t.Error("the long message was not kept whole")
			}
		})
	}
}

func TestParseLogEmpty(t *testing.T) {
	for _, in := range []string{"", "\n", "\x00", "\n\x00\n"} {
		if got := collect(t, strings.NewReader(in)); len(got) != 0 {
			t.Errorf("parseLog(%q) gave %d commits; want none", in, len(got))
		}
	}
}

func TestParseLogErrors(t *testing.T) {
	t.Run("callback error stops the walk", func(t *testing.T) {
		stop := errors.New("stop")
		log := record(hashA, "", "A", "a@b", 1, "a") + record(hashB, "", "B", "b@c", 2, "b")
		calls := 0
		err := parseLog(strings.NewReader(log), func(shipline.Commit) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("parseLog = %v after %d calls; want %v after 1", err, calls, stop)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		rd := io.MultiReader(strings.NewReader(record(hashA, "", "A", "a@b", 1, "a")), iotest.ErrReader(boom))
		calls := 0
		err := parseLog(rd, func(shipline.Commit) error { calls++; return nil })
		if !errors.Is(err, boom) || calls != 1 {
			t.Errorf("parseLog = %v after %d calls; want %v after 1", err, calls, boom)
		}
	})
	t.Run("bad record", func(t *testing.T) {
		err := parseLog(strings.NewReader("not a record\x00"), func(shipline.Commit) error { return nil })
		if code := shipline.ErrorCode(err); code != shipline.EINTERNAL {
			t.Errorf("parseLog(bad record) error %v (code %q); want %q", err, code, shipline.EINTERNAL)
		}
	})
}

// FuzzParseLog checks that parseLog gives back the fields of well-formed
// records and never panics on any input.
func FuzzParseLog(f *testing.F) {
	f.Add("A U Thor", "a@example.com", int64(1700000000), "feat: x\n\nbody")
	f.Add("", "", int64(0), "")
	f.Add("José", "j@é", int64(-1), "fix: \x1f\x1f\n\n\n")
	f.Fuzz(func(t *testing.T, name, email string, secs int64, msg string) {
		// Raw input must never panic.
		_ = parseLog(strings.NewReader(name+msg), func(shipline.Commit) error { return nil })

		clean := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r == 0 || r == 0x1f || r == '\n' {
					return -1
				}
				return r
			}, s)
		}
		name, email = clean(name), clean(email)
		msg = strings.ReplaceAll(msg, "\x00", "")
		log := record(hashA, hashB, name, email, secs, msg) + "\n" + record(hashC, "", "x", "y", 0, "z")
		got := collect(t, strings.NewReader(log))
		want := strings.TrimRight(msg, "\n")
		if len(got) != 2 {
			t.Fatalf("parseLog gave %d commits; want 2", len(got))
		}
		c := got[0]
		if c.Hash != hashA || c.Author != name || c.Email != email || c.Time.Unix() != secs || c.Message != want {
			t.Errorf("parseLog = %#v; want author %q, email %q, time %d, message %q", c, name, email, secs, want)
		}
	})
}

func TestEachCommit(t *testing.T) {
	r := mustRepo(t)
	r.write("go.mod", "module example.com/m\n")
	r.write("api/go.mod", "module example.com/m/api\n")
	c1 := r.commit("chore: init", "go.mod", "api/go.mod")
	c2 := r.commit("feat(api): a", "api/a.go")
	c3 := r.commit("fix: root", "main.go")
	c4 := r.commit("feat: both", "main.go", "api/b.go")
	r.git("switch", "-q", "-c", "side", c2)
	s1 := r.commit("docs: side", "docs.md")
	r.git("switch", "-q", "main")
	r.clock = r.clock.Add(time.Minute)
	r.gitAt(r.clock, "merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side")
	m := r.git("rev-parse", "HEAD")
	repo := r.open()
	ctx := context.Background()

	tests := []struct {
		name string
		opts LogOptions
		want []string
	}{
		{"all", LogOptions{}, []string{m, s1, c4, c3, c2, c1}},
		{"range", LogOptions{Range: c2 + "..HEAD"}, []string{m, s1, c4, c3}},
		// With --full-history, a merge shows when it differs from one
		// of its parents in the paths: m brings api/b.go to the side
		// branch's tree.
		{"paths", LogOptions{Paths: []string{"api"}}, []string{m, c4, c2, c1}},
		{"exclude a nested module from the root", LogOptions{Exclude: []string{"api"}}, []string{m, s1, c4, c3, c1}},
		{"paths and exclude", LogOptions{Paths: []string{"api"}, Exclude: []string{"api/go.mod"}}, []string{m, c4, c2}},
		{"paths of the side branch only", LogOptions{Paths: []string{"docs.md"}}, []string{m, s1}},
		{"a revision", LogOptions{Range: c3}, []string{c3, c2, c1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			commits, err := repo.Log(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range commits {
				got = append(got, c.Hash)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Log(%+v) = %.7s; want %.7s", tt.opts, got, tt.want)
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		commits, err := repo.Log(ctx, LogOptions{Range: "-1"})
		if err == nil {
			t.Errorf("Log(Range: -1) = %d commits; want an error (the range is not an option)", len(commits))
		}
		commits, err = repo.Log(ctx, LogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := commits[0]; !slices.Equal(got.Parents, []string{c4, s1}) || !got.IsMerge() {
			t.Errorf("merge parents = %.7s; want [%.7s %.7s]", got.Parents, c4, s1)
		}
		last := commits[len(commits)-1]
		want := shipline.Commit{Hash: c1, Author: "A U Thor", Email: "author@example.com",
			Time: baseTime.Add(time.Minute), Subject: "chore: init", Message: "chore: init"}
		if !reflect.DeepEqual(last, want) {
			t.Errorf("root commit = %#v; want %#v", last, want)
		}
	})

	t.Run("callback error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := repo.EachCommit(ctx, LogOptions{}, func(shipline.Commit) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("EachCommit = %v after %d calls; want %v after 1", err, n, stop)
		}
	})

	t.Run("bad range", func(t *testing.T) {
		err := repo.EachCommit(ctx, LogOptions{Range: "nope..HEAD"}, func(shipline.Commit) error { return nil })
		var ge *GitError
		if !errors.As(err, &ge) {
			t.Fatalf("EachCommit(nope..HEAD) error %v; want a *GitError", err)
		}
		if ge.Stderr == "" || !strings.Contains(ge.Error(), "git ") {
			t.Errorf("GitError = %q with stderr %q; want git's message", ge, ge.Stderr)
		}
	})
}

func TestEachCommitMessages(t *testing.T) {
	r := mustRepo(t)
	msgs := []string{
		"feat(ü): 日本語 ✓\n\nDétails 🎉",
		"fix: a\x1fb\n\nbody with \x1f unit separator",
		"docs: x\n\n# not a comment\nBREAKING CHANGE: kept",
		"feat: big\n\n" + strings.Repeat("line of a very long body\n", 300<<10/25),
	}
	for _, m := range msgs {
		r.commit(m)
	}
	commits, err := r.open().Log(context.Background(), LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != len(msgs) {
		t.Fatalf("Log gave %d commits; want %d", len(commits), len(msgs))
	}
	for i, c := range commits {
		want := strings.TrimRight(msgs[len(msgs)-1-i], "\n")
		if c.Message != want {
			t.Errorf("commit %d message = %.60q (%d bytes); want %.60q (%d bytes)", i, c.Message, len(c.Message), want, len(want))
		}
		if subj, _, _ := strings.Cut(want, "\n"); c.Subject != subj {
			t.Errorf("commit %d subject = %q; want %q", i, c.Subject, subj)
		}
	}
}

// BenchmarkParseLog parses 100,000 synthetic records of typical size.
func BenchmarkParseLog(b *testing.B) {
	var buf bytes.Buffer
	const n = 100_000
	for i := range n {
		fmt.Fprintf(&buf, "%040x\x1f%040x\x1fA U Thor\x1fauthor@example.com\x1f%d\x1f", i+1, i, 1700000000+i)
		fmt.Fprintf(&buf, "feat(api): add pagination to the list endpoint %d\n\nLarge projects time out when listing every release at once; the\nendpoint now returns pages of 100 with a next link.\n\nRefs #%d\n\n\x00", i, i)
		if i < n-1 {
			buf.WriteByte('\n')
		}
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		if err := parseLog(bytes.NewReader(data), func(shipline.Commit) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("parsed %d records; want %d", count, n)
		}
	}
}
