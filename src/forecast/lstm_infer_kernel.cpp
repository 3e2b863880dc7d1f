#include "forecast/lstm_infer_kernel.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <stdexcept>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define CLOUDOPT_PACKED_LSTM 1
#else
#define CLOUDOPT_PACKED_LSTM 0
#endif

namespace cloudopt {

bool PackedLstmAvailable(int hidden) { return CLOUDOPT_PACKED_LSTM && hidden > 0 && hidden % 8 == 0; }

PackedLstmLayer PackLstmLayer(const Eigen::MatrixXf& fused, int hidden) {
    if (!PackedLstmAvailable(hidden) || fused.rows() != 4 * hidden)
        throw std::logic_error("PackLstmLayer: this build or this hidden size has no packed kernel");
    PackedLstmLayer packed;
    packed.hidden = hidden;
    packed.stacked = static_cast<int>(fused.cols());
    const int K = packed.stacked;
    packed.weights.resize(static_cast<std::size_t>(hidden) * static_cast<std::size_t>(K) * 4);
    float* out = packed.weights.data();
    for (int block = 0; block < hidden / 8; ++block)
        for (int k = 0; k < K; ++k)
            for (int gate = 0; gate < 4; ++gate)
                for (int r = 0; r < 8; ++r) *out++ = fused(gate * hidden + block * 8 + r, k);
    return packed;
}

#if CLOUDOPT_PACKED_LSTM

namespace {

// Eigen's rational tanh (generic_fast_tanh_float: the same clamp and coefficients), with its division replaced by
// a reciprocal estimate (12 bits) refined by one Newton step (about 23): five divisions per 8 units and window
// are the slowest instructions of the step (+3% windows/s in bench/lstm_throughput without them).
inline __m256 Tanh(__m256 a) {
    const __m256 x = _mm256_max_ps(_mm256_min_ps(a, _mm256_set1_ps(7.99881172180175781f)),
                                   _mm256_set1_ps(-7.99881172180175781f));
    const __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.76076847742355e-16f), _mm256_set1_ps(2.00018790482477e-13f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-8.60467152213735e-11f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(5.12229709037114e-08f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(1.48572235717979e-05f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(6.37261928875436e-04f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(4.89352455891786e-03f));
    p = _mm256_mul_ps(x, p);
    __m256 q = _mm256_fmadd_ps(x2, _mm256_set1_ps(1.19825839466702e-06f), _mm256_set1_ps(1.18534705686654e-04f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(2.26843463243900e-03f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(4.89352518554385e-03f));
    // q >= 0.0049 everywhere, so the estimate is never of a zero or a denormal.
    __m256 r = _mm256_rcp_ps(q);
    r = _mm256_mul_ps(r, _mm256_fnmadd_ps(q, r, _mm256_set1_ps(2.0f)));
    return _mm256_mul_ps(p, r);
}

// The cell and hidden update of 8 units of one window, from its four gate sums.
inline void FinishUnits(__m256 in_sum, __m256 forget_sum, __m256 candidate_sum, __m256 out_sum, float* cell,
                        float* hidden_out) {
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256 in = _mm256_fmadd_ps(Tanh(in_sum), half, half);
    const __m256 forget = _mm256_fmadd_ps(Tanh(forget_sum), half, half);
    const __m256 out = _mm256_fmadd_ps(Tanh(out_sum), half, half);
    const __m256 c_new = _mm256_fmadd_ps(forget, _mm256_loadu_ps(cell), _mm256_mul_ps(in, Tanh(candidate_sum)));
    _mm256_storeu_ps(cell, c_new);
    _mm256_storeu_ps(hidden_out, _mm256_mul_ps(out, Tanh(c_new)));
}

// 8 hidden units of 3 windows: 4 x 3 sums and 3 broadcasts fill the 16 AVX registers. The sums are named
// variables, not an array: GCC 12 stores an array of them back to the stack on every pass of the loop.
inline void UnitsOfThreeWindows(const float* panel, int K, const float* stacked, int H, float* cell,
                                float* hidden_out) {
    __m256 i0 = _mm256_setzero_ps(), i1 = i0, i2 = i0, f0 = i0, f1 = i0, f2 = i0;
    __m256 g0 = i0, g1 = i0, g2 = i0, o0 = i0, o1 = i0, o2 = i0;
    const float* x0 = stacked;
    const float* x1 = stacked + K;
    const float* x2 = stacked + 2 * K;
#pragma GCC unroll 4
    for (int k = 0; k < K; ++k) {
        const __m256 a = _mm256_broadcast_ss(x0 + k), b = _mm256_broadcast_ss(x1 + k),
                     c = _mm256_broadcast_ss(x2 + k);
        const float* w = panel + k * 32;
        __m256 wg = _mm256_load_ps(w);
        i0 = _mm256_fmadd_ps(wg, a, i0), i1 = _mm256_fmadd_ps(wg, b, i1), i2 = _mm256_fmadd_ps(wg, c, i2);
        wg = _mm256_load_ps(w + 8);
        f0 = _mm256_fmadd_ps(wg, a, f0), f1 = _mm256_fmadd_ps(wg, b, f1), f2 = _mm256_fmadd_ps(wg, c, f2);
        wg = _mm256_load_ps(w + 16);
        g0 = _mm256_fmadd_ps(wg, a, g0), g1 = _mm256_fmadd_ps(wg, b, g1), g2 = _mm256_fmadd_ps(wg, c, g2);
        wg = _mm256_load_ps(w + 24);
        o0 = _mm256_fmadd_ps(wg, a, o0), o1 = _mm256_fmadd_ps(wg, b, o1), o2 = _mm256_fmadd_ps(wg, c, o2);
    }
    FinishUnits(i0, f0, g0, o0, cell, hidden_out);
    FinishUnits(i1, f1, g1, o1, cell + H, hidden_out + H);
    FinishUnits(i2, f2, g2, o2, cell + 2 * H, hidden_out + 2 * H);
}

// 16 hidden units (two blocks) of one window: the last one or two windows of a batch, or a forecast of a single
// window. Each sum runs over k in the same order as in UnitsOfThreeWindows, so a window's forecast does not
// depend on how a batch was cut; two blocks give eight independent chains to hide the FMA latency.
inline void TwoBlocksOfOneWindow(const float* panel, int K, const float* stacked, float* cell, float* hidden_out) {
    const float* second = panel + static_cast<std::size_t>(K) * 32;
    __m256 i0 = _mm256_setzero_ps(), i1 = i0, f0 = i0, f1 = i0, g0 = i0, g1 = i0, o0 = i0, o1 = i0;
    for (int k = 0; k < K; ++k) {
        const __m256 a = _mm256_broadcast_ss(stacked + k);
        const float* w = panel + k * 32;
        const float* v = second + k * 32;
        i0 = _mm256_fmadd_ps(_mm256_load_ps(w), a, i0), i1 = _mm256_fmadd_ps(_mm256_load_ps(v), a, i1);
        f0 = _mm256_fmadd_ps(_mm256_load_ps(w + 8), a, f0), f1 = _mm256_fmadd_ps(_mm256_load_ps(v + 8), a, f1);
        g0 = _mm256_fmadd_ps(_mm256_load_ps(w + 16), a, g0), g1 = _mm256_fmadd_ps(_mm256_load_ps(v + 16), a, g1);
        o0 = _mm256_fmadd_ps(_mm256_load_ps(w + 24), a, o0), o1 = _mm256_fmadd_ps(_mm256_load_ps(v + 24), a, o1);
    }
    FinishUnits(i0, f0, g0, o0, cell, hidden_out);
    FinishUnits(i1, f1, g1, o1, cell + 8, hidden_out + 8);
}

// 8 hidden units of one window: an odd last block.
inline void OneBlockOfOneWindow(const float* panel, int K, const float* stacked, float* cell, float* hidden_out) {
    __m256 i0 = _mm256_setzero_ps(), f0 = i0, g0 = i0, o0 = i0;
    for (int k = 0; k < K; ++k) {
        const __m256 a = _mm256_broadcast_ss(stacked + k);
        const float* w = panel + k * 32;
        i0 = _mm256_fmadd_ps(_mm256_load_ps(w), a, i0), f0 = _mm256_fmadd_ps(_mm256_load_ps(w + 8), a, f0);
        g0 = _mm256_fmadd_ps(_mm256_load_ps(w + 16), a, g0), o0 = _mm256_fmadd_ps(_mm256_load_ps(w + 24), a, o0);
    }
    FinishUnits(i0, f0, g0, o0, cell, hidden_out);
}

}  // namespace

void PackedLstmStep(const PackedLstmLayer& layer, const float* stacked, int batch, float* cell, float* hidden_out) {
    const int H = layer.hidden, K = layer.stacked;
    const int whole = batch - batch % 3;
    const int blocks = H / 8;
    const std::size_t panel_size = static_cast<std::size_t>(K) * 32;
    // Block of units outermost: its weight panel stays in L1 while every window passes through it.
    for (int block = 0; block < blocks; ++block) {
        const float* panel = layer.weights.data() + static_cast<std::size_t>(block) * panel_size;
        const int unit = block * 8;
        for (int b = 0; b < whole; b += 3)
            UnitsOfThreeWindows(panel, K, stacked + b * K, H, cell + b * H + unit, hidden_out + b * H + unit);
    }
    for (int b = whole; b < batch; ++b) {
        int block = 0;
        for (; block + 2 <= blocks; block += 2)
            TwoBlocksOfOneWindow(layer.weights.data() + static_cast<std::size_t>(block) * panel_size, K,
                                 stacked + b * K, cell + b * H + block * 8, hidden_out + b * H + block * 8);
        if (block < blocks)
            OneBlockOfOneWindow(layer.weights.data() + static_cast<std::size_t>(block) * panel_size, K,
                                stacked + b * K, cell + b * H + block * 8, hidden_out + b * H + block * 8);
    }
}

#else

void PackedLstmStep(const PackedLstmLayer&, const float*, int, float*, float*) {
    throw std::logic_error("PackedLstmStep: this build has no packed kernel (needs AVX2 and FMA)");
}

#endif

}  // namespace cloudopt
