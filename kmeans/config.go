package kmeans

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// DefaultMaxIter is the iteration budget of a Config whose MaxIter is 0:
// the notebook's 100 Lloyd iterations (scikit-learn's KMeans defaults to 300).
const DefaultMaxIter = 100

// Config says how to run k-means. Only K must be set: the zero value of
// every other field is a documented default, so Config{K: 5} runs the
// notebook's job (random rows, up to 100 iterations, one start, seed 0).
type Config struct {
	// K is the number of clusters, 1 <= K <= the number of rows.
	K int
	// MaxIter is the most Lloyd iterations; 0 means DefaultMaxIter.
	MaxIter int
	// FixedIters runs all MaxIter iterations even after the fixed point
	// (the notebook's loop). The result is the same either way.
	FixedIters bool
	// Init chooses the initial centroids; "" means InitRandom.
	Init InitMethod
	// InitRows, when not nil, are the initial centroids given as k
	// distinct 0-based row indices (scikit-learn's init=array, with rows of
	// the data); Init must then be "".
	InitRows []int
	// NInit is the number of restarts, scikit-learn's n_init; the lowest
	// inertia wins. 0 means 1. With InitRows there is one run whatever
	// NInit says, since every restart would start from the same rows (as
	// scikit-learn does for an explicit init, with a RuntimeWarning).
	NInit int
	// Rand drives random and kmeans++ initialisation. nil means
	// rand.New(rand.NewPCG(0, uint64(K))), the stream the command line uses
	// for -seed 0, so Config{K: k} reproduces `tilekmeans run -k k`; with
	// rand.NewPCG(S, uint64(K)) it reproduces -seed S.
	Rand *rand.Rand
	// HostLoop keeps the loop on the host even when the Assigner could run
	// it on its device (see package kmeans/driver): every assignment then
	// comes back to the host (what checking each assignment needs, and
	// what a benchmark of the assignment step alone measures). It is the
	// one switch between the device and host loops.
	HostLoop bool
	// Workers caps the goroutines Run itself starts on the host (for the
	// final inertia); < 1 means GOMAXPROCS. The result does not depend on
	// it. An Assigner has its own (cpu.Options.Workers).
	Workers int
	// Progress, when not nil, is called after every iteration (on the
	// goroutine that called Run).
	Progress func(Progress)
}

// ErrConfig reports an invalid Config for the data; the error is a
// *ConfigError.
var ErrConfig = errors.New("bad k-means config")

// ConfigError is what Validate and Run return for a Config that does not fit
// the data: which field, its value, and what is wrong, so that a caller can
// name its own option (a command-line flag, say) in front of Msg.
type ConfigError struct {
	Field string // "Data", "K", "MaxIter", "NInit", "Init" or "InitRows"
	Value string // the field's value as text ("" for Data)
	Msg   string // what is wrong, e.g. "more clusters than the 8 tiles"
}

func (e *ConfigError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("kmeans: %s: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("kmeans: %s %s: %s", e.Field, e.Value, e.Msg)
}

// Is makes errors.Is(err, ErrConfig) true for every ConfigError.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// withDefaults fills in the documented defaults of zero fields.
func (cfg Config) withDefaults() Config {
	if cfg.MaxIter == 0 {
		cfg.MaxIter = DefaultMaxIter
	}
	if cfg.NInit == 0 || cfg.NInit > 1 && cfg.InitRows != nil {
		cfg.NInit = 1
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(0, uint64(cfg.K)))
	}
	return cfg
}

// Validate reports whether cfg can cluster data, with the error Run would
// return (a *ConfigError), without clustering anything.
func (cfg Config) Validate(data Data) error {
	bad := func(field string, value any, format string, args ...any) error {
		v := ""
		if value != nil {
			v = fmt.Sprint(value)
		}
		return &ConfigError{Field: field, Value: v, Msg: fmt.Sprintf(format, args...)}
	}
	if err := data.Validate(); err != nil {
		return err
	}
	switch {
	case cfg.K < 1:
		return bad("K", cfg.K, "want k >= 1")
	case cfg.K > data.N:
		return bad("K", cfg.K, "more clusters than the %d tiles", data.N)
	case cfg.MaxIter < 0:
		return bad("MaxIter", cfg.MaxIter, "want >= 1 (0 means %d)", DefaultMaxIter)
	case cfg.NInit < 0:
		return bad("NInit", cfg.NInit, "want >= 1 (0 means 1)")
	}
	return cfg.checkInit(data.N)
}

// Progress describes one finished iteration.
type Progress struct {
	K, Restart, Iter int
	Changed          int     // rows whose label changed (all rows on the first iteration)
	Inertia          float64 // sum of the iteration's squared distances
}
