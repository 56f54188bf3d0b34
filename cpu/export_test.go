package cpu

// Test hooks: the external test package (benchmarks) picks kernels by name.
var (
	NewWithKernel        = newWithKernel
	NewWithKernelOptions = newWithKernelOptions
	KernelNames          = kernelNames
	NoisyCopies          = noisyCopies
)
