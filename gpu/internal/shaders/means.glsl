// The exact float32 mean of an integer sum: spliced into Update (the means
// passes of an iteration and of a relocation).

// meanBits returns the bits of the correctly rounded (ties to even) float32
// of sum/count, for any sum < 2^32 and 0 < count < 2^31: what
// float32(float64(sum)/float64(count)) gives on the host. It uses integer
// arithmetic only, because GLSL promises neither a correctly rounded float
// division (2.5 ULP) nor a correctly rounded double one. The quotient is
// built as sig * 2^e with sig in [2^23, 2^24) plus the exact remainder,
// which decides the rounding, and the float is assembled from its fields.
uint meanBits(uint sum, uint count) {
    if (sum == 0u) {
        return 0u;
    }
    uint q = sum / count;
    uint r = sum - q * count;
    uint sig;
    int e;
    bool up;
    if (q >= 0x1000000u) {
        // 25 to 32 integer bits: keep the top 24; the dropped bits are
        // low + r/count units, and r/count < 1 only breaks a tie.
        int s = findMSB(q) - 23;
        sig = q >> uint(s);
        uint low = q & ((1u << uint(s)) - 1u);
        uint half_ = 1u << uint(s - 1);
        up = low > half_ || (low == half_ && (r != 0u || (sig & 1u) != 0u));
        e = s;
    } else {
        // Long division: append quotient bits until sig has 24. r < count
        // throughout, so 2r < 2^32. At most 54 steps (sum/count > 2^-31).
        sig = q;
        e = 0;
        while (sig < 0x800000u) {
            r <<= 1;
            sig <<= 1;
            if (r >= count) {
                r -= count;
                sig |= 1u;
            }
            e--;
        }
        // What is left of the quotient is r/count: compare it with 1/2.
        uint r2 = r << 1;
        up = r2 > count || (r2 == count && (sig & 1u) != 0u);
    }
    if (up) {
        sig++;
        if (sig == 0x1000000u) {
            sig = 0x800000u;
            e++;
        }
    }
    // value = 1.m * 2^(e+23): biased exponent e+23+127.
    return (uint(e + 150) << 23) | (sig - 0x800000u);
}
