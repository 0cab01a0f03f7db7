// Package osv holds an offline copy of OSV vulnerability advisories: it
// imports the per-ecosystem all.zip that OSV publishes (one OSV-schema
// JSON document per advisory), keeps what matching needs in trawl's data
// folder, and tells which advisories affect a dependency version.
//
// Versions are compared with each ecosystem's own ordering, through the
// same deps.Range that trawl deps uses, so a rule and an inventory query
// never disagree on whether 2.14.1 is below 2.17.1.
package osv

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/indexer"
)

// Advisory is the part of an OSV record that matching and reports need.
type Advisory struct {
	ID       string     `json:"id"`
	Summary  string     `json:"summary,omitempty"`
	Aliases  []string   `json:"aliases,omitempty"`
	Affected []Affected `json:"affected"`
}

// Affected is one affected package: its ecosystem as a purl type
// (maven, npm, golang, pypi...), its name as trawl deps spells it, and the
// affected versions as ranges and as an explicit list.
type Affected struct {
	Ecosystem string   `json:"ecosystem"`
	Name      string   `json:"name"`
	Ranges    []Range  `json:"ranges,omitempty"`
	Versions  []string `json:"versions,omitempty"`
}

// Range is an OSV range: events in order, each introducing, fixing or
// being the last affected version. Type is SEMVER or ECOSYSTEM; GIT
// ranges name commits and are not kept.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
}

// record is an OSV-schema document as published; only the fields used.
type record struct {
	ID       string   `json:"id"`
	Summary  string   `json:"summary"`
	Details  string   `json:"details"`
	Aliases  []string `json:"aliases"`
	Withdraw string   `json:"withdrawn"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges   []Range  `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
}

// Dir is where advisories live inside trawl's data folder (index.path).
func Dir(dataDir string) string { return filepath.Join(dataDir, "osv") }

// maxEntrySize bounds one advisory in an archive: real ones are a few KiB,
// and a corrupt or hostile archive must not make trawl read gigabytes.
const maxEntrySize = 16 << 20

// Importer reads OSV archives into a data folder.
type Importer struct {
	DataDir      string
	MaxEntrySize int64 // default maxEntrySize
}

// ImportStats says what an import wrote.
type ImportStats struct {
	Advisories int            `json:"advisories"`
	Withdrawn  int            `json:"withdrawn"`  // skipped: withdrawn by OSV
	Ecosystems map[string]int `json:"ecosystems"` // advisories per purl type
}

// Import reads an OSV all.zip and replaces the stored advisories of every
// ecosystem it holds. Nothing is written unless every entry parses: an
// entry that does not is named in the error.
func (im Importer) Import(ctx context.Context, zipPath string) (ImportStats, error) {
	st := ImportStats{Ecosystems: map[string]int{}}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return st, fmt.Errorf("osv import %s: %w", zipPath, err)
	}
	defer zr.Close()
	limit := im.MaxEntrySize
	if limit <= 0 {
		limit = maxEntrySize
	}
	byEco := map[string][]Advisory{}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("osv import %s: %w", zipPath, err)
		}
		if f.FileInfo().IsDir() || !strings.EqualFold(path.Ext(f.Name), ".json") {
			continue
		}
		if f.UncompressedSize64 > uint64(limit) {
			return st, fmt.Errorf("osv import %s: entry %s: %d bytes, more than the %d an advisory may have", zipPath, f.Name, f.UncompressedSize64, limit)
		}
		adv, withdrawn, err := readEntry(f, limit)
		if err != nil {
			return st, fmt.Errorf("osv import %s: entry %s: %w", zipPath, f.Name, err)
		}
		if withdrawn {
			st.Withdrawn++
			continue
		}
		ecos := map[string]bool{}
		for _, a := range adv.Affected {
			ecos[a.Ecosystem] = true
		}
		for eco := range ecos {
			byEco[eco] = append(byEco[eco], adv)
		}
		st.Advisories++
	}
	dir := Dir(im.DataDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, fmt.Errorf("osv import %s: %w", zipPath, err)
	}
	for eco, advs := range byEco {
		sort.Slice(advs, func(i, j int) bool { return advs[i].ID < advs[j].ID })
		if err := writeFile(filepath.Join(dir, eco+".json"), advs); err != nil {
			return st, fmt.Errorf("osv import %s: %w", zipPath, err)
		}
		st.Ecosystems[eco] = len(advs)
	}
	return st, nil
}

