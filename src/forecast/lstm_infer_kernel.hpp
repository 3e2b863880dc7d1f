#pragma once
// A fused LSTM inference step for AVX2 + FMA: the gate product, the nonlinearities and the cell and hidden updates
// of one layer in one pass, without the 4H x B gate matrix that the Eigen path writes and reads back five times.
//
// For a block of 8 hidden units and up to 3 windows, the kernel keeps all four gates' sums in 12 registers while
// it walks the stacked input [h; x; 1], then finishes those 8 units' cell and hidden values while they are still
// in registers. The weights are packed once per model so that the kernel reads them in order: for each block of
// 8 hidden units, for each stacked input k, the 8 rows of gate i, then f, g and o (one 9 KB panel per block at
// K = 70, which stays in L1 while the kernel walks every window of the batch).

#include <Eigen/Core>
#include <vector>

namespace cloudopt {

struct PackedLstmLayer {
    int hidden = 0;
    int stacked = 0;  // K = hidden + layer inputs + 1 (the bias rides on a constant 1)
    std::vector<float, Eigen::aligned_allocator<float>> weights;  // (hidden / 8) x K x 4 gates x 8 rows
};

// True when this build has the kernel (compiled for AVX2 and FMA) and `hidden` fits it (a multiple of 8).
bool PackedLstmAvailable(int hidden);

// Packs `fused` = [Wh | Wx | bias] (4H x K, gates i, f, g, o, with the sigmoid gates' rows already halved so that
// sigmoid(x) = (1 + tanh(x / 2)) / 2). Only valid when PackedLstmAvailable(hidden).
PackedLstmLayer PackLstmLayer(const Eigen::MatrixXf& fused, int hidden);

// One time step of one layer for `batch` windows. `stacked` is K x batch (column b = window b's [h; x; 1]),
// `cell` is H x batch and is updated in place, `hidden_out` (H x batch) receives the new h. `hidden_out` must not
// alias `stacked`: every block of units reads the whole old h.
void PackedLstmStep(const PackedLstmLayer& layer, const float* stacked, int batch, float* cell, float* hidden_out);

}  // namespace cloudopt
