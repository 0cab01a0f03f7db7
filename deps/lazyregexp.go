package deps

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use: compiled at package
// initialisation, this package's expressions cost every trawl process
// about half a millisecond, most of which never parse a manifest.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
