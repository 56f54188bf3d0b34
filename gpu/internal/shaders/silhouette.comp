#version 430
// Sums of distances for the silhouette (kmeans.DistanceSummer; package gpu's
// pairs.go drives it). Each invocation owns one row i of the rows listed
// and walks the columns of a dispatch's range of positions, the rows sorted
// by cluster (order[]), so that the columns of a cluster come one after
// another: for each it computes the exact squared distance d(i, j), its
// square root in double precision, splits that exactly into the integers
// H and L of internal/exactsum.Roots (v = H*2^-16 + L*2^-52, the same
// double operations as exactsum.SplitRoot) and adds them, as 64-bit
// integers, to the running sums of the column's cluster; at each change of
// cluster, and at the end of the range, it adds those sums to the row's in
// Sums. Integer sums do not depend on the order of the terms, so the
// dispatches, their ranges and the work groups may cut the columns
// anywhere; with a correctly rounded double sqrt the sums are package
// cpu's bit for bit.
//
// The squared distance is exact in float arithmetic: the bytes are exact
// floats, each difference is in [-255, 255], and the sum over a chunk of
// FW words (4*FW = 64 features) is an integer below 64*255^2 < 2^24, which
// every float operation here keeps exact, in any order and with or without
// fused multiply-adds; the chunks add in 64 bits (two uints with carry:
// beyond 66,051 features the distance passes 2^32), and the distance, below
// 2^40 (the host refuses more features), converts to double exactly.
//
// The host defines CW (columns per staged chunk) and FOR_COLS(M), which
// expands to M(c) for c < CW, after the version line.

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Tiles { uint tiles[]; };  // the data's rows, uStride words each, 4 bytes per word
layout(std430, binding = 1) readonly buffer Order { uint order[]; };  // the listed rows sorted by cluster, as data rows
layout(std430, binding = 2) readonly buffer Segs { uint segs[]; };    // per segment of order: its end position, its cluster
layout(std430, binding = 3) buffer Sums { uint sums[]; };             // per listed row and cluster: H (lo, hi), L (lo, hi)
layout(std430, binding = 4) readonly buffer List { uint list[]; };    // the data row of each listed row

uniform uint uN;       // rows listed
uniform uint uK;       // clusters
uniform uint uStride;  // words per row
uniform uint uFirst;   // the dispatch's first position
uniform uint uEnd;     // the position after its last
uniform uint uSeg;     // the segment that holds position uFirst
uniform uint uProbe;   // 1: the probe's pass over roots (probeRoots), not the sums

#define FW 16 // words per staged chunk of features

// The chunk's columns: word w of column c, as four floats, at sC[c*FW + w].
shared vec4 sC[CW * FW];

vec4 unpackBytes(uint w) {
    return vec4(float(w & 0xFFu), float((w >> 8) & 0xFFu), float((w >> 16) & 0xFFu), float(w >> 24));
}

uvec2 add64(uvec2 a, uvec2 b) {
    uint carry;
    uint lo = uaddCarry(a.x, b.x, carry);
    return uvec2(lo, a.y + b.y + carry);
}

uvec2 sub64(uvec2 a, uvec2 b) {
    uint borrow;
    uint lo = usubBorrow(a.x, b.x, borrow);
    return uvec2(lo, a.y - b.y - borrow);
}

// flush adds the running sums h and l to those of row and cluster.
void flush(uint row, uint cluster, uvec2 h, uvec2 l) {
    uint at = (row * uK + cluster) * 4u;
    uvec2 H = add64(uvec2(sums[at], sums[at + 1u]), h);
    uvec2 L = add64(uvec2(sums[at + 2u], sums[at + 3u]), l);
    sums[at] = H.x;
    sums[at + 1u] = H.y;
    sums[at + 2u] = L.x;
    sums[at + 3u] = L.y;
}

