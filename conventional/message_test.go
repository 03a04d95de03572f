package conventional

import (
	"reflect"
	"testing"
)

func TestMessageString(t *testing.T) {
	tests := []struct {
		name string
		msg  *Message
		want string
	}{
		{"header", &Message{Type: "feat", Description: "x"}, "feat: x"},
		{"scope and bang", &Message{Type: "feat", Scope: "api", Bang: true, Description: "x"}, "feat(api)!: x"},
		{"body", &Message{Type: "fix", Description: "x", Body: "a\n\nb"}, "fix: x\n\na\n\nb"},
		{"footers", &Message{Type: "fix", Description: "x", Footers: []Footer{{"Refs", " #", "1"}, {"BREAKING CHANGE", ": ", "a\n\nb"}}},
			"fix: x\n\nRefs #1\nBREAKING CHANGE: a\n\nb"},
		{"body and footers", &Message{Type: "fix", Description: "x", Body: "b", Footers: []Footer{{"Acked-by", ": ", "A"}}},
			"fix: x\n\nb\n\nAcked-by: A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.msg.String(); got != tt.want {
				t.Errorf("String() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestMessageStringCanonical(t *testing.T) {
	in := "FEAT(Api)!: x \r\n\r\nbody\r\n\r\nRefs: 1\r\n\r\nAcked-by: A\r\n"
	want := "feat(Api)!: x\n\nbody\n\nRefs: 1\nAcked-by: A"
	m, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.String(); got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	again, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, m) {
		t.Errorf("Parse(String()) = %#v; want %#v", again, m)
	}
}
