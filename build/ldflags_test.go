package build

import (
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
)

func TestLdflags(t *testing.T) {
	data := TemplateData{
		Version:     "v1.2.3",
		Commit:      "0123456789abcdef0123456789abcdef01234567",
		ShortCommit: "0123456",
		Date:        "2026-01-02T03:04:05Z",
		Target:      shipline.Target{OS: "linux", Arch: "arm", Variant: "v7"},
		ID:          "cli",
		Binary:      "app",
	}
	for _, tt := range []struct {
		name  string
		tmpls []string
		want  string
	}{
		{
			name:  "default",
			tmpls: DefaultLdflags,
			want:  "-s -w -X main.version=v1.2.3 -X main.commit=0123456789abcdef0123456789abcdef01234567 -X main.date=2026-01-02T03:04:05Z -buildid=",
		},
		{
			name:  "target fields",
			tmpls: []string{"-X main.target={{.Target}}", "-X main.os={{.Target.OS}} -X main.arch={{.Target.Arch}}{{with .Target.Variant}} -X main.variant={{.}}{{end}}"},
			want:  "-X main.target=linux/arm/v7 -X main.os=linux -X main.arch=arm -X main.variant=v7 -buildid=",
		},
		{
			name:  "names and short commit",
			tmpls: []string{"-X example.com/app/internal/version.v={{.ID}}-{{.Binary}}-{{.ShortCommit}}"},
			want:  "-X example.com/app/internal/version.v=cli-app-0123456 -buildid=",
		},
		{
			name:  "empty parts are dropped",
			tmpls: []string{"", "  ", "{{if false}}-s{{end}}", "-w"},
			want:  "-w -buildid=",
		},
		{
			name:  "none",
			tmpls: nil,
			want:  "-buildid=",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Ldflags(tt.tmpls, data)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Ldflags =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestLdflagsErrors(t *testing.T) {
	for _, tt := range []struct {
		tmpl, want string
	}{
		{"-X main.v={{.Version", `ldflags "-X main.v={{.Version": template: ldflags:1: unclosed action`},
		{"-X main.v={{.Tag}}", `can't evaluate field Tag`},
		{"-X main.v={{.Target.Arm}}", `can't evaluate field Arm`},
	} {
		_, err := Ldflags([]string{tt.tmpl}, TemplateData{})
		if err == nil || !strings.Contains(err.Error(), tt.want) || shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("Ldflags(%q) = %v, want an invalid error containing %q", tt.tmpl, err, tt.want)
		}
	}
}
