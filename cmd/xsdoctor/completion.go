package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/xsdoctor/xsdoctor/explain"
	"github.com/xsdoctor/xsdoctor/scenarios"
)

// commands are the commands run dispatches, in the order help lists them; completion offers
// them and a test checks each one is known to run.
var commands = []string{"check", "replay", "demo", "emulate", "explain", "completion", "version", "help"}

var shells = []string{"bash", "zsh", "fish"}

var outputFormats = []string{"text", "json", "markdown"}

// emulateFlagDocs are emulate's flags, for its help and for completion.
var emulateFlagDocs = []flagDoc{
	{[]string{"scenario"}, "FILE", "a scenario file to serve instead of a built-in one (format: docs/scenarios.md in the repository)"},
	{[]string{"listen"}, "ADDR", "address to listen on (default 127.0.0.1:4566; 127.0.0.1:0 picks a free port)"},
}

// completionWords is what the shells complete after each command: its flags (every spelling,
// "--name" and "-o"), and the words it takes as arguments.
type completionWords struct {
	flags      map[string][]string // command → flags
	args       map[string][]string // command → argument words
	fileFlags  []string            // flags whose value is a file
	valueFlags []string            // flags that take a value other than a file or a format
}

func completionData() completionWords {
	w := completionWords{flags: map[string][]string{}, args: map[string][]string{}}
	addFlags := func(cmd string, docs []flagDoc) {
		for _, d := range docs {
			for _, n := range d.names {
				name := "--" + n
				if len(n) == 1 {
					name = "-" + n
				}
				w.flags[cmd] = append(w.flags[cmd], name)
				switch {
				case d.arg == "FILE" || strings.HasSuffix(d.arg, "FILE") || strings.Contains(d.arg, "FILE|"):
					w.fileFlags = append(w.fileFlags, name)
				case d.arg == "FORMAT" || d.arg == "":
				default:
					w.valueFlags = append(w.valueFlags, name)
				}
			}
		}
		w.flags[cmd] = append(w.flags[cmd], "--help")
	}
	addFlags("check", checkFlagDocs)
	addFlags("demo", demoFlagDocs)
	addFlags("emulate", emulateFlagDocs)
	w.flags["explain"] = []string{"--list", "--help"}
	names := scenarios.Names()
	w.args["demo"] = names
	w.args["emulate"] = names
	w.args["explain"] = explain.Codes()
	w.args["completion"] = shells
	w.args["help"] = commands
	w.fileFlags = uniqueSorted(w.fileFlags)
	w.valueFlags = uniqueSorted(w.valueFlags)
	return w
}

