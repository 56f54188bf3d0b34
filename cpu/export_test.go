package cpu

// Test hooks: the external test package (benchmarks) picks kernels by name.
var (
	NewWithKernel = newWithKernel
	KernelNames   = kernelNames
	NoisyCopies   = noisyCopies
)
