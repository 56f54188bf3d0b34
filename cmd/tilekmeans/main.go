package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the run failed: unreadable input, unwritable output, a backend error
	exitUsage   = 2 // the command line is wrong
	exitSignal  = 130
)

// usageError is a command-line mistake: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// command is one subcommand, in the manner of Go's own cmd/go: its name, a
// one-line summary for the top-level usage, and what runs it. Each command
// parses its own flags.
type command struct {
	name    string
	summary string
	run     func(a *app, ctx context.Context, args []string) error
}

// commands are the subcommands, in the order the usage lists them.
var commands = []command{
	{"run", "cluster the tiles of image sheets and write centroid PNGs (default data when no -images)", (*app).runCommand},
	{"devices", "list the OpenGL contexts this machine can make and what -backend auto would choose", (*app).devicesCommand},
	{"bench", "time the CPU and GPU backends side by side (table, -json, -plot)", (*app).benchCommand},
	{"assign", "assign the tiles of new sheets to a run's saved centroids (labels.csv with cluster and distance)", (*app).assignCommand},
	{"version", "print the module version and build settings", (*app).versionCommand},
}

// topUsage is the usage without a command.
func topUsage() string {
	var b strings.Builder
	b.WriteString("usage: tilekmeans <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'tilekmeans <command> -h' for a command's flags.\n")
	return b.String()
}

func main() { os.Exit(cli(os.Args[1:])) }

// cli runs a command line as the program does, SIGINT and SIGTERM
// cancelling it, and returns the exit code.
func cli(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, os.Stdout, os.Stderr)
}

// app is the command with its outputs and the seams tests replace.
type app struct {
	stdout, stderr io.Writer
	// openGPU opens the GPU backend; tests substitute failing ones.
	openGPU func(opts gpu.Options, data kmeans.Data) (*gpuBackend, error)
	// softwareGPU lets -backend auto use a software OpenGL renderer, so
	// tests can drive auto's GPU paths on llvmpipe.
	softwareGPU bool
	// memAvailable gives the memory that sizes from flags are checked
	// against (memory.go); nil means memcheck.Available.
	memAvailable func() (bytes uint64, source string, ok bool)
}

// run executes one command line and returns the exit code. Errors are printed
// as one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return (&app{stdout: stdout, stderr: stderr, openGPU: openGPU}).run(ctx, args)
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, topUsage())
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(a.stdout, topUsage())
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return report(ctx, c.run(a, ctx, args[1:]), a.stderr)
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return report(ctx, usagef("unknown command %q (want %s)", args[0], strings.Join(names, ", ")), a.stderr)
}

// report prints err as one line and maps it to an exit code.
func report(ctx context.Context, err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "tilekmeans: %v\n", err)
		return exitUsage
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "tilekmeans: interrupted; no output written")
		return exitSignal
	}
	fmt.Fprintf(stderr, "tilekmeans: %v\n", err)
	return exitFailure
}
