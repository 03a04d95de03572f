package app

import (
	"testing"

	"example.com/testonly"
)

func TestAll(t *testing.T) {
	if len(All()) != 3 || testonly.Word == "" {
		t.Fatal("bad")
	}
}
