// Package nolicense is a dependency of the license gate's test module.
package nolicense

// Word is a word.
const Word = "nolicense"
