#version 430
// Assignment step of k-means, tiled; see package shaders' documentation for
// the blocking, the bindings and the uniforms, and package kmeans for the
// arithmetic contract ("The arithmetic contract" in its documentation) this
// must follow bit for bit.
//
// The host defines the blocking after the version line (shaders.Kernel):
// TX x CY invocations (TX*CY == 64) hold RT tiles x RC centroids of
// accumulators each, so a work group computes a block of TB = TX*RT tiles
// against blocks of CB = CY*RC centroids, FC features at a time staged in
// shared memory. Compiled as it is (Assign: labels and distances), or with
// STEP defined and status.glsl spliced in (Step: the assignment and update
// of a device Lloyd iteration, see step.glsl; its means follow in
// update.comp). Both run the same distance and argmin code.

layout(local_size_x = 64) in;

#define TB (TX * RT) // tiles per block
#define CB (CY * RC) // centroids per block

layout(std430, binding = 0) readonly buffer Tiles { uint tiles[]; };
// Centroids feature-major: feature f of centroid c is centBits[f*uK + c],
// the float32's bits.
layout(std430, binding = 1) readonly buffer Centroids { uint centBits[]; };
#ifdef STEP
// Labels of the previous Step assignment (-1 after Start), overwritten with
// this one's: the changed count compares the two.
layout(std430, binding = 2) buffer Labels { int labels[]; };
layout(std430, binding = 3) buffer Dists { float dists[]; };
// Owner (4), Sums (5), Counts (6) and Status (7, with work[]): step.glsl
// and status.glsl.
#else
layout(std430, binding = 2) writeonly buffer Labels { int labels[]; };
layout(std430, binding = 3) writeonly buffer Dists { float dists[]; };
// Split partials and their counters (Assign only; Step has them in Status).
layout(std430, binding = 7) coherent buffer Work { uint work[]; };
#endif

uniform uint uN;          // rows in this dispatch
uniform uint uD;          // features per row
uniform uint uK;          // centroids
uniform uint uStride;     // uint words per tile row
uniform uint uBase;       // first row of this dispatch in the bound Tiles
uniform uint uOutBase;    // Labels/Dists index of the bound Tiles' row 0
uniform uint uBlockBase;  // index of this dispatch's first tile block in the pass
uniform uint uBlocks;     // tile blocks in the whole pass (every dispatch)
uniform uint uSplits;     // work groups per tile block (gl_WorkGroupID.y)
uniform uint uSplitSpan;  // centroid blocks per split
uniform uint uPartOff;    // work[]: split partials, 2 words per split and row
uniform uint uCountOff;   // work[]: one counter per tile block

// Staged tiles and centroids, feature-major, four values per vec4 (so an
// invocation reads its RT tiles and RC centroids of a feature in RT/4 and
// RC/4 loads): tile t of feature f is sT[(f*TB + t)/4][t%4], centroid c is
// sC[(f*CB + c)/4][c%4].
shared vec4 sT[FC * TB / 4];
shared vec4 sC[FC * CB / 4];
shared uint sKey[CY * TB];
shared uint sIdx[CY * TB];
shared uint sBits[CY * TB];
shared uint sLast;

// keyOf orders distances for the argmin as unsigned integers: a distance is
// never negative (a sum of squares), and for those the float bits order as
// the values do. A NaN is above every number, except at centroid 0, where
// it is below (kmeans.Nearest keeps centroid 0 when its distance is NaN: no
// distance is less than NaN). Ties between equal keys go to the lower
// index, so the argmin does not depend on the order pairs are compared in.
uint keyOf(uint c, uint bits) {
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
        return c == 0u ? 0u : 0xFFFFFFFFu;
    }
    return bits;
}

// better says whether candidate (key a, index ia) beats (key b, index ib).
bool better(uint a, uint ia, uint b, uint ib) {
    return a < b || (a == b && ia < ib);
}

//#step: shaders.Step splices step.glsl here

