package main

import (
	"strings"
	"testing"
)

func TestCheckToolchainLang(t *testing.T) {
	tests := []struct {
		goVersion, built string
		wantErr          bool
	}{
		{"go1.26.8", "go1.26.8", false},
		{"go1.26.10", "go1.26.8", false}, // a newer patch reads the same language
		{"go1.25.3", "go1.26.8", false},
		{"go1.27.3", "go1.26.8", true},
		{"go1.27rc1", "go1.26.8", true},
		{"go1.27.0", "go1.27rc2", false},
		{"devel go1.28-abcdef", "go1.26.8", false},
		{"go1.27.3", "devel go1.28-abcdef", false},
	}
	for _, tt := range tests {
		err := checkToolchainLang(tt.goVersion, tt.built)
		if (err != nil) != tt.wantErr {
			t.Errorf("checkToolchainLang(%q, %q) = %v; want error %v", tt.goVersion, tt.built, err, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "GOTOOLCHAIN="+tt.goVersion) {
			t.Errorf("checkToolchainLang(%q, %q) = %q; want it to say how to build shipline with %s", tt.goVersion, tt.built, err, tt.goVersion)
		}
	}
}
