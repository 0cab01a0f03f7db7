package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

const completionHelp = `
Usage: trawl completion bash|zsh|fish

Prints a shell completion script. It completes commands, subcommands and
flags, configuration files after -c, and the repository and branch names of
the index after --repo and --branch (read from the index named by -c, or
./trawl.yaml). The script asks trawl itself (a hidden "trawl __complete"),
so commands and flags added later complete without a new script.

Examples:
  source <(trawl completion bash)                        # in ~/.bashrc
  trawl completion zsh > "${fpath[1]}/_trawl"            # then restart zsh (needs compinit)
  trawl completion fish > ~/.config/fish/completions/trawl.fish
`

func cmdCompletion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 {
		switch args[0] {
		case "bash":
			_, err := io.WriteString(stdout, bashCompletion)
			return err
		case "zsh":
			_, err := io.WriteString(stdout, zshCompletion)
			return err
		case "fish":
			_, err := io.WriteString(stdout, fishCompletion)
			return err
		case "-h", "-help", "--help":
			fmt.Fprint(stdout, completionHelp[1:])
			return errHelp
		}
	}
	fmt.Fprint(stderr, completionHelp[1:])
	return usageError{fmt.Errorf("completion: give one shell: bash, zsh or fish")}
}

// cmdComplete is the hidden helper the completion scripts call. It prints
// candidates one per line and nothing at all on error: a completion must
// never write into the user's command line or wait long.
func cmdComplete(ctx context.Context, args []string, stdout io.Writer) {
	if len(args) == 0 {
		return
	}
	var out []string
	switch args[0] {
	case "commands":
		out = commandNames()
	case "subcommands":
		if len(args) > 1 {
			out = subcommandNames(ctx, args[1])
		}
	case "flags":
		out = flagNames(ctx, args[1:])
	case "repos", "branches":
		out = indexNames(ctx, args[0], args[1:])
	}
	w := bufio.NewWriter(stdout)
	for _, s := range out {
		fmt.Fprintln(w, s)
	}
	w.Flush()
}

// commandLine is a "  name   description" line of the usage text.
var commandLine = regexp.MustCompile(`^  ([a-z][a-z-]*)\s`)

// commandNames reads the command list from the usage text, so a command
// added there completes without touching this file.
func commandNames() []string {
	var out []string
	inCommands := false
	for _, line := range strings.Split(usage, "\n") {
		switch {
		case line == "Commands:":
			inCommands = true
		case inCommands && line == "":
			inCommands = false
		case inCommands:
			if m := commandLine.FindStringSubmatch(line); m != nil {
				out = append(out, m[1])
			}
		}
	}
	return append(out, "help")
}

// helpOf runs args with -h and returns what the command printed.
func helpOf(ctx context.Context, args []string) string {
	var buf bytes.Buffer
	run(ctx, append(append([]string{}, args...), "-h"), &buf, &buf)
	return buf.String()
}

