#include "forecast/lstm_network.hpp"

#include <cmath>
#include <random>

namespace cloudopt {

LstmLayout::LstmLayout(const LstmShape& shape) : shape_(shape) {
    const auto h = static_cast<std::size_t>(shape.hidden);
    std::size_t at = 0;
    for (int l = 0; l < shape.layers; ++l) {
        LayerOffsets o;
        o.wx = at;
        at += 4 * h * static_cast<std::size_t>(LayerInputs(l));
        o.wh = at;
        at += 4 * h * h;
        o.bias = at;
        at += 4 * h;
        layers_.push_back(o);
    }
    wy_ = at;
    at += static_cast<std::size_t>(shape.outputs) * h;
    by_ = at;
    at += static_cast<std::size_t>(shape.outputs);
    size_ = at;
}

MatrixMap LstmLayout::Wx(float* f, int l) const {
    return {f + layers_[static_cast<std::size_t>(l)].wx, 4 * shape_.hidden, LayerInputs(l)};
}
MatrixMap LstmLayout::Wh(float* f, int l) const {
    return {f + layers_[static_cast<std::size_t>(l)].wh, 4 * shape_.hidden, shape_.hidden};
}
MatrixMap LstmLayout::Bias(float* f, int l) const { return {f + layers_[static_cast<std::size_t>(l)].bias, 4 * shape_.hidden, 1}; }
MatrixMap LstmLayout::Wy(float* f) const { return {f + wy_, shape_.outputs, shape_.hidden}; }
MatrixMap LstmLayout::By(float* f) const { return {f + by_, shape_.outputs, 1}; }
ConstMatrixMap LstmLayout::Wx(const float* f, int l) const {
    return {f + layers_[static_cast<std::size_t>(l)].wx, 4 * shape_.hidden, LayerInputs(l)};
}
ConstMatrixMap LstmLayout::Wh(const float* f, int l) const {
    return {f + layers_[static_cast<std::size_t>(l)].wh, 4 * shape_.hidden, shape_.hidden};
}
ConstMatrixMap LstmLayout::Bias(const float* f, int l) const {
    return {f + layers_[static_cast<std::size_t>(l)].bias, 4 * shape_.hidden, 1};
}
ConstMatrixMap LstmLayout::Wy(const float* f) const { return {f + wy_, shape_.outputs, shape_.hidden}; }
ConstMatrixMap LstmLayout::By(const float* f) const { return {f + by_, shape_.outputs, 1}; }

std::vector<LstmLayout::Block> LstmLayout::Blocks() const {
    std::vector<Block> out;
    const auto h4 = 4 * static_cast<std::size_t>(shape_.hidden);
    for (int l = 0; l < shape_.layers; ++l) {
        const LayerOffsets& o = layers_[static_cast<std::size_t>(l)];
        out.push_back({"Wx", l, o.wx, h4 * static_cast<std::size_t>(LayerInputs(l))});
        out.push_back({"Wh", l, o.wh, h4 * static_cast<std::size_t>(shape_.hidden)});
        out.push_back({"bias", l, o.bias, h4});
    }
    out.push_back({"Wy", -1, wy_, by_ - wy_});
    out.push_back({"by", -1, by_, size_ - by_});
    return out;
}

std::vector<float> InitialParameters(const LstmLayout& layout, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    const float bound = 1.0f / std::sqrt(static_cast<float>(layout.shape().hidden));
    std::uniform_real_distribution<float> uniform(-bound, bound);
    std::vector<float> params(layout.size());
    for (float& p : params) p = uniform(rng);
    return params;
}

void LstmWorkspace::Resize(const LstmLayout& layout, int batch) {
    const LstmShape& s = layout.shape();
    if (batch == batch_ && static_cast<int>(gates.size()) == s.layers && input.rows() == s.inputs &&
        input.cols() == static_cast<Eigen::Index>(s.window) * batch)
        return;
    batch_ = batch;
    const Eigen::Index tb = static_cast<Eigen::Index>(s.window) * batch;
    const Eigen::Index t1b = static_cast<Eigen::Index>(s.window + 1) * batch;
    input.setZero(s.inputs, tb);
    gates.assign(static_cast<std::size_t>(s.layers), Eigen::MatrixXf::Zero(4 * s.hidden, tb));
    hidden.assign(static_cast<std::size_t>(s.layers), Eigen::MatrixXf::Zero(s.hidden, t1b));
    cell.assign(static_cast<std::size_t>(s.layers), Eigen::MatrixXf::Zero(s.hidden, t1b));
    tanh_cell.assign(static_cast<std::size_t>(s.layers), Eigen::MatrixXf::Zero(s.hidden, tb));
    output.setZero(s.outputs, batch);
    d_gates.setZero(4 * s.hidden, tb);
    d_below.setZero(s.hidden, tb);
    d_above.setZero(s.hidden, tb);
    d_h.setZero(s.hidden, batch);
    d_c.setZero(s.hidden, batch);
}

namespace {

// sigmoid(x) = (1 + tanh(x / 2)) / 2: Eigen vectorizes float tanh, which keeps the gates on the SIMD path.
template <typename Block>
void SigmoidInPlace(Block&& b) {
    b = (b.array() * 0.5f).tanh() * 0.5f + 0.5f;
}

// The input of layer l for the whole sequence: the features for layer 0, else the hidden states of the layer below.
Eigen::Block<const Eigen::MatrixXf> LayerInput(const LstmWorkspace& ws, int l, Eigen::Index tb, Eigen::Index batch) {
    if (l == 0) return Eigen::Block<const Eigen::MatrixXf>(ws.input, 0, 0, ws.input.rows(), tb);
    const Eigen::MatrixXf& below = ws.hidden[static_cast<std::size_t>(l - 1)];
    return Eigen::Block<const Eigen::MatrixXf>(below, 0, batch, below.rows(), tb);
}

}  // namespace

void LstmForward(const LstmLayout& layout, const float* params, LstmWorkspace& ws) {
    const LstmShape& s = layout.shape();
    const Eigen::Index B = ws.batch(), H = s.hidden, T = s.window;
    for (int l = 0; l < s.layers; ++l) {
        const auto li = static_cast<std::size_t>(l);
        Eigen::MatrixXf& z = ws.gates[li];
        Eigen::MatrixXf& h = ws.hidden[li];
        Eigen::MatrixXf& c = ws.cell[li];
        Eigen::MatrixXf& tc = ws.tanh_cell[li];
        // The input projection of every step at once, then the recurrence step by step.
        z.noalias() = layout.Wx(params, l) * LayerInput(ws, l, T * B, B);
        z.colwise() += layout.Bias(params, l).col(0);
        const ConstMatrixMap wh = layout.Wh(params, l);
        for (Eigen::Index t = 0; t < T; ++t) {
            auto zt = z.middleCols(t * B, B);
            zt.noalias() += wh * h.middleCols(t * B, B);
            SigmoidInPlace(zt.topRows(2 * H));  // i, f
            zt.middleRows(2 * H, H) = zt.middleRows(2 * H, H).array().tanh();  // g
            SigmoidInPlace(zt.bottomRows(H));  // o
            auto c_next = c.middleCols((t + 1) * B, B);
            c_next = zt.middleRows(H, H).cwiseProduct(c.middleCols(t * B, B)) +
                     zt.topRows(H).cwiseProduct(zt.middleRows(2 * H, H));
            auto tct = tc.middleCols(t * B, B);
            tct = c_next.array().tanh();
            h.middleCols((t + 1) * B, B) = zt.bottomRows(H).cwiseProduct(tct);
        }
    }
    const Eigen::MatrixXf& top = ws.hidden.back();
    ws.output.noalias() = layout.Wy(params) * top.middleCols(T * B, B);
    ws.output.colwise() += layout.By(params).col(0);
}

LstmFusedWeights FuseForInference(const LstmLayout& layout, const float* params) {
    const LstmShape& s = layout.shape();
    const Eigen::Index H = s.hidden;
    LstmFusedWeights fused;
    for (int l = 0; l < s.layers; ++l) {
        const Eigen::Index in = layout.LayerInputs(l);
        Eigen::MatrixXf w(4 * H, H + in + 1);
        w.leftCols(H) = layout.Wh(params, l);
        w.middleCols(H, in) = layout.Wx(params, l);
        w.rightCols(1) = layout.Bias(params, l);
        // sigmoid(x) = (1 + tanh(x / 2)) / 2: halving the i, f, o rows lets one tanh pass serve all four gates.
        w.topRows(2 * H) *= 0.5f;
        w.bottomRows(H) *= 0.5f;
        if (PackedLstmAvailable(s.hidden)) fused.packed.push_back(PackLstmLayer(w, s.hidden));
        fused.layers.push_back(std::move(w));
    }
    return fused;
}

void LstmInfer(const LstmLayout& layout, const float* params, LstmWorkspace& ws, const LstmFusedWeights* fused) {
    const LstmShape& s = layout.shape();
    const Eigen::Index B = ws.batch(), H = s.hidden, T = s.window;
    const auto L = static_cast<std::size_t>(s.layers);
    // One product per layer and step: [Wh | Wx | bias] times the stacked [h; x; 1], so the small input
    // projection and the bias ride along with the recurrent product instead of being passes of their own.
    LstmFusedWeights built;
    if (!fused) {
        built = FuseForInference(layout, params);
        fused = &built;
    }
    ws.step_inputs.resize(L);
    ws.step_c.resize(L);
    for (std::size_t l = 0; l < L; ++l) {
        const Eigen::Index in = layout.LayerInputs(static_cast<int>(l));
        ws.step_inputs[l].setZero(H + in + 1, B);
        ws.step_inputs[l].bottomRows(1).setOnes();
        ws.step_c[l].setZero(H, B);
    }
    // With the fused kernel (lstm_infer_kernel.hpp) step_gates holds only the new h (H x B): every block of units
    // reads the whole old h. Without it, the gates (4H x B) of Eigen's product.
    const bool kernel = fused->packed.size() == L;
    Eigen::MatrixXf& z = ws.step_gates;
    z.resize(kernel ? H : 4 * H, B);
    for (Eigen::Index t = 0; t < T; ++t) {
        for (std::size_t l = 0; l < L; ++l) {
            Eigen::MatrixXf& stacked = ws.step_inputs[l];
            const Eigen::Index in = stacked.rows() - H - 1;
            if (l == 0) {
                stacked.middleRows(H, in) = ws.input.middleCols(t * B, B);
            } else {
                stacked.middleRows(H, in) = ws.step_inputs[l - 1].topRows(H);
            }
            Eigen::MatrixXf& c = ws.step_c[l];
            if (kernel) {
                PackedLstmStep(fused->packed[l], stacked.data(), static_cast<int>(B), c.data(), z.data());
                stacked.topRows(H) = z;
                continue;
            }
            z.noalias() = fused->layers[l] * stacked;
            z = z.array().tanh();
            z.topRows(2 * H) = z.topRows(2 * H).array() * 0.5f + 0.5f;
            z.bottomRows(H) = z.bottomRows(H).array() * 0.5f + 0.5f;
            c = z.middleRows(H, H).cwiseProduct(c) + z.topRows(H).cwiseProduct(z.middleRows(2 * H, H));
            stacked.topRows(H) = z.bottomRows(H).cwiseProduct(c.array().tanh().matrix());
        }
    }
    // The head one window at a time: a product over the whole batch would sum in an order that depends on the
    // batch's width, and a window's forecast should not depend on which others it was batched with.
    for (Eigen::Index b = 0; b < B; ++b)
        ws.output.col(b).noalias() = layout.Wy(params) * ws.step_inputs[L - 1].col(b).head(H);
    ws.output.colwise() += layout.By(params).col(0);
}

void LstmBackward(const LstmLayout& layout, const float* params, const Eigen::MatrixXf& d_output, LstmWorkspace& ws,
                  float* grad) {
    const LstmShape& s = layout.shape();
    const Eigen::Index B = ws.batch(), H = s.hidden, T = s.window;
    const Eigen::MatrixXf& top = ws.hidden.back();
    layout.Wy(grad).noalias() += d_output * top.middleCols(T * B, B).transpose();
    layout.By(grad) += d_output.rowwise().sum();

    for (int l = s.layers - 1; l >= 0; --l) {
        const auto li = static_cast<std::size_t>(l);
        const Eigen::MatrixXf& z = ws.gates[li];
        const Eigen::MatrixXf& c = ws.cell[li];
        const Eigen::MatrixXf& tc = ws.tanh_cell[li];
        const ConstMatrixMap wh = layout.Wh(params, l);
        const bool is_top = l == s.layers - 1;
        if (is_top) {
            ws.d_h.noalias() = layout.Wy(params).transpose() * d_output;
        } else {
            ws.d_h.setZero();
        }
        ws.d_c.setZero();
        for (Eigen::Index t = T - 1; t >= 0; --t) {
            if (!is_top) ws.d_h += ws.d_above.middleCols(t * B, B);
            const auto zt = z.middleCols(t * B, B);
            const auto gi = zt.topRows(H).array(), gf = zt.middleRows(H, H).array(),
                       gg = zt.middleRows(2 * H, H).array(), go = zt.bottomRows(H).array();
            const auto tct = tc.middleCols(t * B, B).array();
            auto dz = ws.d_gates.middleCols(t * B, B);
            // dc accumulates the path through the cell state and the path through h = o * tanh(c).
            ws.d_c.array() += ws.d_h.array() * go * (1.0f - tct.square());
            dz.bottomRows(H).array() = ws.d_h.array() * tct * go * (1.0f - go);
            dz.topRows(H).array() = ws.d_c.array() * gg * gi * (1.0f - gi);
            dz.middleRows(H, H).array() = ws.d_c.array() * c.middleCols(t * B, B).array() * gf * (1.0f - gf);
            dz.middleRows(2 * H, H).array() = ws.d_c.array() * gi * (1.0f - gg.square());
            ws.d_c.array() *= gf;
            ws.d_h.noalias() = wh.transpose() * dz;
        }
        // Weight gradients of the whole sequence as single products.
        layout.Wh(grad, l).noalias() += ws.d_gates * ws.hidden[li].leftCols(T * B).transpose();
        layout.Wx(grad, l).noalias() += ws.d_gates * LayerInput(ws, l, T * B, B).transpose();
        layout.Bias(grad, l) += ws.d_gates.rowwise().sum();
        if (l > 0) {
            ws.d_below.noalias() = layout.Wx(params, l).transpose() * ws.d_gates;
            ws.d_above.swap(ws.d_below);
        }
    }
}

namespace reference {

void LstmForward(const LstmLayout& layout, const float* params, LstmWorkspace& ws) {
    const LstmShape& s = layout.shape();
    const int B = ws.batch(), H = s.hidden, T = s.window;
    auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
    std::vector<double> hs(static_cast<std::size_t>(H)), cs(static_cast<std::size_t>(H)), gates(4 * static_cast<std::size_t>(H));
    for (int b = 0; b < B; ++b) {
        std::vector<std::vector<double>> layer_in(static_cast<std::size_t>(T));
        for (int t = 0; t < T; ++t)
            for (int k = 0; k < s.inputs; ++k) layer_in[static_cast<std::size_t>(t)].push_back(ws.input(k, t * B + b));
        for (int l = 0; l < s.layers; ++l) {
            const ConstMatrixMap wx = layout.Wx(params, l), wh = layout.Wh(params, l), bias = layout.Bias(params, l);
            std::fill(hs.begin(), hs.end(), 0.0);
            std::fill(cs.begin(), cs.end(), 0.0);
            std::vector<std::vector<double>> out(static_cast<std::size_t>(T));
            for (int t = 0; t < T; ++t) {
                const auto& x = layer_in[static_cast<std::size_t>(t)];
                for (int r = 0; r < 4 * H; ++r) {
                    double acc = bias(r, 0);
                    for (int k = 0; k < static_cast<int>(x.size()); ++k) acc += wx(r, k) * x[static_cast<std::size_t>(k)];
                    for (int k = 0; k < H; ++k) acc += wh(r, k) * hs[static_cast<std::size_t>(k)];
                    gates[static_cast<std::size_t>(r)] = acc;
                }
                for (int k = 0; k < H; ++k) {
                    const auto u = static_cast<std::size_t>(k), uh = static_cast<std::size_t>(H);
                    const double i = sigmoid(gates[u]), f = sigmoid(gates[uh + u]), g = std::tanh(gates[2 * uh + u]),
                                 o = sigmoid(gates[3 * uh + u]);
                    cs[u] = f * cs[u] + i * g;
                    hs[u] = o * std::tanh(cs[u]);
                }
                out[static_cast<std::size_t>(t)] = hs;
            }
            layer_in = std::move(out);
        }
        const ConstMatrixMap wy = layout.Wy(params), by = layout.By(params);
        for (int r = 0; r < s.outputs; ++r) {
            double acc = by(r, 0);
            for (int k = 0; k < H; ++k) acc += wy(r, k) * hs[static_cast<std::size_t>(k)];
            ws.output(r, b) = static_cast<float>(acc);
        }
    }
}

}  // namespace reference

}  // namespace cloudopt
