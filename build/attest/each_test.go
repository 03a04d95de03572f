package attest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/shipline-ci/shipline"
)

func TestEach(t *testing.T) {
	arts := func(n int) []shipline.Artifact {
		var out []shipline.Artifact
		for i := range n {
			out = append(out, shipline.Artifact{Path: fmt.Sprintf("f%02d", i)})
		}
		return out
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name    string
		ctx     context.Context
		in      []shipline.Artifact
		fail    string // the path whose call fails
		want    string // the paths returned, or the error
		noCalls bool   // f must not be called
	}{
		{name: "none", ctx: context.Background(), want: ""},
		{name: "one", ctx: context.Background(), in: arts(1), want: "f00.out"},
		{name: "in order", ctx: context.Background(), in: arts(9), want: "f00.out f01.out f02.out f03.out f04.out f05.out f06.out f07.out f08.out"},
		{name: "a failure", ctx: context.Background(), in: arts(9), fail: "f03", want: "error: f03 failed"},
		{name: "the first failure", ctx: context.Background(), in: arts(2), fail: "f", want: "error: f00 failed"},
		{name: "cancelled", ctx: canceled, in: arts(3), want: "error: context canceled", noCalls: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var runs atomic.Int32
			out, err := each(tt.ctx, tt.in, func(a shipline.Artifact) (shipline.Artifact, error) {
				runs.Add(1)
				if tt.fail != "" && strings.HasPrefix(a.Path, tt.fail) {
					return shipline.Artifact{}, errors.New(a.Path + " failed")
				}
				return shipline.Artifact{Path: a.Path + ".out"}, nil
			})
			var got string
			if err != nil {
				got = "error: " + err.Error()
				if out != nil {
					t.Errorf("each returned %v with its error", out)
				}
			} else {
				var paths []string
				for _, a := range out {
					paths = append(paths, a.Path)
				}
				got = strings.Join(paths, " ")
			}
			if got != tt.want {
				t.Errorf("each = %q, want %q", got, tt.want)
			}
			if tt.noCalls && runs.Load() != 0 {
				t.Errorf("each called f %d times with a cancelled context", runs.Load())
			}
		})
	}
}
