// Package cpu is the CPU backend of package kmeans and the reference for
// parity: its Distance is the definition every other backend must match bit
// for bit (float32, feature order, no fused multiply-add, ties to the lowest
// index).
package cpu
