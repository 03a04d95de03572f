package sbom

import "testing"

func TestUUIDv5(t *testing.T) {
	// The example of RFC 9562, appendix A.4.
	if got, want := uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2"; got != want {
		t.Errorf("uuidV5 = %s, want %s", got, want)
	}
	a, b := uuidV5(namespace, "sha256:00"), uuidV5(namespace, "sha256:01")
	if a == b || a != uuidV5(namespace, "sha256:00") {
		t.Errorf("serial numbers are not a function of the digest: %s, %s", a, b)
	}
}
