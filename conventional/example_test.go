package conventional_test

import (
	"errors"
	"fmt"

	"github.com/shipline-ci/shipline/conventional"
)

func ExampleParse() {
	m, err := conventional.Parse("feat(api)!: drop v1 endpoints\n\nBREAKING CHANGE: use /v2.\nRefs #12\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Type, m.Scope, m.Breaking())
	fmt.Println(m.BreakingNotes())
	fmt.Println(m.FooterValues("refs"))
	// Output:
	// feat api true
	// [use /v2.]
	// [12]
}

func ExampleParse_error() {
	_, err := conventional.Parse("feat:add x")
	var pe *conventional.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Rule, pe.Line, pe.Col)
	}
	fmt.Println(err)
	// Output:
	// 1 1 6
	// 1:6: missing space after the colon: write "feat: add x" (Conventional Commits rule 1)
}

func ExampleClean() {
	raw := "fix: x\n\n# Please enter the commit message.\n\nbody  \n\n\n"
	fmt.Printf("%q\n", conventional.Clean(raw))
	// Output:
	// "fix: x\n\nbody"
}