func uniqueSorted(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// runCompletion is "xsdoctor completion bash|zsh|fish": a script for the shell to load.
func runCompletion(args []string, stdout io.Writer) error {
	if len(args) == 1 && isHelpArg(args[0]) {
		return runHelp([]string{"completion"}, stdout)
	}
	if len(args) != 1 {
		return usagef("completion", "xsdoctor completion bash (or zsh, fish); 'xsdoctor help completion' says how to load it", "completion takes one shell name")
	}
	w := completionData()
	var script string
	switch args[0] {
	case "bash":
		script = bashCompletion(w)
	case "zsh":
		script = zshCompletion(w)
	case "fish":
		script = fishCompletion(w)
	default:
		return usagef("completion", "the shells are "+strings.Join(shells, ", "), "no completion for shell %q", args[0])
	}
	_, err := io.WriteString(stdout, script)
	return err
}

// perCommand returns the commands that have completion words, sorted.
func (w completionWords) perCommand() []string {
	var cmds []string
	for _, c := range commands {
		if len(w.flags[c]) > 0 || len(w.args[c]) > 0 {
			cmds = append(cmds, c)
		}
	}
	return cmds
}

func bashCompletion(w completionWords) string {
	var b strings.Builder
	b.WriteString(`# bash completion for xsdoctor. Load it with:
#   source <(xsdoctor completion bash)
# or save it as ~/.local/share/bash-completion/completions/xsdoctor
_xsdoctor() {
    local cur prev cmd words
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "` + strings.Join(commands, " ") + `" -- "$cur"))
        return 0
    fi
    cmd="${COMP_WORDS[1]}"
    case "$prev" in
        -o|--output|-output)
            COMPREPLY=($(compgen -W "` + strings.Join(outputFormats, " ") + `" -- "$cur"))
            return 0
            ;;
`)
	if len(w.fileFlags) > 0 {
		fmt.Fprintf(&b, "        %s)\n            COMPREPLY=($(compgen -f -- \"$cur\"))\n            return 0\n            ;;\n", strings.Join(w.fileFlags, "|"))
	}
	if len(w.valueFlags) > 0 {
		fmt.Fprintf(&b, "        %s)\n            return 0\n            ;;\n", strings.Join(w.valueFlags, "|"))
	}
	b.WriteString("    esac\n    case \"$cmd\" in\n")
	for _, c := range w.perCommand() {
		fmt.Fprintf(&b, "        %s)\n            words=\"%s\"\n            ;;\n", c, strings.Join(append(append([]string{}, w.args[c]...), w.flags[c]...), " "))
	}
	b.WriteString(`        *)
            words=""
            ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
    return 0
}
complete -F _xsdoctor xsdoctor
`)
	return b.String()
}

func zshCompletion(w completionWords) string {
	var b strings.Builder
	b.WriteString(`#compdef xsdoctor
# zsh completion for xsdoctor. Load it with:
#   source <(xsdoctor completion zsh)
# or save it as _xsdoctor in a directory of $fpath.
_xsdoctor() {
    local cmd prev
    if (( CURRENT == 2 )); then
        compadd -- ` + strings.Join(commands, " ") + `
        return
    fi
    cmd=${words[2]}
    prev=${words[CURRENT-1]}
    case $prev in
        -o|--output|-output)
            compadd -- ` + strings.Join(outputFormats, " ") + `
            return
            ;;
`)
	if len(w.fileFlags) > 0 {
		fmt.Fprintf(&b, "        %s)\n            _files\n            return\n            ;;\n", strings.Join(w.fileFlags, "|"))
	}
	if len(w.valueFlags) > 0 {
		fmt.Fprintf(&b, "        %s)\n            return\n            ;;\n", strings.Join(w.valueFlags, "|"))
	}
	b.WriteString("    esac\n    case $cmd in\n")
	for _, c := range w.perCommand() {
		fmt.Fprintf(&b, "        %s)\n            compadd -- %s\n            ;;\n", c, strings.Join(append(append([]string{}, w.args[c]...), w.flags[c]...), " "))
	}
	b.WriteString(`    esac
}
if [ "$funcstack[1]" = "_xsdoctor" ]; then
    _xsdoctor "$@"
else
    compdef _xsdoctor xsdoctor
fi
`)
	return b.String()
}

func fishCompletion(w completionWords) string {
	var b strings.Builder
	b.WriteString(`# fish completion for xsdoctor. Load it with:
#   xsdoctor completion fish | source
# or save it as ~/.config/fish/completions/xsdoctor.fish
complete -c xsdoctor -f
complete -c xsdoctor -n __fish_use_subcommand -a '` + strings.Join(commands, " ") + `'
`)
	for _, c := range w.perCommand() {
		cond := "'__fish_seen_subcommand_from " + c + "'"
		if args := w.args[c]; len(args) > 0 {
			fmt.Fprintf(&b, "complete -c xsdoctor -n %s -a '%s'\n", cond, strings.Join(args, " "))
		}
		for _, f := range w.flags[c] {
			switch {
			case f == "-o":
				continue // with --output below
			case f == "--output":
				fmt.Fprintf(&b, "complete -c xsdoctor -n %s -s o -l output -x -a '%s'\n", cond, strings.Join(outputFormats, " "))
			case slices.Contains(w.fileFlags, f):
				fmt.Fprintf(&b, "complete -c xsdoctor -n %s -l %s -r -F\n", cond, strings.TrimPrefix(f, "--"))
			case slices.Contains(w.valueFlags, f):
				fmt.Fprintf(&b, "complete -c xsdoctor -n %s -l %s -x\n", cond, strings.TrimPrefix(f, "--"))
			default:
				fmt.Fprintf(&b, "complete -c xsdoctor -n %s -l %s\n", cond, strings.TrimPrefix(f, "--"))
			}
		}
	}
	return b.String()
}
