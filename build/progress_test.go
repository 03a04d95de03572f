package build

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipline-ci/shipline"
)

func events() []Event {
	arm := shipline.Target{OS: "linux", Arch: "arm64"}
	win := shipline.Target{OS: "windows", Arch: "amd64"}
	return []Event{
		{Label: "linux/arm64", Target: arm, State: Queued},
		{Label: "windows/amd64", Target: win, State: Queued},
		{Label: "linux/arm64", Target: arm, State: Building},
		{Label: "linux/arm64", Target: arm, State: Verifying},
		{Label: "windows/amd64", Target: win, State: Building},
		{Label: "linux/arm64", Target: arm, State: Archiving},
		{Label: "linux/arm64", Target: arm, State: Done, Size: 2_123_456, Elapsed: 3210 * time.Millisecond},
		{Label: "windows/amd64", Target: win, State: Failed, Elapsed: 1500 * time.Millisecond, Err: errors.New("boom")},
	}
}

func TestLogProgress(t *testing.T) {
	var b strings.Builder
	p := LogProgress(&b)
	for _, e := range events() {
		p(e)
	}
	want := `linux/arm64: building
linux/arm64: verifying
windows/amd64: building
linux/arm64: archiving
linux/arm64: done 2.1 MB in 3.2s
windows/amd64: failed after 1.5s
`
	if b.String() != want {
		t.Errorf("log =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestLive(t *testing.T) {
	var b strings.Builder
	l := NewLive(&b, 0)
	evs := events()
	for _, e := range evs[:3] {
		l.Event(e)
	}
	const clear = "\x1b[2K"
	want := clear + "linux/arm64  queued\n" +
		"\x1b[1F" + clear + "linux/arm64    queued\n" + clear + "windows/amd64  queued\n" +
		"\x1b[2F" + clear + "linux/arm64    building\n" + clear + "windows/amd64  queued\n"
	if b.String() != want {
		t.Errorf("live output =\n%q\nwant\n%q", b.String(), want)
	}

	b.Reset()
	for _, e := range evs[3:] {
		l.Event(e)
	}
	last := b.String()[strings.LastIndex(b.String(), "\x1b[2F"):]
	want = "\x1b[2F" + clear + "linux/arm64    done 2.1 MB in 3.2s\n" + clear + "windows/amd64  failed after 1.5s\n"
	if last != want {
		t.Errorf("last redraw =\n%q\nwant\n%q", last, want)
	}

	b.Reset()
	narrow := NewLive(&b, 12)
	narrow.Event(evs[0])
	if got := b.String(); got != clear+"linux/arm64\n" {
		t.Errorf("a 12-column terminal got %q", got)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 999: "999 B", 1000: "1.0 kB", 14_200: "14.2 kB", 2_100_000: "2.1 MB", 3_500_000_000: "3.5 GB",
	} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestStateString(t *testing.T) {
	var names []string
	for s := Queued; s <= Canceled; s++ {
		names = append(names, s.String())
	}
	if got, want := strings.Join(names, " "), "queued building verifying sealing archiving done failed canceled"; got != want {
		t.Errorf("states = %s, want %s", got, want)
	}
	if got := State(99).String(); got != "State(99)" {
		t.Errorf("State(99) = %s", got)
	}
}
