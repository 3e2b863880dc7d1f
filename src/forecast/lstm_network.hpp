#pragma once
// The LSTM network itself: parameters, a batched forward pass and backpropagation through time, in float on Eigen.
// Shape as torch.nn.LSTM (gates i, f, g, o; one bias per gate row) followed by a dense head that emits every
// horizon step at once from the top layer's last hidden state, so that the benchmark against PyTorch compares the
// same network.
//
// Layout: a batch of B windows of T steps is a matrix whose column t * B + b is step t of window b, so the
// columns of one time step are contiguous and the input projection of a whole sequence is one GEMM. All
// parameters live in one flat vector (blocks are Eigen::Map views into it), so Adam, clipping, gradient
// summation and serialization are plain loops over one array.

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "forecast/lstm_infer_kernel.hpp"

namespace cloudopt {

struct LstmShape {
    int inputs = 5;    // features per time step
    int hidden = 64;
    int layers = 1;
    int window = 48;   // time steps per input window
    int outputs = 12;  // horizon steps emitted by the head
    bool operator==(const LstmShape&) const = default;
};

// Whether a shape read from bytes (a model file, the store) is one a network can be built and run with.
inline bool PlausibleLstmShape(const LstmShape& s) {
    return s.inputs == 5 && s.hidden >= 1 && s.hidden <= 4096 && s.layers >= 1 && s.layers <= 2 && s.window >= 2 &&
           s.window <= 100000 && s.outputs >= 1 && s.outputs <= 100000;
}

using MatrixMap = Eigen::Map<Eigen::MatrixXf>;
using ConstMatrixMap = Eigen::Map<const Eigen::MatrixXf>;

// Offsets of the parameter blocks inside the flat vector.
class LstmLayout {
public:
    explicit LstmLayout(const LstmShape& shape);
    const LstmShape& shape() const { return shape_; }
    std::size_t size() const { return size_; }
    int LayerInputs(int layer) const { return layer == 0 ? shape_.inputs : shape_.hidden; }

    // Views of block `layer` inside `flat` (which must have size()).
    MatrixMap Wx(float* flat, int layer) const;  // 4H x inputs
    MatrixMap Wh(float* flat, int layer) const;  // 4H x H
    MatrixMap Bias(float* flat, int layer) const;  // 4H x 1
    MatrixMap Wy(float* flat) const;  // outputs x H
    MatrixMap By(float* flat) const;  // outputs x 1
    ConstMatrixMap Wx(const float* flat, int layer) const;
    ConstMatrixMap Wh(const float* flat, int layer) const;
    ConstMatrixMap Bias(const float* flat, int layer) const;
    ConstMatrixMap Wy(const float* flat) const;
    ConstMatrixMap By(const float* flat) const;

    // Names and ranges of every block, for the gradient check and diagnostics.
    struct Block {
        const char* name;
        int layer;
        std::size_t offset, size;
    };
    std::vector<Block> Blocks() const;

private:
    struct LayerOffsets {
        std::size_t wx, wh, bias;
    };
    LstmShape shape_;
    std::vector<LayerOffsets> layers_;
    std::size_t wy_ = 0, by_ = 0, size_ = 0;
};

// PyTorch's default initialization: every LSTM weight and bias uniform in ±1/sqrt(H), the head's in ±1/sqrt(H).
std::vector<float> InitialParameters(const LstmLayout& layout, std::uint64_t seed);

// Activations of one batch, kept for the backward pass. Sized once per batch size: no allocation per time step.
class LstmWorkspace {
public:
    void Resize(const LstmLayout& layout, int batch);
    int batch() const { return batch_; }

    Eigen::MatrixXf input;                  // inputs x T*B (filled by the caller)
    std::vector<Eigen::MatrixXf> gates;     // per layer 4H x T*B, after the nonlinearities
    std::vector<Eigen::MatrixXf> hidden;    // per layer H x (T+1)*B, block 0 = h_0 = 0
    std::vector<Eigen::MatrixXf> cell;      // per layer H x (T+1)*B, block 0 = c_0 = 0
    std::vector<Eigen::MatrixXf> tanh_cell; // per layer H x T*B
    Eigen::MatrixXf output;                 // outputs x B: the head's output
    // Backward scratch.
    Eigen::MatrixXf d_gates;                // 4H x T*B
    Eigen::MatrixXf d_below;                // H x T*B: gradient flowing to the layer below's outputs
    Eigen::MatrixXf d_above;                // H x T*B
    Eigen::MatrixXf d_h, d_c;               // H x B
    // LstmInfer's state: per layer the stacked [h; x; 1] and the cell of the current step.
    std::vector<Eigen::MatrixXf> step_inputs, step_c;
    Eigen::MatrixXf step_gates;

private:
    int batch_ = 0;
};

// Forward pass over ws.input; leaves ws.output (outputs x B).
void LstmForward(const LstmLayout& layout, const float* params, LstmWorkspace& ws);
// Forward pass that keeps only the current step's state (for inference): the same output as LstmForward, with a
// working set that stays in cache. Uses ws.input and ws.output; the other workspace matrices are not filled.
// Per layer [Wh | Wx | bias] with the sigmoid gates' rows halved (see LstmInfer); a model that forecasts often
// builds them once.
struct LstmFusedWeights {
    std::vector<Eigen::MatrixXf> layers;
    std::vector<PackedLstmLayer> packed;  // the same, packed for the fused kernel; empty where it is unavailable
};
LstmFusedWeights FuseForInference(const LstmLayout& layout, const float* params);
void LstmInfer(const LstmLayout& layout, const float* params, LstmWorkspace& ws,
               const LstmFusedWeights* fused = nullptr);
// Adds to `grad` (size layout.size()) the gradient of the loss given d_output = dLoss/d(output) (outputs x B),
// after LstmForward on the same workspace.
void LstmBackward(const LstmLayout& layout, const float* params, const Eigen::MatrixXf& d_output, LstmWorkspace& ws,
                  float* grad);

// Plain-loop reference versions of the kernels (no Eigen products), to test the optimized ones against.
namespace reference {
void LstmForward(const LstmLayout& layout, const float* params, LstmWorkspace& ws);
}

}  // namespace cloudopt
