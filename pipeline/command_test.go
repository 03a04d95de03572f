package pipeline

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

func TestCommand(t *testing.T) {
	tests := []struct {
		name string
		step config.Step
		want string
	}{
		{"test defaults", config.Step{Test: &config.TestStep{}}, "shipline test"},
		{"test", config.Step{Test: &config.TestStep{Module: "api", Packages: config.Strings{"./...", "./cmd/..."}, Race: true, Short: true, Run: "^TestX$", Tags: config.Strings{"netgo", "osusergo"}, Coverage: 80}},
			"shipline test --module=api --race --short --run=^TestX$ --tags=netgo,osusergo --coverage=80 ./... ./cmd/..."},
		{"gate", config.Step{Gate: &config.GateStep{Module: "api", Checks: config.Strings{"api", "commits"}}}, "shipline gate --module=api --checks=api,commits"},
		{"build", config.Step{Build: &config.BuildStep{Module: "api", Targets: config.Strings{"linux/amd64", "linux/arm/v7"}, Snapshot: true, Dist: "out", Clean: true, KeepGoing: true, CheckReproducible: true, AllowDirty: true}},
			"shipline build --module=api --targets=linux/amd64,linux/arm/v7 --snapshot --dist=out --clean --keep-going --check-reproducible --allow-dirty"},
		{"release", config.Step{Release: &config.ReleaseStep{Module: "api", Pre: "rc", DryRun: true}}, "shipline release --module=api --pre=rc --dry-run"},
		{"publish", config.Step{Publish: &config.PublishStep{Dist: "out", DryRun: true}}, "shipline publish --dist=out --dry-run"},
		{"changelog", config.Step{Changelog: &config.ChangelogStep{Since: "v1.0.0", All: true, Prepend: "CHANGELOG.md", Pre: "beta"}}, "shipline changelog --pre=beta --since=v1.0.0 --all --prepend=CHANGELOG.md"},
		{"tag", config.Step{Tag: &config.TagStep{Push: true, Sign: true, DryRun: true, AllowDirty: true}}, "shipline tag --push --sign --dry-run --allow-dirty"},
		{"a value starting with a dash stays one argument", config.Step{Test: &config.TestStep{Run: "-x"}}, "shipline test --run=-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Command(tt.step)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Fields(tt.want); !slices.Equal(got, want) {
				t.Errorf("Command =\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// TestCommandCoversEveryKind checks that every built-in kind has a
// command, and that every option of it shows in the command line when
// set: a new option cannot be silently dropped.
func TestCommandCoversEveryKind(t *testing.T) {
	st := reflect.TypeFor[config.Step]()
	for _, kind := range config.StepKinds[1:] {
		f, ok := st.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, kind) })
		if !ok {
			t.Fatalf("no Step field for kind %s", kind)
		}
		// Set every option to a value that shows.
		opts := reflect.New(f.Type.Elem())
		for i := range opts.Elem().NumField() {
			v := opts.Elem().Field(i)
			switch v.Kind() {
			case reflect.Bool:
				v.SetBool(true)
			case reflect.String:
				v.SetString("s")
			case reflect.Int:
				v.SetInt(7)
			case reflect.Slice:
				v.Set(reflect.ValueOf([]string{"x"}).Convert(v.Type()))
			}
		}
		var s config.Step
		reflect.ValueOf(&s).Elem().FieldByIndex(f.Index).Set(opts)
		argv, err := Command(s)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if argv[0] != "shipline" || argv[1] != kind {
			t.Errorf("%s: argv starts %q", kind, argv[:2])
		}
		if want := 2 + opts.Elem().NumField(); len(argv) != want {
			t.Errorf("%s: %d arguments for %d options: %q", kind, len(argv)-2, opts.Elem().NumField(), argv)
		}
	}
}

func TestCommandErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		step config.Step
		want string
	}{
		{"run", config.Step{Name: "lint", Run: config.Strings{"x"}}, "step lint runs shell commands, not a shipline command"},
		{"no kind", config.Step{Name: "x"}, "step x has no kind"},
		{"comma in a list", config.Step{Build: &config.BuildStep{Targets: config.Strings{"a,b"}}}, `step build: targets: "a,b" cannot hold a comma`},
		{"package like a flag", config.Step{Test: &config.TestStep{Packages: config.Strings{"-race"}}}, `step test: packages: "-race" cannot start with '-'`},
	} {
		_, err := Command(tt.step)
		if err == nil || err.Error() != tt.want || shipline.ErrorCode(err) != shipline.EINVALID {
			t.Errorf("%s: Command error = %v, want %q", tt.name, err, tt.want)
		}
	}
}
