package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// deviceEnv is the environment variable that gives -device its default.
const deviceEnv = "TILEKMEANS_DEVICE"

// gpuFlags are the flags that choose and trust the GPU, shared by run,
// bench and devices.
type gpuFlags struct {
	device        glenv.Choice
	allowMismatch bool
	envErr        error // TILEKMEANS_DEVICE did not parse
}

// addDevice registers -device, whose default is $TILEKMEANS_DEVICE.
func (g *gpuFlags) addDevice(fs *flag.FlagSet) {
	if v := os.Getenv(deviceEnv); v != "" {
		if err := g.device.UnmarshalText([]byte(v)); err != nil {
			g.envErr = usagef("%s=%q: %s", deviceEnv, v, strings.TrimPrefix(err.Error(), fmt.Sprintf("device %q: ", v)))
		}
	}
	fs.TextVar(&g.device, "device", g.device, "EGL `device` to run on, as 'tilekmeans devices' lists it: index N, or cuda:N by CUDA number (default $"+deviceEnv+", else the first that works)")
}

// addAllowMismatch registers -allow-mismatch; recorded says where the
// command records its use ("summary.json records it").
func (g *gpuFlags) addAllowMismatch(fs *flag.FlagSet, recorded string) {
	fs.BoolVar(&g.allowMismatch, "allow-mismatch", false, "use a GPU whose start-up parity canary failed, without the guarantee that results equal the CPU's bit for bit ("+recorded+")")
}

// check validates the device choice (after fs parsed the flags) for a
// context kind, before any input is loaded: a device EGL does not list is a usage error naming the ones
// it does. When EGL cannot list devices at all, opening the GPU will say
// why (and auto will use the CPU), so that is no usage error.
func (g *gpuFlags) check(fs *flag.FlagSet, context string) error {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "device" })
	if g.envErr != nil && !set {
		return g.envErr
	}
	if g.device.IsZero() {
		return nil
	}
	// Name the choice as the user gave it: the flag, or the variable.
	given := fmt.Sprintf("-device %s", g.device)
	if !set {
		given = fmt.Sprintf("%s=%s", deviceEnv, g.device)
	}
	if context == glenv.ContextGLFW {
		return usagef("%s: an EGL device needs -context egl or auto (GLFW uses the display's GPU)", given)
	}
	devs, err := gpu.Devices()
	if err != nil {
		return nil
	}
	if _, err := g.pick(devs); err != nil {
		return usagef("%s: %v", given, err)
	}
	return nil
}

// pick returns the device -device chooses among devs, or an error wrapping
// gpu.ErrNoDevice that names the devices there are.
func (g *gpuFlags) pick(devs []gpu.EGLDevice) (gpu.EGLDevice, error) {
	return glenv.Pick(g.device, devs, func(d gpu.EGLDevice) (int, int) { return d.Index, d.CUDA }, gpu.ErrNoDevice)
}

// options are the gpu.Options these flags and a context kind ask for.
func (g *gpuFlags) options(context string) gpu.Options {
	return gpu.Options{Context: context, Device: g.device.String(), AllowMismatch: g.allowMismatch}
}

// openHint adds what the command can do about an Open error: run anyway
// after a failed canary.
func openHint(err error) error {
	if errors.Is(err, gpu.ErrParity) {
		return fmt.Errorf("%w (-allow-mismatch uses this GPU anyway, without the bit-for-bit guarantee)", err)
	}
	return err
}
