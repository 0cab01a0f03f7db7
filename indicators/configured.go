package indicators

import (
	"context"
	"path/filepath"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
)

// ComputeConfigured is what trawl indicators and the export of trawl
// serve compute: the documents of cfg's indicators with cfg's options
// (compatibility mode, groups) over opts (its groups come after cfg's),
// their default branch documents holding the results of cfg's
// repository tasks. env gives the tasks their APIs; it is called only
// when there are tasks, since building it may reach a forge. A task
// that fails is returned among problems and leaves a "task failed"
// value; it does not stop the run.
func ComputeConfigured(ctx context.Context, cfg *config.Config, idx indexer.Index, env func() (TaskEnv, error), opts Options) (docs []Document, problems []error, err error) {
	base := OptionsFor(cfg)
	opts.Mode, opts.Groups = base.Mode, append(base.Groups, opts.Groups...)
	if len(cfg.RepositoryTasks) > 0 {
		e, err := env()
		if err != nil {
			return nil, nil, err
		}
		if opts.Tasks, problems, err = RunTasks(ctx, cfg.RepositoryTasks, e); err != nil {
			return nil, problems, err
		}
	}
	docs, err = Compute(ctx, idx, cfg.Indicators, opts)
	return docs, problems, err
}

// ExportDir is where the files of indicators_export.files go: its dir
// (relative to the configuration's folder), else the configuration's
// folder.
func ExportDir(cfg *config.Config) string {
	if x := cfg.IndicatorsExport; x != nil && x.Files != nil && x.Files.Dir != "" {
		if filepath.IsAbs(x.Files.Dir) {
			return x.Files.Dir
		}
		return filepath.Join(filepath.Dir(cfg.Path), x.Files.Dir)
	}
	return filepath.Dir(cfg.Path)
}
