// Package sbom writes a CycloneDX software bill of materials for one
// branch from the dependency records trawl extracted (docs/design.md §7).
//
// The BOM is deterministic: the same index state gives the same bytes. Its
// serial number is a name-based UUID of the repository, branch and commit,
// and its timestamp is when the branch was crawled.
package sbom

import (
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/trawl-dev/trawl/indexer"
)

// SpecVersion is the CycloneDX version Write produces.
const SpecVersion = cdx.SpecVersion1_6

// Options describe the producing tool.
type Options struct {
	ToolVersion string // trawl's version, for metadata.tools; may be empty
}

// Build returns the BOM of (repo, branch): one component per distinct
// package URL, with every manifest line that declares it as evidence. It
// returns an error wrapping indexer.ErrNotFound for a branch the index
// does not hold.
func Build(ctx context.Context, idx indexer.Index, repo, branch string, opts Options) (*cdx.BOM, error) {
	branches, err := idx.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("read branch states: %w", err)
	}
	var state *indexer.Branch
	for i := range branches {
		if branches[i].Repo == repo && branches[i].Name == branch {
			state = &branches[i]
			break
		}
	}
	if state == nil {
		return nil, fmt.Errorf("sbom of %s@%s: branch %w", repo, branch, indexer.ErrNotFound)
	}

	byRef := map[string]*cdx.Component{}
	var refs []string
	direct := map[string]bool{}
	q := indexer.DepQuery{Branches: []indexer.BranchKey{state.Key()}}
	err = idx.Deps(ctx, q, func(d indexer.Dependency) error {
		ref := d.PURL
		if ref == "" {
			ref = "trawl:" + d.Ecosystem + "/" + d.Name + "@" + version(d)
		}
		c, ok := byRef[ref]
		if !ok {
			c = component(ref, d)
			byRef[ref] = c
			refs = append(refs, ref)
		} else if rank(scope(d.Scope)) < rank(c.Scope) {
			// Declared twice (a runtime and a test scope): the strongest need wins.
			c.Scope = scope(d.Scope)
		}
		occ := cdx.EvidenceOccurrence{Location: d.Path}
		if d.Line > 0 {
			line := d.Line
			occ.Line = &line
		}
		*c.Evidence.Occurrences = append(*c.Evidence.Occurrences, occ)
		if d.Direct {
			direct[ref] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read dependencies of %s@%s: %w", repo, branch, err)
	}
	sort.Strings(refs)

	rootRef := "trawl:" + repo + "@" + branch
	root := cdx.Component{
		BOMRef:  rootRef,
		Type:    cdx.ComponentTypeApplication,
		Name:    repo,
		Version: state.Commit,
		Properties: &[]cdx.Property{
			{Name: "trawl:repository", Value: repo},
			{Name: "trawl:branch", Value: branch},
			{Name: "trawl:commit", Value: state.Commit},
		},
	}
	if state.Meta.URL != "" {
		root.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeVCS, URL: state.Meta.URL}}
	}
	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Name: "trawl", Version: opts.ToolVersion}

	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuid5("trawl:"+repo+"\x00"+branch+"\x00"+state.Commit)
	bom.Metadata = &cdx.Metadata{
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
		Component: &root,
	}
	if !state.CrawledAt.IsZero() {
		bom.Metadata.Timestamp = state.CrawledAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	components := make([]cdx.Component, 0, len(refs))
	var directRefs []string
	for _, ref := range refs {
		components = append(components, *byRef[ref])
		if direct[ref] {
			directRefs = append(directRefs, ref)
		}
	}
	bom.Components = &components
	deps := []cdx.Dependency{{Ref: rootRef, Dependencies: &directRefs}}
	bom.Dependencies = &deps
	return bom, nil
}

// Write encodes bom as indented CycloneDX JSON.
func Write(w io.Writer, bom *cdx.BOM) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, SpecVersion); err != nil {
		return fmt.Errorf("write CycloneDX BOM: %w", err)
	}
	return nil
}

func component(ref string, d indexer.Dependency) *cdx.Component {
	group, name := splitName(d.Ecosystem, d.Name)
	c := &cdx.Component{
		BOMRef:     ref,
		Type:       componentType(d.Ecosystem),
		Group:      group,
		Name:       name,
		Version:    version(d),
		PackageURL: d.PURL,
		Scope:      scope(d.Scope),
		Evidence:   &cdx.Evidence{Occurrences: &[]cdx.EvidenceOccurrence{}},
	}
	var props []cdx.Property
	add := func(k, v string) {
		if v != "" {
			props = append(props, cdx.Property{Name: "trawl:" + k, Value: v})
		}
	}
	add("ecosystem", d.Ecosystem)
	add("declared_version", d.Version)
	add("version_source", d.VersionSource)
	add("scope", d.Scope)
	add("direct", strconv.FormatBool(d.Direct))
	c.Properties = &props
	return c
}

// version is the exact version where one is known, else as declared.
func version(d indexer.Dependency) string {
	if d.ResolvedVersion != "" {
		return d.ResolvedVersion
	}
	return d.Version
}

// splitName follows the purl namespace: Maven's groupId and npm's @scope
// are the group; other names stay whole.
func splitName(eco, name string) (group, short string) {
	switch eco {
	case "maven", "gradle":
		if g, a, ok := strings.Cut(name, ":"); ok {
			return g, a
		}
	case "npm":
		if strings.HasPrefix(name, "@") {
			if g, n, ok := strings.Cut(name, "/"); ok {
				return g, n
			}
		}
	}
	return "", name
}

func componentType(eco string) cdx.ComponentType {
	switch eco {
	case "docker":
		return cdx.ComponentTypeContainer
	case "github":
		// A GitHub Action runs in the pipeline; CycloneDX has no closer type.
		return cdx.ComponentTypeApplication
	}
	return cdx.ComponentTypeLibrary
}

// scope maps an ecosystem's scope to CycloneDX's: test and development
// dependencies are not part of what runs (excluded), optional and peer
// ones may be absent (optional), everything else is required.
func scope(s string) cdx.Scope {
	switch strings.ToLower(s) {
	case "test", "dev", "development", "testcompile", "testruntime", "testimplementation", "build", "plugin", "replaced":
		return cdx.ScopeExcluded
	case "optional", "peer", "provided":
		return cdx.ScopeOptional
	}
	return cdx.ScopeRequired
}

func rank(s cdx.Scope) int {
	switch s {
	case cdx.ScopeRequired:
		return 0
	case cdx.ScopeOptional:
		return 1
	}
	return 2
}

// uuid5 returns the RFC 9562 version 5 UUID of name in the URL namespace.
func uuid5(name string) string {
	ns := []byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
