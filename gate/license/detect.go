package license

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/google/licensecheck"
)

// DefaultMinCoverage is the share of a license file, in percent, that
// known license texts must cover for the file to name a license.
const DefaultMinCoverage = 75

// maxLicenseFile bounds how much of one license file is read.
const maxLicenseFile = 1 << 20

// licenseName matches the names of license files, upper-cased: LICENSE,
// LICENCE, COPYING, COPYRIGHT and UNLICENSE with any suffix (LICENSE.md,
// LICENSE-APACHE, COPYING.LESSER), and NAME-LICENSE or NAME_LICENSE
// (MIT-LICENSE, APACHE_LICENSE.txt).
var licenseName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(LICEN[CS]E|COPYING|COPYRIGHT|UNLICEN[CS]E)|^[A-Z0-9.]+[-_]LICEN[CS]E`)
})

// notLicense are extensions of files that are code or data even when
// their name looks like a license file's (license.go, licenses.json).
var notLicense = map[string]bool{".GO": true, ".JSON": true, ".YAML": true, ".YML": true, ".S": true, ".C": true, ".H": true}

// IsLicenseFile reports whether a file named name (a base name) is read
// as a license file.
func IsLicenseFile(name string) bool {
	u := strings.ToUpper(name)
	return licenseName().MatchString(u) && !notLicense[path.Ext(u)]
}

// Detect identifies the licenses of the module whose files are in dir
// from the license files at its root (see IsLicenseFile), classified by
// licensecheck. A file whose words known license texts cover at least
// minCoverage percent (DefaultMinCoverage when 0) names each license that
// matches in it; a file below that is Unidentified. Licenses of
// subdirectories (vendored or third-party code) are not read. Detect
// returns an error only when dir cannot be read.
func Detect(dir string, minCoverage float64) (Detection, error) {
	if minCoverage <= 0 {
		minCoverage = DefaultMinCoverage
	}
	d := Detection{MinCoverage: minCoverage}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return d, err
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsLicenseFile(e.Name()) {
			continue
		}
		text, err := readLimited(filepath.Join(dir, e.Name()))
		if err != nil {
			return d, err
		}
		cov := licensecheck.Scan(text)
		if cov.Percent < minCoverage {
			u := Unidentified{File: e.Name(), Coverage: cov.Percent}
			for _, m := range cov.Match {
				if !slices.Contains(u.Partial, m.ID) {
					u.Partial = append(u.Partial, m.ID)
				}
			}
			d.Unidentified = append(d.Unidentified, u)
			continue
		}
		for _, m := range cov.Match {
			if !seen[m.ID] {
				seen[m.ID] = true
				d.Licenses = append(d.Licenses, Found{ID: m.ID, File: e.Name(), Coverage: cov.Percent})
			}
		}
	}
	return d, nil
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name) // #nosec G304 -- a license file found by listing a dependency's directory in the module cache; read up to maxLicenseFile
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxLicenseFile))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}