// root returns the square root of the integer d (low, high words; below
// 2^40, so that its conversion to double is exact), in double precision:
// correctly rounded where the driver's sqrt is (the host's probe checks).
double root(uvec2 d) {
    precise double x = double(d.y) * 4294967296.0LF + double(d.x);
    precise double v = sqrt(x);
    return v;
}

// probeRoots is the probe's pass (uProbe = 1): invocation i takes the
// integer in list[2i], list[2i+1] (low, high words) and writes its root's
// bits to sums[2i], sums[2i+1], for i below uN.
void probeRoots() {
    uint i = gl_GlobalInvocationID.x;
    if (i < uN) {
        uvec2 bits = unpackDouble2x32(root(uvec2(list[2u * i], list[2u * i + 1u])));
        sums[2u * i] = bits.x;
        sums[2u * i + 1u] = bits.y;
    }
}

// sumRows is the pass over the pairs: this invocation's row against the
// dispatch's columns.
void sumRows() {
    uint lid = gl_LocalInvocationID.x;
    uint row = gl_WorkGroupID.x * 64u + lid;
    bool live = row < uN;
    uint rbase = list[min(row, uN - 1u)] * uStride;
    // 1.5*2^36: v + C rounds v to a multiple of 2^-16; 1.5*2^52 turns an
    // integer below 2^51 into the low bits of a double.
    const double C = 103079215104.0LF;
    const double M = 6755399441055744.0LF;
    uvec2 cBits = unpackDouble2x32(C);
    uvec2 mBits = unpackDouble2x32(M);
    uint seg = uSeg;
    uint segEnd = segs[2u * seg];
    uvec2 h = uvec2(0u), l = uvec2(0u);
    for (uint p0 = uFirst; p0 < uEnd; p0 += uint(CW)) {
        uvec2 dist[CW]; // (low, high) words
#define ZERO(c) dist[c] = uvec2(0u);
        FOR_COLS(ZERO)
        for (uint w0 = 0u; w0 < uStride; w0 += uint(FW)) {
            barrier();
            for (uint t = lid; t < uint(CW * FW); t += 64u) {
                uint c = t / uint(FW), w = t % uint(FW);
                uint p = p0 + c;
                uint word = 0u;
                if (p < uEnd && w0 + w < uStride) {
                    word = tiles[order[p] * uStride + w0 + w];
                }
                sC[t] = unpackBytes(word);
            }
            barrier();
            float part[CW];
#define ZEROF(c) part[c] = 0.0;
            FOR_COLS(ZEROF)
            for (uint w = 0u; w < uint(FW); w++) {
                vec4 r = w0 + w < uStride ? unpackBytes(tiles[rbase + w0 + w]) : vec4(0.0);
#define TERM(c) { vec4 e = r - sC[(c) * FW + int(w)]; part[c] += dot(e, e); }
                FOR_COLS(TERM)
            }
#define ADD(c) dist[c] = add64(dist[c], uvec2(uint(part[c]), 0u));
            FOR_COLS(ADD)
        }
        for (uint c = 0u; c < uint(CW); c++) {
            uint p = p0 + c;
            if (p >= uEnd) {
                break;
            }
            while (p >= segEnd) {
                if (live) {
                    flush(row, segs[2u * seg + 1u], h, l);
                }
                h = uvec2(0u);
                l = uvec2(0u);
                seg++;
                segEnd = segs[2u * seg];
            }
            precise double v = root(dist[c]);
            precise double t = v + C;
            precise double rounded = t - C;
            precise double low = v - rounded;
            precise double lm = low * 4503599627370496.0LF + M;
            h = add64(h, sub64(unpackDouble2x32(t), cBits));
            l = add64(l, sub64(unpackDouble2x32(lm), mBits));
        }
    }
    if (live) {
        flush(row, segs[2u * seg + 1u], h, l);
    }
}

void main() {
    if (uProbe != 0u) {
        probeRoots();
    } else {
        sumRows();
    }
}
