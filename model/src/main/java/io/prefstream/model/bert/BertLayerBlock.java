package io.prefstream.model.bert;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * One HF BERT transformer layer, post-LayerNorm: self-attention (heads × headSize) → output dense → residual →
 * LayerNorm → FFN with exact (erf) GELU → residual → LayerNorm.
 *
 * <p>Written out rather than taken from DJL's {@code TransformerEncoderBlock}, whose layout (fused QKV
 * projection, its own LayerNorm eps and dropout placement) does not load HF BERT weights one to one; here each
 * parameter is exactly one HF tensor, and dense weights are kept as ONNX stores them, [in, out], so
 * {@code x · W + b}.
 *
 * <p>Input and output: {@code (hidden [B, T, H], attentionBias [B, 1, 1, T])}, where the bias is 0 for real
 * tokens and a large negative number for padding ({@link #attentionBias}).
 */
public final class BertLayerBlock extends AbstractBlock {
  private static final byte VERSION = 1;
  /** HF BERT's names of one layer's tensors, relative to {@code encoder.layer.<i>.}, in parameter order. */
  public static final List<String> HF_NAMES = List.of(
      "attention.self.query.weight", "attention.self.query.bias",
      "attention.self.key.weight", "attention.self.key.bias",
      "attention.self.value.weight", "attention.self.value.bias",
      "attention.output.dense.weight", "attention.output.dense.bias",
      "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
      "intermediate.dense.weight", "intermediate.dense.bias",
      "output.dense.weight", "output.dense.bias",
      "output.LayerNorm.weight", "output.LayerNorm.bias");

  private final BertConfig config;

  public BertLayerBlock(BertConfig config) {
    super(VERSION);
    this.config = config;
    for (String n : HF_NAMES) {
      if (n.endsWith("LayerNorm.weight")) {
        addParameter(BertParameters.gamma(n));
      } else if (n.endsWith("LayerNorm.bias")) {
        addParameter(BertParameters.beta(n));
      } else if (n.endsWith(".weight")) {
        addParameter(BertParameters.weight(n));
      } else {
        addParameter(BertParameters.bias(n));
      }
    }
  }

  /** 0 where {@code mask} is 1, −1e9 where it is 0 (padding); shape [B, 1, 1, T] to broadcast over heads. */
  public static NDArray attentionBias(NDArray mask) {
    NDArray m = mask.toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
    return m.sub(1f).mul(1e9f).expandDims(1).expandDims(1);
  }

  static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, BertConfig config) {
    return x.getNDArrayInternal().layerNorm(x, new Shape(config.hidden()), gamma, beta, config.layerNormEps())
        .head();
  }

  private NDArray p(ParameterStore ps, String name, Device device, boolean training) {
    return ps.getValue(parameters.get(name), device, training);
  }

  private NDArray dense(NDArray x, ParameterStore ps, String prefix, Device device, boolean training) {
    return x.matMul(p(ps, prefix + ".weight", device, training)).add(p(ps, prefix + ".bias", device, training));
  }

  @Override
  protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDArray x = inputs.get(0);
    NDArray bias = inputs.get(1);
    Device dev = x.getDevice();
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int h = config.heads();
    int hs = config.headSize();
    NDArray q = dense(x, ps, "attention.self.query", dev, training).reshape(b, t, h, hs).transpose(0, 2, 1, 3);
    NDArray k = dense(x, ps, "attention.self.key", dev, training).reshape(b, t, h, hs).transpose(0, 2, 3, 1);
    NDArray v = dense(x, ps, "attention.self.value", dev, training).reshape(b, t, h, hs).transpose(0, 2, 1, 3);
    NDArray scores = q.matMul(k).div((float) Math.sqrt(hs)).add(bias);
    NDArray ctx = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, config.hidden());
    NDArray attn = dense(ctx, ps, "attention.output.dense", dev, training);
    NDArray h1 = layerNorm(attn.add(x), p(ps, "attention.output.LayerNorm.weight", dev, training),
        p(ps, "attention.output.LayerNorm.bias", dev, training), config);
    NDArray inter = dense(h1, ps, "intermediate.dense", dev, training).getNDArrayInternal().gelu();
    NDArray out = dense(inter, ps, "output.dense", dev, training);
    NDArray h2 = layerNorm(out.add(h1), p(ps, "output.LayerNorm.weight", dev, training),
        p(ps, "output.LayerNorm.bias", dev, training), config);
    return new NDList(h2, bias);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inputShapes;
  }
}
