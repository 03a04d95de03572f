// Package mit is a dependency of the license gate's test module.
package mit

// Word is a word.
const Word = "mit"