func readEntry(f *zip.File, limit int64) (Advisory, bool, error) {
	rc, err := f.Open()
	if err != nil {
		return Advisory{}, false, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return Advisory{}, false, err
	}
	if int64(len(data)) > limit {
		return Advisory{}, false, fmt.Errorf("more than the %d bytes an advisory may have", limit)
	}
	return ParseAdvisory(data)
}

// ParseAdvisory reads one OSV-schema JSON document. withdrawn reports an
// advisory OSV withdrew, which must not fail anything.
func ParseAdvisory(data []byte) (adv Advisory, withdrawn bool, err error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return adv, false, fmt.Errorf("not OSV JSON: %w", err)
	}
	if r.ID == "" {
		return adv, false, errors.New("no id")
	}
	adv = Advisory{ID: r.ID, Summary: r.Summary, Aliases: r.Aliases}
	if adv.Summary == "" {
		adv.Summary = firstLine(r.Details)
	}
	for i, a := range r.Affected {
		eco := purlType(a.Package.Ecosystem)
		if eco == "" || a.Package.Name == "" {
			return adv, false, fmt.Errorf("%s: affected[%d]: package needs an ecosystem and a name", r.ID, i)
		}
		out := Affected{Ecosystem: eco, Name: normalizeName(eco, a.Package.Name), Versions: a.Versions}
		for j, rg := range a.Ranges {
			switch rg.Type {
			case "SEMVER", "ECOSYSTEM":
			case "GIT":
				continue
			default:
				return adv, false, fmt.Errorf("%s: affected[%d].ranges[%d]: unknown type %q", r.ID, i, j, rg.Type)
			}
			for k, e := range rg.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					return adv, false, fmt.Errorf("%s: affected[%d].ranges[%d].events[%d]: want one of introduced, fixed, last_affected", r.ID, i, j, k)
				}
			}
			if _, err := compileRange(eco, rg); err != nil {
				return adv, false, fmt.Errorf("%s: affected[%d].ranges[%d]: %w", r.ID, i, j, err)
			}
			out.Ranges = append(out.Ranges, rg)
		}
		adv.Affected = append(adv.Affected, out)
	}
	return adv, r.Withdraw != "", nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// purlType maps an OSV ecosystem ("Maven", "crates.io", "Debian:11") to
// the purl type trawl's dependency records use.
func purlType(eco string) string {
	eco, _, _ = strings.Cut(eco, ":")
	switch eco {
	case "Maven":
		return "maven"
	case "npm":
		return "npm"
	case "Go":
		return "golang"
	case "PyPI":
		return "pypi"
	case "crates.io":
		return "cargo"
	case "NuGet":
		return "nuget"
	case "RubyGems":
		return "gem"
	case "Packagist":
		return "composer"
	case "GitHub Actions":
		return "github"
	}
	return strings.ToLower(strings.ReplaceAll(eco, " ", "-"))
}

var pypiSep = regexp.MustCompile(`[-_.]+`)

func normalizeName(eco, name string) string {
	if eco == "pypi" {
		return pypiSep.ReplaceAllString(strings.ToLower(name), "-")
	}
	return name
}

