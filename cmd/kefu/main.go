// Command kefu is the one binary of the kefu customer-service platform.
// This package is wiring only: it parses flags and environment into configs,
// builds the logger and the database pool, and hands them to the packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "kefu:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "kefu:", err)
		os.Exit(1)
	}
}

// errUsage marks errors in how kefu was called (exit status 2).
var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// env is what a command may touch of the outside world; tests fill it in.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

const usage = `kefu — self-hosted customer service for online shops

Usage: kefu <command> [flags]

Commands:
  serve      run the server (widget, console, API)
  migrate    apply database migrations
  seed       load the demo shop (--demo)
  site       add, list sites; rotate a site's identity secret
  user       add console users
  kb         knowledge base: ingest, list, delete, reindex, search, eval; sources to sync (kb source)
  shop       import orders and products (JSON or CSV)
  privacy    export or erase a shopper's data (GDPR/PIPL requests); run the retention job
  webhook    add, list, remove webhooks; their delivery log
  intents    train, evaluate and run the intent classifier; add a site's custom intents
  sentiment  train, evaluate and run the sentiment analyzer
  embedder   train and evaluate the built-in embedder
  bench      benchmarks against a real server (bench chat)
  version    print the version and commit

Run 'kefu <command> -h' for a command's flags.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageErr("no command given")
	}
	cmds := map[string]func(context.Context, env, []string) error{
		"serve":     cmdServe,
		"migrate":   cmdMigrate,
		"seed":      cmdSeed,
		"site":      cmdSite,
		"user":      cmdUser,
		"kb":        cmdKB,
		"shop":      cmdShop,
		"privacy":   cmdPrivacy,
		"webhook":   cmdWebhook,
		"bench":     cmdBench,
		"intents":   cmdIntents,
		"sentiment": cmdSentiment,
		"embedder":  cmdEmbedder,
		"version":   cmdVersion,
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(stderr, usage)
		return usageErr("unknown command %q", args[0])
	}
	return cmd(ctx, e, args[1:])
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("kefu "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses args and turns flag errors into usage errors. Flags may come
// anywhere ("kefu shop import orders FILE --site KEY"); after "--" every
// argument is positional.
func parse(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageErr("%v", err)
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

// newLogger builds the process logger: text or JSON on stderr.
func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("KEFU_LOG_FORMAT %q must be text or json", format)
}
