#version 430
// Assignment step of k-means; see package shaders' documentation for the
// binding and uniform interface, and package kmeans for the arithmetic
// contract this must follow bit for bit (float32, feature order,
// s += d*d without fused multiply-add, ties to the lowest index).

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Tiles { uint tiles[]; };
layout(std430, binding = 1) readonly buffer Centroids { float cent[]; };
layout(std430, binding = 2) writeonly buffer Labels { int labels[]; };
layout(std430, binding = 3) writeonly buffer Dists { float dists[]; };

uniform uint uN;
uniform uint uD;
uniform uint uK;
uniform uint uStride;
uniform uint uBase;
uniform uint uOutBase;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= uN) {
        return;
    }
    uint row = uBase + i;
    uint w0 = row * uStride;
    uint full = uD >> 2; // words with four features
    uint rest = uD & 3u; // features in the last, partial word

    int best = 0;
    float bestD = 0.0;
    for (uint c = 0u; c < uK; ++c) {
        uint cb = c * uD;
        // precise forbids reassociation and contraction into fma, so s is
        // accumulated exactly like cpu.Distance: s += float32(d*d) in order.
        precise float s = 0.0;
        for (uint w = 0u; w < full; ++w) {
            uint word = tiles[w0 + w];
            uint j = cb + (w << 2);
            precise float d0 = float(word & 0xFFu) - cent[j];
            s += d0 * d0;
            precise float d1 = float((word >> 8) & 0xFFu) - cent[j + 1u];
            s += d1 * d1;
            precise float d2 = float((word >> 16) & 0xFFu) - cent[j + 2u];
            s += d2 * d2;
            precise float d3 = float(word >> 24) - cent[j + 3u];
            s += d3 * d3;
        }
        if (rest != 0u) {
            uint word = tiles[w0 + full];
            uint j = cb + (full << 2);
            for (uint b = 0u; b < rest; ++b) {
                precise float d = float((word >> (b << 3)) & 0xFFu) - cent[j + b];
                s += d * d;
            }
        }
        // Strictly less: ties keep the lowest index, as cpu.Nearest does.
        if (c == 0u || s < bestD) {
            best = int(c);
            bestD = s;
        }
    }
    uint o = uOutBase + row;
    labels[o] = best;
    dists[o] = bestD;
}
