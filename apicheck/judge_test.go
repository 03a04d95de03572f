package apicheck

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipline-ci/shipline"
)

func TestJudge(t *testing.T) {
	const (
		none  = shipline.BumpNone
		patch = shipline.BumpPatch
		minor = shipline.BumpMinor
		major = shipline.BumpMajor
	)
	tests := []struct {
		required, claimed shipline.Bump
		currentMajor      int
		majorOnZero       bool
		want              Status
		wantNeeded        shipline.Bump
		wantIn            string // a substring of the message
	}{
		// v1: the plain rule.
		{none, none, 1, false, StatusOK, none, "no changes"},
		{none, patch, 1, false, StatusOK, none, "a patch bump"},
		{none, minor, 1, false, StatusOK, none, "a minor bump"},
		{none, major, 1, false, StatusOver, none, "drop the \"!\""},
		{minor, none, 1, false, StatusUnder, minor, "make the commit that adds to it a feat"},
		{minor, patch, 1, false, StatusUnder, minor, "claim a patch bump"},
		{minor, minor, 1, false, StatusOK, minor, "only compatible changes"},
		{minor, major, 1, false, StatusOver, minor, "only compatible changes"},
		{major, none, 1, false, StatusUnder, major, "claim no release"},
		{major, patch, 1, false, StatusUnder, major, "BREAKING CHANGE"},
		{major, minor, 1, false, StatusUnder, major, "feat!"},
		{major, major, 1, false, StatusOK, major, "incompatible changes"},
		// majorOnZero matters only on v0.
		{major, minor, 2, true, StatusUnder, major, "major bump"},
		{major, major, 2, true, StatusOK, major, ""},

		// v0: an incompatible change needs only a minor bump.
		{major, none, 0, false, StatusUnder, minor, "while the major version is 0"},
		{major, patch, 0, false, StatusUnder, minor, "which need a minor bump while the major version is 0"},
		{major, minor, 0, false, StatusOK, minor, "enough while the major version is 0"},
		{major, major, 0, false, StatusOK, minor, ""},
		{minor, patch, 0, false, StatusUnder, minor, "feat"},
		{minor, minor, 0, false, StatusOK, minor, ""},
		{minor, major, 0, false, StatusOver, minor, "BREAKING CHANGE"},
		{none, major, 0, false, StatusOver, none, "behaviour"},
		{none, patch, 0, false, StatusOK, none, ""},

		// v0 with majorOnZero: a break goes to v1.0.0.
		{major, minor, 0, true, StatusUnder, major, "need a major bump"},
		{major, major, 0, true, StatusOK, major, ""},
		{none, major, 0, true, StatusOver, none, ""},
	}
	for _, tt := range tests {
		got := Judge(tt.required, tt.claimed, tt.currentMajor, tt.majorOnZero)
		if got.Status != tt.want || got.Needed != tt.wantNeeded {
			t.Errorf("Judge(%v, %v, %d, %v) = %v needing %v, want %v needing %v (%s)",
				tt.required, tt.claimed, tt.currentMajor, tt.majorOnZero,
				got.Status, got.Needed, tt.want, tt.wantNeeded, got.Message)
		}
		if got.OK() != (tt.want == StatusOK) {
			t.Errorf("Judge(%v, %v, %d, %v).OK() = %v, want %v",
				tt.required, tt.claimed, tt.currentMajor, tt.majorOnZero, got.OK(), tt.want == StatusOK)
		}
		if !strings.Contains(got.Message, tt.wantIn) {
			t.Errorf("Judge(%v, %v, %d, %v): message %q does not contain %q",
				tt.required, tt.claimed, tt.currentMajor, tt.majorOnZero, got.Message, tt.wantIn)
		}
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{StatusOK: "ok", StatusUnder: "under", StatusOver: "over"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

func TestVerdictJSON(t *testing.T) {
	v := Verdict{Status: StatusUnder, Needed: shipline.BumpMinor, Message: "m"}
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"status":"under","needed":"minor","message":"m"}`; string(got) != want {
		t.Errorf("json.Marshal(%+v) = %s, want %s", v, got, want)
	}
	var back Verdict
	if err := json.Unmarshal(got, &back); err != nil || back != v {
		t.Errorf("json.Unmarshal(%s) = %+v, %v; want %+v", got, back, err, v)
	}
	if err := json.Unmarshal([]byte(`{"status":"sideways"}`), &back); err == nil {
		t.Error("json.Unmarshal of an unknown status succeeded")
	}
}
