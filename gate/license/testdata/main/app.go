// Package app links three dependencies: one under MIT, one under the
// GPL 3.0 and one without a license.
package app

import (
	"example.com/gpl"
	"example.com/mit"
	"example.com/nolicense"
)

// All returns a word from each dependency.
func All() []string { return []string{mit.Word, gpl.Word, nolicense.Word} }
