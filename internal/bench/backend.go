package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
)

// Backend is an index backend under measurement. The crawl runs in a child
// `trawl crawl` configured by IndexYAML; queries run in this process
// through Open.
type Backend interface {
	Name() string
	// IndexYAML is the index: section of trawl.yaml, data under dataDir.
	IndexYAML(dataDir string) string
	// Reset removes whatever an earlier run left, so the crawl is full.
	Reset(ctx context.Context, cfg *config.Config) error
	Open(ctx context.Context, cfg *config.Config) (indexer.Index, error)
	// Disk reports the index size and the part of it that holds the
	// stored text (zero if unknown).
	Disk(ctx context.Context, cfg *config.Config) (DiskUsage, error)
}

// DiskUsage is an index's size on disk.
type DiskUsage struct {
	Total  int64
	Stored int64 // stored fields, nearly all of it the blobs' text
	Folder int64 // the whole data folder (index.path), index included; 0 when the index lives elsewhere
	// RecoverySource is Elasticsearch's _recovery_source, part of Total.
	RecoverySource int64
}

// bleveBackend is the embedded backend, in <index.path>/index like the CLI.
type bleveBackend struct{}

func (bleveBackend) Name() string { return "bleve" }

func (bleveBackend) IndexYAML(dataDir string) string {
	return fmt.Sprintf("index:\n  backend: bleve\n  path: %s\n", quoteYAML(dataDir))
}

func (bleveBackend) dir(cfg *config.Config) string { return filepath.Join(cfg.Index.Path, "index") }

func (b bleveBackend) Reset(_ context.Context, cfg *config.Config) error {
	if err := os.RemoveAll(cfg.Index.Path); err != nil {
		return fmt.Errorf("reset bleve index %s: %w", cfg.Index.Path, err)
	}
	return nil
}

func (b bleveBackend) Open(ctx context.Context, cfg *config.Config) (indexer.Index, error) {
	return bleve.Open(ctx, b.dir(cfg))
}

// Disk sums the files of the index folder and, from each zap segment's
// footer, the bytes of its stored-fields section.
func (b bleveBackend) Disk(_ context.Context, cfg *config.Config) (DiskUsage, error) {
	var u DiskUsage
	dir := b.dir(cfg)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		u.Total += info.Size()
		if strings.HasSuffix(path, ".zap") {
			n, err := zapStoredBytes(path)
			if err != nil {
				return err
			}
			u.Stored += n
		}
		return nil
	})
	if err != nil {
		return u, fmt.Errorf("size of index %s: %w", dir, err)
	}
	_, u.Folder, err = folderSize(cfg.Index.Path)
	return u, err
}

// zapStoredBytes reads the footer of a zap v17 segment (bleve v2.6's
// default; see zapx/v17 segment.go loadConfig): the stored fields come
// first in the file, followed by one 8-byte offset per document, so they
// end where storedIndexOffset + 8*numDocs says. Other versions report 0.
func zapStoredBytes(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	// numDocs(8) storedIndexOffset(8) sectionsIndexOffset(8) chunkMode(4) version(4) crc(4)
	const footer = 8 + 8 + 8 + 4 + 4 + 4
	if info.Size() < footer {
		return 0, fmt.Errorf("read zap footer of %s: file too short", path)
	}
	buf := make([]byte, footer)
	if _, err := f.ReadAt(buf, info.Size()-footer); err != nil {
		return 0, fmt.Errorf("read zap footer of %s: %w", path, err)
	}
	if v := binary.BigEndian.Uint32(buf[28:32]); v != 17 {
		return 0, nil
	}
	numDocs := binary.BigEndian.Uint64(buf[0:8])
	stored := binary.BigEndian.Uint64(buf[8:16])
	end := stored + 8*numDocs
	if end > uint64(info.Size()) {
		return 0, errors.New("read zap footer of " + path + ": stored section beyond the end of the file")
	}
	return int64(end), nil
}

// quoteYAML quotes s as a YAML double-quoted scalar.
func quoteYAML(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
