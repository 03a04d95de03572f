package binverify

import "testing"

// BenchmarkVerify verifies real binaries: with only a target (header and
// build information), and with a version too, which reads the data of a
// stripped binary or the symbol table of an unstripped one.
func BenchmarkVerify(b *testing.B) {
	for _, name := range []string{"linux-amd64", "linux-amd64-full", "linux-arm-v7", "windows-amd64", "darwin-arm64", "js-wasm"} {
		for _, version := range []bool{false, true} {
			label := name + "/target"
			if version {
				label = name + "/version"
			}
			b.Run(label, func(b *testing.B) {
				bin := testBinary(b, name)
				e := Expect{Target: bin.target}
				if version {
					e = expectFor(bin)
				}
				b.ReportAllocs()
				for b.Loop() {
					r, err := Verify(bin.path, e)
					if err != nil || !r.OK() {
						b.Fatalf("Verify: %v %v", err, r.Err())
					}
				}
			})
		}
	}
}
