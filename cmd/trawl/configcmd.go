package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/trawl-dev/trawl/config"
)

const configHelp = `
Usage:
  trawl config check [-c trawl.yaml] [--no-env]
                                       validate the file (errors name the key and line) and check
                                       that every *_env variable it names is set in this shell
  trawl config example                 print a commented example trawl.yaml
  trawl config import github-crawler application.yml [--profile NAME]
                                       write the equivalent trawl.yaml and say what each key became
`

func cmdConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, configHelp[1:])
		return usageError{errors.New("config: missing subcommand (check or example)")}
	}
	switch args[0] {
	case "import":
		return cmdConfigImport(args[1:], stdout, stderr)
	case "example":
		fmt.Fprint(stdout, config.Example())
		return nil
	case "check":
		fs, c := newCommandFlags("config check", configHelp, stderr)
		noEnv := fs.Bool("no-env", false, "do not check that the *_env variables are set (checking a file for another machine)")
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		cfg, err := c.load()
		if err != nil {
			return err
		}
		if unset := config.UnsetSecrets(cfg); len(unset) > 0 && !*noEnv {
			for _, u := range unset {
				fmt.Fprintf(stderr, "%s: %s\n", c.configPath, u)
			}
			return usageError{fmt.Errorf("config check: %d environment variables unset: crawl or serve would stop (export them, or --no-env to check the file only)", len(unset))}
		}
		fmt.Fprintf(stdout, "%s: ok (%d sources, backend %s, data in %s)\n", c.configPath, len(cfg.Sources), cfg.Index.Backend, cfg.Index.Path)
		return nil
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, configHelp[1:])
		return errHelp
	}
	return usageError{fmt.Errorf("config: unknown subcommand %q (check or example)", args[0])}
}
