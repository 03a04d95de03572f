// Package testonly is a dependency of the license gate's test module.
package testonly

// Word is a word.
const Word = "testonly"
