// Package gpl is a dependency of the license gate's test module.
package gpl

// Word is a word.
const Word = "gpl"
