package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// command is one thing timed in every round.
type command struct {
	id      string       // short name, for the tables
	label   string       // what it is, for a person
	prepare func() error // run before each timed run, untimed
	argv    []string
	env     []string // the whole environment
	dir     string
}

// run runs c once and returns its wall time.
func (c command) run() (time.Duration, error) {
	if c.prepare != nil {
		if err := c.prepare(); err != nil {
			return 0, fmt.Errorf("%s: prepare: %v", c.id, err)
		}
	}
	cmd := exec.Command(c.argv[0], c.argv[1:]...) // #nosec G204 -- the commands this benchmark times, built by proxybench itself (shipline under test, go, cp), run without a shell
	cmd.Env, cmd.Dir = c.env, c.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%s: %s: %v\n%s", c.id, strings.Join(c.argv, " "), err, tail(stderr.String(), 2000))
	}
	return d, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// timeRounds runs every command once untimed (a warm-up that also checks
// it works), then runs rounds, each running every command once in turn.
func timeRounds(cmds []command, runs int) (map[string][]time.Duration, error) {
	for _, c := range cmds {
		say("warm-up: %s", c.id)
		if _, err := c.run(); err != nil {
			return nil, err
		}
	}
	out := map[string][]time.Duration{}
	for r := 0; r < runs; r++ {
		for _, c := range cmds {
			d, err := c.run()
			if err != nil {
				return nil, err
			}
			out[c.id] = append(out[c.id], d)
		}
		say("round %d of %d: %s", r+1, runs, roundLine(cmds, out))
	}
	return out, nil
}

func roundLine(cmds []command, got map[string][]time.Duration) string {
	var parts []string
	for _, c := range cmds {
		ds := got[c.id]
		parts = append(parts, fmt.Sprintf("%s %s", c.id, ms(ds[len(ds)-1])))
	}
	return strings.Join(parts, ", ")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minimum(ds []time.Duration) time.Duration { return slices.Min(ds) }

func ms(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "==> "+format+"\n", args...)
}

// machine describes the machine and its load, for the section.
func machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d × %s (%s/%s), %s", runtime.NumCPU(), cpu, runtime.GOOS, runtime.GOARCH, goVersion())
}

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

// loadavg returns the 1-minute load average.
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}