func writeFile(name string, advs []Advisory) error {
	data, err := json.Marshal(advs)
	if err != nil {
		return err
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// interval is one affected span of versions: from lower (nil: from the
// first version) to upper (nil: no fix).
type interval struct {
	lower, upper *deps.Range
	fixed        string // the fixing version, "" when none is known
}

func compileRange(eco string, rg Range) ([]interval, error) {
	var out []interval
	var cur *interval
	for _, e := range rg.Events {
		switch {
		case e.Introduced != "":
			if cur != nil {
				out = append(out, *cur)
			}
			cur = &interval{}
			if e.Introduced != "0" {
				r, err := deps.ParseRange(eco, ">="+e.Introduced)
				if err != nil {
					return nil, err
				}
				cur.lower = &r
			}
		case cur == nil:
			// A fix with no introduction: every version before it.
			cur = &interval{}
			fallthrough
		default:
			op, v := "<", e.Fixed
			if v == "" {
				op, v = "<=", e.LastAffected
			}
			r, err := deps.ParseRange(eco, op+v)
			if err != nil {
				return nil, err
			}
			cur.upper, cur.fixed = &r, e.Fixed
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out, nil
}

func (iv interval) contains(v string) bool {
	return (iv.lower == nil || iv.lower.Contains(v)) && (iv.upper == nil || iv.upper.Contains(v))
}

// DB is the advisories of a data folder, ready to match.
type DB struct {
	byPkg  map[pkgKey][]entry
	count  int
	digest string
}

type pkgKey struct{ eco, name string }

type entry struct {
	adv       *Advisory
	intervals []interval
	versions  map[string]bool
}

// Match is one advisory affecting one dependency.
type Match struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
	Fixed   string `json:"fixed,omitempty"` // the first fixing version after the dependency's, "" when none is known
}

// Load reads the advisories stored under dataDir. A folder with none gives
// an empty DB (Len 0), which callers should report rather than pass.
func Load(ctx context.Context, dataDir string) (*DB, error) {
	db := &DB{byPkg: map[pkgKey][]entry{}}
	dir := Dir(dataDir)
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("load advisories %s: %w", dir, err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("load advisories %s: %w", dir, err)
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("load advisories: %w", err)
		}
		h.Write([]byte(filepath.Base(name)))
		h.Write(data)
		var advs []Advisory
		if err := json.Unmarshal(data, &advs); err != nil {
			return nil, fmt.Errorf("load advisories %s: %w (run trawl osv import again)", name, err)
		}
		for i := range advs {
			db.add(&advs[i])
		}
	}
	db.digest = hex.EncodeToString(h.Sum(nil))
	return db, nil
}

func (db *DB) add(a *Advisory) {
	db.count++
	for _, af := range a.Affected {
		e := entry{adv: a, versions: map[string]bool{}}
		for _, rg := range af.Ranges {
			ivs, err := compileRange(af.Ecosystem, rg)
			if err != nil {
				continue // checked on import
			}
			e.intervals = append(e.intervals, ivs...)
		}
		for _, v := range af.Versions {
			e.versions[strings.TrimPrefix(v, "v")] = true
		}
		k := pkgKey{af.Ecosystem, af.Name}
		db.byPkg[k] = append(db.byPkg[k], e)
	}
}

// Len is the number of advisories loaded (counted once per ecosystem file
// that holds them).
func (db *DB) Len() int { return db.count }

// Digest identifies the loaded content: it changes when an import does.
func (db *DB) Digest() string { return db.digest }

// Version returns the exact version a dependency record stands for, or ""
// when it has none (a range without a lockfile).
func Version(d indexer.Dependency) string {
	v := d.ResolvedVersion
	if v == "" {
		v = d.Version
	}
	if v == "" || strings.ContainsAny(v, "^~*<>=[]() ,|$") {
		return ""
	}
	return v
}

// Match returns the advisories affecting dependency d, by id.
func (db *DB) Match(d indexer.Dependency) []Match {
	v := Version(d)
	if v == "" {
		return nil
	}
	eco := d.Ecosystem
	if eco == "gradle" {
		eco = "maven" // Gradle declares Maven artifacts
	}
	var out []Match
	seen := map[string]bool{}
	for _, e := range db.byPkg[pkgKey{eco, normalizeName(eco, d.Name)}] {
		if seen[e.adv.ID] {
			continue
		}
		m, ok := e.match(v)
		if ok {
			seen[e.adv.ID] = true
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (e entry) match(v string) (Match, bool) {
	m := Match{ID: e.adv.ID, Summary: e.adv.Summary}
	if e.versions[strings.TrimPrefix(v, "v")] {
		for _, iv := range e.intervals {
			if iv.contains(v) {
				m.Fixed = iv.fixed
			}
		}
		return m, true
	}
	for _, iv := range e.intervals {
		if iv.contains(v) {
			m.Fixed = iv.fixed
			return m, true
		}
	}
	return m, false
}
