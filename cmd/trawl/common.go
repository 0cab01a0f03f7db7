package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/trawl-dev/trawl/compliance"
	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/indexer/elastic"
	"github.com/trawl-dev/trawl/source/sources"
)

// common holds the flags every command takes.
type common struct {
	configPath string
	logLevel   string
	logFormat  string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.configPath, "c", "trawl.yaml", "configuration `file`")
	fs.StringVar(&c.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "log `format`: text or json")
}

func (c *common) logger(stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, usageError{fmt.Errorf("-log-level: %q is not debug, info, warn or error", c.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, usageError{fmt.Errorf("-log-format: %q is not text or json", c.logFormat)}
}

func (c *common) load() (*config.Config, error) {
	cfg, err := config.Load(c.configPath)
	if err != nil {
		return nil, usageError{err}
	}
	// Every command refuses a rule that cannot run, as config.Load refuses
	// a rule it cannot decode, so that a bad query is found by trawl
	// config check and at serve start, not at the first evaluation.
	if err := compliance.Validate(cfg.Rules); err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// access says whether a command writes to the index or only reads it.
// Readers of a Bleve index share it with each other (bleve.OpenReadOnly);
// a writer holds it alone.
type access int

const (
	readWrite access = iota
	readOnly
)

// open loads the configuration and opens its index.
func (c *common) open(ctx context.Context, a access) (*config.Config, indexer.Index, error) {
	cfg, err := c.load()
	if err != nil {
		return nil, nil, err
	}
	idx, err := openIndex(ctx, cfg, a)
	if err != nil {
		return nil, nil, err
	}
	return cfg, idx, nil
}

// openIndex opens the configured backend.
func openIndex(ctx context.Context, cfg *config.Config, a access) (indexer.Index, error) {
	switch cfg.Index.Backend {
	case "", "bleve":
		dir := filepath.Join(cfg.Index.Path, "index")
		if a == readOnly {
			return bleve.OpenReadOnly(ctx, dir)
		}
		return bleve.Open(ctx, dir)
	case "elasticsearch":
		opts, err := elasticOptions(cfg.Index.Elasticsearch)
		if err != nil {
			return nil, err
		}
		// Each trawl search is a process of its own; the branch states it
		// needs are kept in the data folder between them.
		opts.StateFile = filepath.Join(cfg.Index.Path, "elasticsearch-states.gob")
		opts.ReadOnly = a == readOnly
		return elastic.Open(ctx, opts)
	}
	return nil, usageError{fmt.Errorf("index.backend: %q is not bleve or elasticsearch", cfg.Index.Backend)}
}

// elasticOptions maps index.elasticsearch to the backend's options,
// reading the secrets its _env keys name.
func elasticOptions(es config.Elasticsearch) (elastic.Options, error) {
	o := elastic.Options{Addresses: es.Addresses, CloudID: es.CloudID, IndexPrefix: es.IndexPrefix, Username: es.Username, CACertFile: es.CACert, Compress: es.Compress}
	for _, s := range []struct {
		key, env string
		dst      *string
	}{{"password_env", es.PasswordEnv, &o.Password}, {"api_key_env", es.APIKeyEnv, &o.APIKey}} {
		if s.env == "" {
			continue
		}
		v, err := config.Secret(s.env)
		if err != nil {
			return o, fmt.Errorf("index.elasticsearch.%s: %w", s.key, err)
		}
		*s.dst = v
	}
	return o, nil
}

// crawlerFor prepares a crawl of cfg's sources (built by set, so that a
// long-running server keeps each source's state) into idx.
func crawlerFor(cfg *config.Config, idx indexer.Index, set *sources.Set, opt crawler.Options) (*crawler.Crawler, error) {
	srcs, err := set.For(cfg)
	if err != nil {
		return nil, err
	}
	opt.Sources = srcs
	return crawler.New(cfg, idx, opt)
}

// parse parses args with fs, letting flags follow positional arguments
// (trawl search QUERY --json) as users expect.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// newFlagSet makes a flag set whose -h prints help text, then the flags.
func newFlagSet(name, help string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, strings.TrimLeft(help, "\n"))
		fmt.Fprintln(out, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// noArguments refuses the positional arguments of a command that takes
// none.
func noArguments(command string, words []string) error {
	if len(words) > 0 {
		return usageError{fmt.Errorf("%s: unexpected argument %q", command, words[0])}
	}
	return nil
}

// countSet counts the flags set among mutually exclusive ones.
func countSet(flags ...bool) int {
	n := 0
	for _, set := range flags {
		if set {
			n++
		}
	}
	return n
}

// printJSON prints v as the indented JSON every --json answer is.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// openLogged makes the logger of the -log flags, then loads the
// configuration and opens its index: the start of every command that
// crawls or reads the index with logs.
func (c *common) openLogged(ctx context.Context, stderr io.Writer, a access) (*slog.Logger, *config.Config, indexer.Index, error) {
	log, err := c.logger(stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, idx, err := c.open(ctx, a)
	if err != nil {
		return nil, nil, nil, err
	}
	return log, cfg, idx, nil
}

// runCrawl runs one crawl of cfg's sources into idx with opt, drawing its
// progress on bar (nil: none). A configuration the crawler refuses is bad
// usage.
func runCrawl(ctx context.Context, cfg *config.Config, idx indexer.Index, log *slog.Logger, bar *progressBar, opt crawler.Options) (*crawler.Summary, error) {
	opt.Logger = log
	if bar != nil {
		opt.Progress = bar.update
	}
	cr, err := crawlerFor(cfg, idx, sources.New(sources.Options{Logger: log}), opt)
	if err != nil {
		return nil, usageError{err}
	}
	sum, err := cr.Run(ctx)
	bar.clear()
	return sum, err
}

// regexpFlag is a flag holding an RE2 expression (--repo RE, --branch
// RE), compiled into dst when given.
type regexpFlag struct {
	name, text string
	dst        **regexp.Regexp
}

// compileRegexps compiles the flags given; a bad expression is bad usage
// of command, naming the flag.
func compileRegexps(command string, flags ...regexpFlag) error {
	for _, f := range flags {
		if f.text == "" {
			continue
		}
		re, err := regexp.Compile(f.text)
		if err != nil {
			return usageError{fmt.Errorf("%s: %s: %w", command, f.name, err)}
		}
		*f.dst = re
	}
	return nil
}

// newCommandFlags makes a command's flag set (as newFlagSet) holding the
// flags every command takes.
func newCommandFlags(name, help string, out io.Writer) (*flag.FlagSet, *common) {
	fs := newFlagSet(name, help, out)
	c := &common{}
	c.register(fs)
	return fs, c
}

// readSecret sets *dst to the value of the environment variable env, the
// value of a trawl.yaml *_env key or secret flag named key; nothing
// when env is "". An unset variable is bad configuration.
func readSecret(dst *string, key, env string) error {
	if env == "" {
		return nil
	}
	v, err := config.Secret(env)
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", key, err)}
	}
	*dst = v
	return nil
}
