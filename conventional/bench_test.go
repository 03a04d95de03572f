package conventional

import "testing"

// benchMessages are typical messages from a changelog run.
var benchMessages = []struct {
	name string
	msg  string
}{
	{"header", "fix(parser): handle empty input\n"},
	{"typical", "feat(api): add pagination to the list endpoint\n\n" +
		"Large projects time out when listing every release at once; the\n" +
		"endpoint now returns pages of 100 with a next link.\n\n" +
		"Refs #412\nSigned-off-by: A U Thor <author@example.com>\n"},
	{"breaking", "refactor(config)!: rename the build section\n\n" +
		"BREAKING CHANGE: the \"build\" key is now \"builds\".\n\nRun shipline migrate to update.\n\n" +
		"Reviewed-by: Z\nRefs #133\n"},
	{"crlf", "fix: x\r\n\r\nbody text\r\n\r\nRefs: 1\r\n"},
	{"invalid", "Merge branch 'main' into dev\n"},
}

func BenchmarkParse(b *testing.B) {
	for _, bm := range benchMessages {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.msg)))
			for b.Loop() {
				Parse(bm.msg)
			}
		})
	}
}

func BenchmarkClean(b *testing.B) {
	raw := benchMessages[1].msg + "# Please enter the commit message.\n# ------------------------ >8 ------------------------\ndiff\n"
	b.ReportAllocs()
	for b.Loop() {
		Clean(raw)
	}
}