void main() {
    uint lid = gl_LocalInvocationIndex;
    uint tx = lid % TX;
    uint cy = lid / TX;
    uint first = gl_WorkGroupID.x * TB;     // the block's first row in the dispatch
    uint rows = min(uint(TB), uN - first);  // rows in the block
    uint row0 = uBase + first;              // ... in the bound Tiles
    uint nblocks = (uK + uint(CB) - 1u) / uint(CB);
    uint cbEnd = min((gl_WorkGroupID.y + 1u) * uSplitSpan, nblocks);

    // The best (key, index, distance bits) of each of this invocation's
    // tiles so far; index 0xFFFFFFFF is none yet, which anything beats.
    uint bestKey[RT];
    uint bestIdx[RT];
    uint bestBits[RT];
#define INIT_BEST(r) bestKey[r] = 0xFFFFFFFFu; bestIdx[r] = 0xFFFFFFFFu; bestBits[r] = 0u;
    FOR_TILES(INIT_BEST)

    for (uint cb = gl_WorkGroupID.y * uSplitSpan; cb < cbEnd; ++cb) {
        uint c0 = cb * uint(CB);
        // precise forbids reassociation and contraction into fma: each
        // accumulator is s += float32(d*d), feature by feature, in order,
        // exactly like kmeans.Distance.
        precise float acc[RT * RC];
#define ZERO(r, c, i) acc[i] = 0.0;
        FOR_PAIRS(ZERO)
        for (uint f0 = 0u; f0 < uD; f0 += uint(FC)) {
            uint nf = min(uint(FC), uD - f0);
            barrier(); // every invocation is done with the previous chunk
            // Tiles: FC/4 words of each of TB rows, each uint8 converted
            // once; an invocation takes one word of four consecutive rows
            // and writes four whole vec4s (one per feature).
            for (uint i = lid; i < uint(TB / 4 * FC / 4); i += 64u) {
                uint t4 = i % uint(TB / 4);
                uint q = i / uint(TB / 4);
                uvec4 w = uvec4(0u);
                uint left = rows - min(rows, 4u * t4); // rows from 4*t4 on
                if (4u * q < nf) {
                    uint at = (row0 + 4u * t4) * uStride + (f0 >> 2) + q;
                    if (left > 0u) w.x = tiles[at];
                    if (left > 1u) w.y = tiles[at + uStride];
                    if (left > 2u) w.z = tiles[at + 2u * uStride];
                    if (left > 3u) w.w = tiles[at + 3u * uStride];
                }
                uint o = (4u * q) * uint(TB / 4) + t4;
                sT[o] = vec4(w & 0xFFu);
                sT[o + uint(TB / 4)] = vec4((w >> 8) & 0xFFu);
                sT[o + uint(TB / 2)] = vec4((w >> 16) & 0xFFu);
                sT[o + uint(3 * TB / 4)] = vec4(w >> 24);
            }
            // Centroids: four consecutive centroids of one feature per
            // invocation, consecutive in the feature-major buffer.
            for (uint i = lid; i < uint(CB / 4 * FC); i += 64u) {
                uint c4 = i % uint(CB / 4);
                uint f = i / uint(CB / 4);
                uvec4 b = uvec4(0u);
                uint c = c0 + 4u * c4;
                uint left = uK - min(uK, c); // centroids from c on
                if (f < nf) {
                    uint at = (f0 + f) * uK + c;
                    if (left > 0u) b.x = centBits[at];
                    if (left > 1u) b.y = centBits[at + 1u];
                    if (left > 2u) b.z = centBits[at + 2u];
                    if (left > 3u) b.w = centBits[at + 3u];
                }
                sC[f * uint(CB / 4) + c4] = uintBitsToFloat(b);
            }
            memoryBarrierShared();
            barrier();
            // The register block, written out by the preprocessor (the
            // host's FOR_ lists) so every index is a constant, four
            // features per loop iteration in a whole chunk (llvmpipe ends
            // an invocation's loops after 65535 iterations in all; see
            // package gpu's pass planning). Invocations whose centroids
            // all lie past k (a partial last block) skip it: their sums
            // are never used.
#define LOAD_X(q) x[q] = sT[fi * uint(TB / 4) + tx * uint(RT / 4) + uint(q)];
#define LOAD_Y(q) y[q] = sC[fi * uint(CB / 4) + cy * uint(RC / 4) + uint(q)];
#define PAIR(r, c, i) { precise float d = x[r / 4][r % 4] - y[c / 4][c % 4]; acc[i] += d * d; }
#define FEATURE(F) { \
                uint fi = F; \
                vec4 x[RT / 4]; \
                vec4 y[RC / 4]; \
                FOR_TILE_VECS(LOAD_X) \
                FOR_CENTROID_VECS(LOAD_Y) \
                FOR_PAIRS(PAIR) \
            }
            if (c0 + cy * uint(RC) < uK) {
                if (nf == uint(FC)) {
                    for (uint f = 0u; f < uint(FC); f += 4u) {
                        FEATURE(f) FEATURE(f + 1u) FEATURE(f + 2u) FEATURE(f + 3u)
                    }
                } else {
                    for (uint f = 0u; f < nf; ++f) {
                        FEATURE(f)
                    }
                }
            }
        }
#define FOLD(r, c, i) { \
            uint ci = c0 + cy * uint(RC) + uint(c); \
            uint bits = floatBitsToUint(acc[i]); \
            uint key = keyOf(ci, bits); \
            if (ci < uK && better(key, ci, bestKey[r], bestIdx[r])) { \
                bestKey[r] = key; \
                bestIdx[r] = ci; \
                bestBits[r] = bits; \
            } \
        }
        FOR_PAIRS(FOLD)
    }

    // Across the CY invocations that share a tile, in a fixed order.
