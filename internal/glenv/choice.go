package glenv

import (
	"fmt"
	"strconv"
	"strings"
)

// Choice is an EGL device choice (gpu.Options.Device, the command's
// -device and TILEKMEANS_DEVICE) parsed. The zero value leaves the choice
// to gpu.Open; otherwise it pins the device at an index of gpu.Devices or
// the one with a CUDA device number.
//
// Its text form (it implements encoding.TextMarshaler and
// TextUnmarshaler) is "" for the zero value, "N" for index N and "cuda:N"
// for CUDA device N.
type Choice struct {
	set  bool
	cuda bool
	n    int
}

// ParseChoice parses the text form of a Choice.
func ParseChoice(s string) (Choice, error) {
	var c Choice
	err := c.UnmarshalText([]byte(s))
	return c, err
}

// IsZero reports whether c leaves the choice to gpu.Open.
func (c Choice) IsZero() bool { return !c.set }

// String returns the text form: "", "N" or "cuda:N".
func (c Choice) String() string {
	switch {
	case !c.set:
		return ""
	case c.cuda:
		return "cuda:" + strconv.Itoa(c.n)
	}
	return strconv.Itoa(c.n)
}

// MarshalText implements encoding.TextMarshaler.
func (c Choice) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: "" (any device), "N"
// or "cuda:N", N a non-negative integer.
func (c *Choice) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if s == "" {
		*c = Choice{}
		return nil
	}
	num, cuda := strings.CutPrefix(s, "cuda:")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || strings.HasPrefix(num, "+") {
		return fmt.Errorf("device %q: want an EGL device index N or cuda:N (N >= 0)", s)
	}
	*c = Choice{set: true, cuda: cuda, n: n}
	return nil
}

// Pick returns the device c chooses among devs (as gpu.Devices lists
// them), or an error wrapping noDevice (gpu.ErrNoDevice) that names the
// devices there are. id gives a device's index and its CUDA device number
// (-1 for none). The zero choice pins nothing, so it picks nothing: an
// error too.
func Pick[D fmt.Stringer](c Choice, devs []D, id func(D) (index, cuda int), noDevice error) (D, error) {
	var none D
	if !c.set {
		return none, fmt.Errorf("no EGL device chosen: %w", noDevice)
	}
	for _, d := range devs {
		index, cuda := id(d)
		if c.cuda && cuda == c.n || !c.cuda && index == c.n {
			return d, nil
		}
	}
	what := strconv.Itoa(c.n)
	if c.cuda {
		what = fmt.Sprintf("with CUDA number %d", c.n)
	}
	if len(devs) == 0 {
		return none, fmt.Errorf("%w %s: EGL lists none", noDevice, what)
	}
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = d.String()
	}
	return none, fmt.Errorf("%w %s; EGL lists %s", noDevice, what, strings.Join(names, "; "))
}
