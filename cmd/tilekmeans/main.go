package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

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

const topUsage = `usage: tilekmeans <command> [flags]

commands:
  run      cluster the tiles of image sheets and write centroid PNGs (default data when no -images)
  devices  list the OpenGL contexts this machine can make and what -backend auto would choose
  bench    time the CPU and GPU backends side by side (table, -json, -plot)
  assign   assign the tiles of new sheets to a run's saved centroids (labels.csv with cluster and distance)

Run 'tilekmeans <command> -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// app is the command with its outputs and the seams tests replace.
type app struct {
	stdout, stderr io.Writer
	// openGPU opens the GPU backend; tests substitute failing ones.
	openGPU func(opts gpu.Options, data kmeans.Data) (*gpuBackend, error)
	// softwareGPU lets -backend auto use a software OpenGL renderer, so
	// tests can drive auto's GPU paths on llvmpipe.
	softwareGPU bool
}

// run executes one command line and returns the exit code. Errors are printed
// as one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return (&app{stdout: stdout, stderr: stderr, openGPU: openGPU}).run(ctx, args)
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, topUsage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "run":
		err = a.runCommand(ctx, args[1:])
	case "devices":
		err = a.devicesCommand(args[1:])
	case "bench":
		err = a.benchCommand(ctx, args[1:])
	case "assign":
		err = a.assignCommand(ctx, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(a.stdout, topUsage)
		return exitOK
	default:
		err = usagef("unknown command %q (want run, devices, bench or assign)", args[0])
	}
	return report(ctx, err, a.stderr)
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