#define SHARE(r) { \
        uint t = cy * uint(TB) + tx * uint(RT) + uint(r); \
        sKey[t] = bestKey[r]; \
        sIdx[t] = bestIdx[r]; \
        sBits[t] = bestBits[r]; \
    }
    FOR_TILES(SHARE)
    memoryBarrierShared();
    barrier();
    uint key = 0xFFFFFFFFu, idx = 0xFFFFFFFFu, bits = 0u;
    if (lid < rows) {
        for (uint y = 0u; y < uint(CY); ++y) {
            uint j = y * uint(TB) + lid;
            if (better(sKey[j], sIdx[j], key, idx)) {
                key = sKey[j];
                idx = sIdx[j];
                bits = sBits[j];
            }
        }
    }

    // Across the work groups that split the centroids: each writes its
    // partial, and the last of them to finish (an atomic counter per tile
    // block, after its writes) takes the best of all. No group waits.
    bool mine = true;
    if (uSplits > 1u) {
        uint blk = uBlockBase + gl_WorkGroupID.x;
        if (lid < rows) {
            uint p = uPartOff + 2u * ((gl_WorkGroupID.y * uBlocks + blk) * uint(TB) + lid);
            work[p] = bits;
            work[p + 1u] = idx;
        }
        memoryBarrierBuffer();
        barrier();
        if (lid == 0u) {
            uint done = atomicAdd(work[uCountOff + blk], 1u);
            sLast = done == uSplits - 1u ? 1u : 0u;
            if (sLast != 0u) {
                work[uCountOff + blk] = 0u; // ready for the next pass
            }
        }
        memoryBarrierShared();
        barrier();
        mine = sLast != 0u;
        if (mine && lid < rows) {
            memoryBarrierBuffer();
            key = 0xFFFFFFFFu;
            idx = 0xFFFFFFFFu;
            for (uint s = 0u; s < uSplits; ++s) {
                uint p = uPartOff + 2u * ((s * uBlocks + blk) * uint(TB) + lid);
                uint b = work[p];
                uint i = work[p + 1u];
                uint k = keyOf(i, b);
                if (better(k, i, key, idx)) {
                    key = k;
                    idx = i;
                    bits = b;
                }
            }
        }
    }

#ifdef STEP
    stepRows(mine, lid, rows, row0, idx, bits);
#else
    if (mine && lid < rows) {
        uint o = uOutBase + row0 + lid;
        labels[o] = int(idx);
        dists[o] = uintBitsToFloat(bits);
    }
#endif
}