// subcommandNames reads "trawl CMD SUB" lines from a command's help.
func subcommandNames(ctx context.Context, cmd string) []string {
	if !commandLine.MatchString("  " + cmd + " ") {
		return nil
	}
	re := regexp.MustCompile(`(?m)^\s*(?:Usage:\s*)?trawl ` + regexp.QuoteMeta(cmd) + ` ([a-z][a-z-]*)(?:\||\s|$)`)
	seen := map[string]bool{}
	var out []string
	for _, m := range re.FindAllStringSubmatch(helpOf(ctx, []string{cmd}), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	if cmd == "completion" {
		out = []string{"bash", "zsh", "fish"}
	}
	return out
}

// flagLine is a flag as flag.PrintDefaults prints it.
var flagLine = regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9-]*)`)

// flagNames reads a command's flags from its -h output: one source of truth.
func flagNames(ctx context.Context, cmd []string) []string {
	if len(cmd) == 0 || !commandLine.MatchString("  "+cmd[0]+" ") {
		return nil
	}
	var out []string
	for _, m := range flagLine.FindAllStringSubmatch(helpOf(ctx, cmd), -1) {
		if len(m[1]) == 1 {
			out = append(out, "-"+m[1])
		} else {
			out = append(out, "--"+m[1])
		}
	}
	return out
}

// indexNames lists the repositories, or the branches (of one repository
// when a name follows), of the index -c names. It gives up after two
// seconds: a completion that hangs is worse than none.
func indexNames(ctx context.Context, what string, args []string) []string {
	fs, c := newCommandFlags("__complete", "", io.Discard)
	words, err := parse(fs, args)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, idx, err := c.open(ctx, readOnly)
	if err != nil {
		return nil
	}
	defer idx.Close()
	branches, err := idx.Branches(ctx)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	for _, b := range branches {
		switch {
		case what == "repos":
			seen[b.Repo] = true
		case len(words) == 0 || words[0] == b.Repo:
			seen[b.Name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

const bashCompletion = `# bash completion for trawl: source <(trawl completion bash)
_trawl() {
  local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local cmd= sub= repo= i w subs
  local -a cfg=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case $w in
      -c|--c) cfg=(-c "${COMP_WORDS[i+1]}"); ((i++)) ;;
      --repo|-repo) repo=${COMP_WORDS[i+1]}; ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=$w; elif [[ -z $sub ]]; then sub=$w; fi ;;
    esac
  done
  case $prev in
    -c|--c) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --repo|-repo) COMPREPLY=($(compgen -W "$("$prog" __complete repos "${cfg[@]}" 2>/dev/null)" -- "$cur")); return ;;
    --branch|-branch) COMPREPLY=($(compgen -W "$("$prog" __complete branches "${cfg[@]}" $repo 2>/dev/null)" -- "$cur")); return ;;
  esac
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$("$prog" __complete commands 2>/dev/null)" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$("$prog" __complete flags "$cmd" $sub 2>/dev/null)" -- "$cur"))
    return
  fi
  if [[ -z $sub ]]; then
    subs=$("$prog" __complete subcommands "$cmd" 2>/dev/null)
    if [[ -n $subs ]]; then
      COMPREPLY=($(compgen -W "$subs" -- "$cur"))
      return
    fi
  fi
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _trawl trawl
`

const zshCompletion = `#compdef trawl
# zsh completion for trawl: trawl completion zsh > "${fpath[1]}/_trawl"
# (or, after compinit: source <(trawl completion zsh))
_trawl() {
  local prog=${words[1]} cmd= sub= repo= i
  local -a cfg items
  for ((i = 2; i < CURRENT; i++)); do
    case ${words[i]} in
      -c|--c) cfg=(-c ${words[i+1]}); ((i++)) ;;
      --repo|-repo) repo=${words[i+1]}; ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi ;;
    esac
  done
  local prev=${words[CURRENT-1]} cur=${words[CURRENT]}
  case $prev in
    -c|--c) _files; return ;;
    --repo|-repo) items=(${(f)"$($prog __complete repos $cfg 2>/dev/null)"}); compadd -a items; return ;;
    --branch|-branch) items=(${(f)"$($prog __complete branches $cfg $repo 2>/dev/null)"}); compadd -a items; return ;;
  esac
  if [[ -z $cmd ]]; then
    items=(${(f)"$($prog __complete commands 2>/dev/null)"}); compadd -a items; return
  fi
  if [[ $cur == -* ]]; then
    items=(${(f)"$($prog __complete flags $cmd $sub 2>/dev/null)"}); compadd -a items; return
  fi
  if [[ -z $sub ]]; then
    items=(${(f)"$($prog __complete subcommands $cmd 2>/dev/null)"})
    if (( $#items )); then compadd -a items; return; fi
  fi
  _files
}
if [[ $funcstack[1] == _trawl ]]; then _trawl "$@"; else compdef _trawl trawl; fi
`

const fishCompletion = `# fish completion for trawl: trawl completion fish > ~/.config/fish/completions/trawl.fish
function __trawl_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l prog $tokens[1]
    set -l cmd ''
    set -l sub ''
    set -l repo ''
    set -l cfg
    set -l i 2
    while test $i -le (count $tokens)
        set -l w $tokens[$i]
        switch $w
            case -c --c
                set i (math $i + 1)
                if test $i -le (count $tokens)
                    set cfg -c $tokens[$i]
                end
            case --repo -repo
                set i (math $i + 1)
                if test $i -le (count $tokens)
                    set repo $tokens[$i]
                end
            case '-*'
            case '*'
                if test -z "$cmd"
                    set cmd $w
                else if test -z "$sub"
                    set sub $w
                end
        end
        set i (math $i + 1)
    end
    switch $tokens[-1]
        case -c --c
            __fish_complete_path $cur
            return
        case --repo -repo
            $prog __complete repos $cfg 2>/dev/null
            return
        case --branch -branch
            $prog __complete branches $cfg $repo 2>/dev/null
            return
    end
    if test -z "$cmd"
        $prog __complete commands 2>/dev/null
        return
    end
    if string match -q -- '-*' $cur
        $prog __complete flags $cmd $sub 2>/dev/null
        return
    end
    if test -z "$sub"
        set -l subs ($prog __complete subcommands $cmd 2>/dev/null)
        if test (count $subs) -gt 0
            printf '%s\n' $subs
            return
        end
    end
    __fish_complete_path $cur
end
complete -c trawl -f -a '(__trawl_complete)'
`
