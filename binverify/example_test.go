package binverify_test

import (
	"fmt"
	"log"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/binverify"
)

// Verify a release binary, then fail on any mismatch with an error that
// names each one.
func ExampleVerify() {
	cgo := false
	r, err := binverify.Verify("dist/app_linux_arm_v7/app", binverify.Expect{
		Target:     shipline.Target{OS: "linux", Arch: "arm", Variant: "v7"},
		ModulePath: "example.com/app",
		MainPath:   "example.com/app/cmd/app",
		Version:    "v1.2.3",
		CGO:        &cgo,
	})
	if err != nil {
		log.Fatal(err) // not an executable, not a Go binary, truncated, ...
	}
	for _, c := range r.Checks {
		fmt.Printf("%-12s %-20s %-20s %v\n", c.Field, c.Expected, c.Found, c.OK)
	}
	if err := r.Err(); err != nil {
		log.Fatal(err) // "dist/app_linux_arm_v7/app does not match linux/arm/v7: GOARM: expected 7, found 6"
	}
}
