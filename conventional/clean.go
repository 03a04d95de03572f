package conventional

import "strings"

// scissors is the line from which git drops the rest of a message being
// edited with "git commit --verbose" or "--cleanup=scissors".
const scissors = "# ------------------------ >8 ------------------------"

// Clean prepares a raw message as git's default "strip" clean-up does before
// storing it, for use in a commit-msg hook before Parse: it turns "\r\n"
// into "\n"; drops everything from a scissors line ("# ----...--- >8
// ---...---") on and every line that starts with '#' (git's default comment
// character); drops trailing white space from each line; collapses runs of
// blank lines into one; and drops leading and trailing blank lines. Unlike
// git it adds no final newline. Clean(Clean(s)) == Clean(s).
func Clean(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	blank := false // a blank line is pending
	for off := 0; off < len(raw); {
		end := strings.IndexByte(raw[off:], '\n')
		if end < 0 {
			end = len(raw)
		} else {
			end += off
		}
		line := raw[off:end]
		off = end + 1
		if strings.HasPrefix(line, scissors) {
			break
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimRight(line, spaceChars)
		if line == "" {
			blank = b.Len() > 0
			continue
		}
		if blank {
			b.WriteByte('\n')
			blank = false
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(line)
	}
	return b.String()
}
